import Glibc

/// Where the legacy EOS fixtures are: logs written, compacted and repaired by EOS's own code, with
/// the reports and listings EOS printed for them (`../shared/fixtures/eos` beside the checkout, as in
/// CI). `BERYL_FIXTURES` overrides the place; pointing it at an empty directory hides the fixtures,
/// as on a fresh clone. Tests that compare with EOS's output run only when `available`; every
/// behaviour they check is also covered by tests on logs this project writes (`LegacyLogWriter`).
public enum EOSFixtures {
    /// The fixture directory, with a trailing slash.
    public static let directory: String = {
        if let value = getenv("BERYL_FIXTURES"), value.pointee != 0 {
            let path = String(cString: value)
            return path.hasSuffix("/") ? path : path + "/"
        }
        // The repository root is two levels above this file (Tests/Support/EOSFixtures.swift).
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/../shared/fixtures/eos/"
    }()

    /// True when the fixture logs can be read.
    public static let available: Bool = access(directory + "files.mdlog", R_OK) == 0

    /// The one line a skipped fixture suite prints.
    public static var skipReason: String {
        "needs the EOS fixtures at \(directory) (not found; set BERYL_FIXTURES to their directory)"
    }
}
