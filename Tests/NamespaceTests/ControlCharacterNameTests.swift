import Glibc
import Testing
@testable import Namespace

/// Names with control characters (bytes below 0x20, and 0x7F) break the line- and tab-separated
/// listings clients parse: every call that makes a new name refuses them with EINVAL and writes
/// nothing; lookups of such a path are plain misses (ENOENT), not refusals.
@Suite struct ControlCharacterNameTests {
    static let badNames = ["a\nb", "tab\there", "cr\r", "\u{1}start", "bell\u{7}", "del\u{7F}", "esc\u{1B}[0m", "\u{1F}"]

    @Test func newNamesWithControlCharactersAreRefused() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let ns = try Namespace.boot(dir.configuration())
        try ns.createContainer("/d", attributes: fixedAttributes)
        try ns.createFile("/d/f", attributes: fixedAttributes)
        let sizes = dir.logSizes
        for name in Self.badNames {
            #expect(errnoOf { try ns.createFile("/d/" + name) } == EINVAL, "create \(name.debugDescription)")
            #expect(errnoOf { try ns.createFile(named: name, in: .root) } == EINVAL, "create named \(name.debugDescription)")
            #expect(errnoOf { try ns.createContainer("/d/" + name) } == EINVAL, "mkdir \(name.debugDescription)")
            // mkdir -p refuses before it makes the parents.
            #expect(errnoOf { try ns.createContainer("/new/" + name + "/x", missingParents: .create) } == EINVAL)
            #expect(errnoOf { try ns.createSymlink("/d/" + name, target: "/d/f") } == EINVAL, "symlink \(name.debugDescription)")
            #expect(errnoOf { try ns.rename("/d/f", to: "/d/" + name) } == EINVAL, "rename to \(name.debugDescription)")
            #expect(errnoOf { try ns.rename("/d", to: "/" + name) } == EINVAL, "rename dir to \(name.debugDescription)")
            // A lookup is not a new name: a miss.
            #expect(errnoOf { _ = try ns.stat("/d/" + name) } == ENOENT, "stat \(name.debugDescription)")
            #expect(errnoOf { try ns.removeFile("/d/" + name) } == ENOENT, "rm \(name.debugDescription)")
        }
        #expect(dir.logSizes == sizes, "a refused name wrote to the logs")
        #expect(errnoOf { _ = try ns.stat("/new") } == ENOENT, "mkdir -p made a parent of a refused name")
        #expect(try ns.list("/d").map(\.name) == ["f"])
        // The refusal names the byte, with the path shown escaped.
        do {
            try ns.createContainer("/d/a\nb")
            Issue.record("mkdir of a name with a newline was accepted")
        } catch {
            #expect("\(error)".contains("/d/a\\nb"), "\(error)")
            #expect("\(error)".contains("0x0a"), "\(error)")
        }
        // Printable names beyond ASCII and spaces are still fine.
        for name in ["with space", "ünïcødé", "tilde~", "emoji\u{1F600}"] {
            try ns.createFile("/d/" + name, attributes: fixedAttributes)
        }
        #expect(try ns.list("/d").count == 5)
    }
}
