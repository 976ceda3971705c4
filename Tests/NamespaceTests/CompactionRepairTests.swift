import Changelog
import Glibc
import Testing
@testable import Namespace
import Platform

/// A damaged record in the middle of the live files log (booted with `.salvage`): `files` stops
/// and leaves the log alone (status failed), `files-repair` skips the span and reports it in
/// the master log.
@Suite struct CompactionRepairTests {
    @Test func repairSkipsAndReportsDamagedSpans() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var ns = try CompactionTests.populated(dir)
        ns.close()
        // Damage 16 bytes in the middle of the files log (a superseded size update, most likely).
        let path = dir.path + "/" + NamespaceConfiguration.filesLogName
        let size = try #require(FileSystem.size(path))
        let file = try SystemFile.open(path, access: .readWrite, creation: .openExisting)
        try file.write([UInt8](repeating: 0xEE, count: 16), at: size / 2)

        var config = dir.configuration()
        config.damagePolicy = .salvage
        ns = try Namespace.boot(config)
        #expect(!ns.bootReport.logWarnings.isEmpty, "boot did not see the damage")
        let before = try ns.snapshot()
        let live = try #require(ns.filesLog)

        #expect(errnoOf { try ns.compact(.files) } != nil)
        #expect(ns.filesLog === live && ns.compactionStatus.state == .failed)
        #expect(!FileSystem.exists(path + ".oc"))

        let report = try ns.compact(.filesRepair)
        #expect(report.figures[.files]?.skippedSpans.isEmpty == false)
        #expect(ns.masterLog.lines.contains { $0.level == .warning && $0.message.contains("skipped damaged span") })
        #expect(ns.compactionStatus.state == .off)
        #expect(try ns.snapshot() == before)
        ns.close()
        ns = try Namespace.boot(dir.configuration())   // the compacted log is clean: strict boot works
        #expect(try ns.snapshot() == before)
        ns.close()
    }
}
