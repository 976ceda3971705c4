import MGM
import Testing

@Test func placeholder() {}
