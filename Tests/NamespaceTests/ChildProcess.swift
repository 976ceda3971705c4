/// The child-process helper is shared by every test target (Tests/Support).
@_exported import BerylTestSupport
