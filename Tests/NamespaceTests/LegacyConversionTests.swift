import BerylTestSupport
import Changelog
import Glibc
import Namespace
import Testing
import LegacyEOS

/// Legacy logs converted and booted here list exactly as the legacy replay lists them: logs this
/// project writes (always), and the EOS fixtures (`EOSFixtureConversionTests`, when present).
@Suite struct LegacyConversionTests {

    static func read(_ path: String) -> String { String(decoding: readBytes(path), as: UTF8.self) }

    static func scratch(_ name: String) -> String {
        let dir = "/tmp/beryl-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(dir, 0o755)
        return dir
    }

    /// A written legacy namespace, converted and booted, lists line for line as its legacy replay.
    @Test func convertedWrittenLogsListExactlyAsTheirLegacyReplay() throws {
        let legacy = Self.scratch("legacy")
        let dir = Self.scratch("convert")
        defer { _ = system("rm -rf '\(dir)' '\(legacy)'") }
        let corpus = try LegacyCorpus.write(in: legacy)
        let files = try LegacyConversion.convert(legacyPath: corpus.filesLog.path, to: dir + "/files.mdlog")
        let dirs = try LegacyConversion.convert(legacyPath: corpus.directoriesLog.path, to: dir + "/directories.mdlog")
        #expect(files.updates == corpus.filesLog.updates && files.deletes == corpus.filesLog.deletes)
        #expect(files.stamps == 1 && files.skipped.isEmpty && files.stoppedAt == nil)
        #expect(dirs.updates == corpus.directoriesLog.updates && dirs.deletes == corpus.directoriesLog.deletes && dirs.skipped.isEmpty)
        let log = try Changelog.open(at: dir + "/files.mdlog", configuration: .readOnly)
        #expect(log.header.flags.contains(.compacted) && log.contentKind == .files)
        let ns = try Namespace.boot(NamespaceConfiguration(directory: dir, role: .masterReadOnly))
        defer { ns.close() }
        #expect(ns.bootReport.repairs.isEmpty)
        let replay = LegacyNamespace.replay(filesLog: try LegacyLogFile(path: corpus.filesLog.path),
                                            directoriesLog: try LegacyLogFile(path: corpus.directoriesLog.path))
        let expected = replay.listing().split(separator: "\n", omittingEmptySubsequences: false)
        let got = ns.tsvListing().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(got.count == expected.count)
        for (a, b) in zip(got, expected) where a != b {
            Issue.record("listing differs:\n  got      \(a)\n  expected \(b)")
            break
        }
        #expect(ns.fileCount == corpus.files.count && ns.containerCount == corpus.containers.count)
        #expect(ns.pathListing().first == "/")
        // The output is never overwritten.
        #expect(throws: ChangelogError.self) { try LegacyConversion.convert(legacyPath: corpus.filesLog.path, to: dir + "/files.mdlog") }
    }

    /// A log of neither files nor directories is refused; a damaged one converts up to the damage.
    @Test func damagedOrForeignWrittenLogsAreRefusedClearly() throws {
        let dir = Self.scratch("convert-bad")
        defer { _ = system("rm -rf '\(dir)'") }
        let writer = try LegacyLogWriter.create(at: dir + "/random.mdlog", header: LegacyHeader(contentFlag: 0))
        for i in 0..<50 { try writer.append(.update, payload: [UInt8](repeating: UInt8(i), count: 64)) }
        try writer.close()
        #expect(throws: ChangelogError.self) { try LegacyConversion.convert(legacyPath: dir + "/random.mdlog", to: dir + "/x") }
        let corpus = try LegacyCorpus.write(in: dir, files: 100, containers: 5)
        var bytes = Self.readBytes(corpus.filesLog.path)
        let victim = corpus.filesLog.records[40]
        bytes[victim.offset + 30] ^= 0xFF
        let broken = dir + "/files.broken.mdlog"
        let f = fopen(broken, "wb")!
        fwrite(bytes, 1, bytes.count, f)
        fclose(f)
        let r = try LegacyConversion.convert(legacyPath: broken, to: dir + "/files.converted.mdlog")
        #expect(r.stoppedAt?.offset == UInt64(victim.offset))
        #expect(r.updates + r.deletes == 40)
    }

    static func readBytes(_ path: String) -> [UInt8] {
        guard let f = fopen(path, "rb") else { return [] }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }
}

/// The EOS fixtures converted and booted list exactly as EOS replays them (`namespace-expected.tsv`).
/// Skipped, with one line naming the path, when the fixtures are absent.
@Suite("EOS fixtures (conversion)", .enabled(if: EOSFixtures.available, Comment(rawValue: EOSFixtures.skipReason)))
struct EOSFixtureConversionTests {
    @Test func convertedFixturesListExactlyAsTheLegacySystemReplaysThem() throws {
        let dir = "/tmp/beryl-convert-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(dir, 0o755)
        defer { _ = system("rm -rf '\(dir)'") }
        let files = try LegacyConversion.convert(legacyPath: EOSFixtures.directory + "files.mdlog", to: dir + "/files.mdlog")
        let dirs = try LegacyConversion.convert(legacyPath: EOSFixtures.directory + "directories.mdlog", to: dir + "/directories.mdlog")
        #expect(files.updates == 11_266 && files.deletes == 139 && files.stamps == 1 && files.skipped.isEmpty)
        #expect(dirs.updates == 9_238 && dirs.deletes == 23 && dirs.skipped.isEmpty)
        let log = try Changelog.open(at: dir + "/files.mdlog", configuration: .readOnly)
        #expect(log.header.flags.contains(.compacted) && log.contentKind == .files)
        let ns = try Namespace.boot(NamespaceConfiguration(directory: dir, role: .masterReadOnly))
        defer { ns.close() }
        #expect(ns.bootReport.repairs.isEmpty)
        let expected = LegacyConversionTests.read(EOSFixtures.directory + "namespace-expected.tsv").split(separator: "\n", omittingEmptySubsequences: false)
        let got = ns.tsvListing().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(got.count == expected.count)
        for (a, b) in zip(got, expected) where a != b {
            Issue.record("listing differs:\n  got      \(a)\n  expected \(b)")
            break
        }
        #expect(ns.fileCount == 2_380 && ns.containerCount == 357)
        #expect(ns.pathListing().first == "/")
        // The output is never overwritten.
        #expect(throws: ChangelogError.self) { try LegacyConversion.convert(legacyPath: EOSFixtures.directory + "files.mdlog", to: dir + "/files.mdlog") }
    }

    @Test func damagedOrForeignFixturesAreRefusedClearly() throws {
        let dir = "/tmp/beryl-convert-bad-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(dir, 0o755)
        defer { _ = system("rm -rf '\(dir)'") }
        // Random-payload log: content flag 0, neither files nor directories.
        #expect(throws: ChangelogError.self) { try LegacyConversion.convert(legacyPath: EOSFixtures.directory + "random-10000.mdlog", to: dir + "/x") }
        // A damaged files log converts up to the damage and says where it stopped.
        let r = try LegacyConversion.convert(legacyPath: EOSFixtures.directory + "files.broken.mdlog", to: dir + "/files.mdlog")
        #expect(r.stoppedAt != nil)
    }
}
