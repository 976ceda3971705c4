import Changelog
import Glibc
import Namespace
import Testing

/// The legacy fixtures (written by EOS's own code) converted and booted here list exactly as the
/// legacy system replays them.
@Suite struct LegacyConversionTests {
    static var fixtures: String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/../shared/fixtures/eos/"
    }

    static func read(_ path: String) -> String {
        guard let f = fopen(path, "rb") else { return "" }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func convertedFixturesListExactlyAsTheLegacySystemReplaysThem() throws {
        let dir = "/tmp/beryl-convert-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(dir, 0o755)
        defer { _ = system("rm -rf '\(dir)'") }
        let files = try LegacyConversion.convert(legacyPath: Self.fixtures + "files.mdlog", to: dir + "/files.mdlog")
        let dirs = try LegacyConversion.convert(legacyPath: Self.fixtures + "directories.mdlog", to: dir + "/directories.mdlog")
        #expect(files.updates == 11_266 && files.deletes == 139 && files.stamps == 1 && files.skipped.isEmpty)
        #expect(dirs.updates == 9_238 && dirs.deletes == 23 && dirs.skipped.isEmpty)
        let log = try Changelog.open(at: dir + "/files.mdlog", configuration: .readOnly)
        #expect(log.header.flags.contains(.compacted) && log.contentKind == .files)
        let ns = try Namespace.boot(NamespaceConfiguration(directory: dir, access: .readOnly))
        defer { ns.close() }
        #expect(ns.bootReport.repairs.isEmpty)
        let expected = Self.read(Self.fixtures + "namespace-expected.tsv").split(separator: "\n", omittingEmptySubsequences: false)
        let got = ns.tsvListing().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(got.count == expected.count)
        for (a, b) in zip(got, expected) where a != b {
            Issue.record("listing differs:\n  got      \(a)\n  expected \(b)")
            break
        }
        #expect(ns.fileCount == 2_380 && ns.containerCount == 357)
        #expect(ns.pathListing().first == "/")
        // The output is never overwritten.
        #expect(throws: ChangelogError.self) { try LegacyConversion.convert(legacyPath: Self.fixtures + "files.mdlog", to: dir + "/files.mdlog") }
    }

    @Test func damagedOrForeignInputsAreRefusedClearly() throws {
        let dir = "/tmp/beryl-convert-bad-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(dir, 0o755)
        defer { _ = system("rm -rf '\(dir)'") }
        // Random-payload log: content flag 0, neither files nor directories.
        #expect(throws: ChangelogError.self) { try LegacyConversion.convert(legacyPath: Self.fixtures + "random-10000.mdlog", to: dir + "/x") }
        // A damaged files log converts up to the damage and says where it stopped.
        let r = try LegacyConversion.convert(legacyPath: Self.fixtures + "files.broken.mdlog", to: dir + "/files.mdlog")
        #expect(r.stoppedAt != nil)
    }
}
