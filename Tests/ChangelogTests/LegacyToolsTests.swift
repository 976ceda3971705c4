import Changelog
import Testing

@Suite("Legacy verify and statistics")
struct LegacyToolsTests {
    static let fixtures = RepairTestFiles.fixturesDirectory()

    @Test func statisticsMatchEosLogCompact() throws {
        let files = LogStatistics.compute(legacy: try LegacyLogFile(path: Self.fixtures + "files.mdlog"))
        // files.compact-report.txt: updated 11266, deleted 139, total 11406, kept 2380.
        #expect(files.records == 11406)
        #expect(files.recordsByType == ["update": 11266, "delete": 139, "stamp": 1])
        #expect(files.liveRecords == 2380)
        #expect(files.deadRecords == 11406 - 2380)
        #expect(files.projectedCompactedBytes == FileSystem.size(Self.fixtures + "files.compacted.mdlog"))
        let dirs = LogStatistics.compute(legacy: try LegacyLogFile(path: Self.fixtures + "directories.mdlog"))
        #expect(dirs.records == 9261)
        #expect(dirs.liveRecords == 357)
        #expect(dirs.projectedCompactedBytes == FileSystem.size(Self.fixtures + "directories.compacted.mdlog"))
    }

    @Test func verifyIsCleanOnIntactLogs() {
        for name in ["files.mdlog", "directories.mdlog", "random-10000.mdlog", "files.compacted.mdlog"] {
            let report = LegacyVerifier.verify(path: Self.fixtures + name)
            #expect(report.isClean, "\(name): \(report.findings)")
            #expect(report.header != nil)
        }
    }

    /// Every discarded block eos-log-repair reports lies inside a finding of the verifier.
    @Test func verifyListsEveryDamagedRegion() throws {
        let report = LegacyVerifier.verify(path: Self.fixtures + "files.broken.mdlog")
        #expect(!report.isClean)
        let text = String(decoding: try RepairTestFiles.readAll(Self.fixtures + "files.repair-report.txt"), as: UTF8.self)
        var blocks: [(Int, Int)] = []
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) where line.hasPrefix("error: discarded block") {
            let parts = line.split(separator: " ")
            guard parts.count > 8, let a = Int(parts[6], radix: 16), let b = Int(parts[8], radix: 16) else { continue }
            blocks.append((a, b))
        }
        #expect(blocks.count == 87)
        for (a, b) in blocks {
            let covered = report.findings.contains { f in
                Int(f.offset.rawValue) <= a && b <= Int(f.offset.rawValue) + Int(f.length)
            }
            #expect(covered, "block \(a)..<\(b) not reported")
        }
        // Every finding is a real span: after it, a valid record (or the end).
        for f in report.findings { #expect(f.length > 0) }
    }

    @Test func verifyReportsADamagedHeaderAndUndecodablePayloads() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        var bytes = try RepairTestFiles.readAll(Self.fixtures + "directories.compacted.mdlog")
        bytes[0] = 0
        try RepairTestFiles.write(bytes, to: dir + "/broken-header.mdlog")
        let report = LegacyVerifier.verify(path: dir + "/broken-header.mdlog")
        #expect(report.findings.count == 1)
        #expect(report.findings.first?.offset == LogOffset(0))
        #expect(report.records == 358)

        let path = dir + "/short.mdlog"
        let writer = try LegacyLogWriter.create(at: path, header: LegacyHeader(contentFlag: 1))
        try writer.append(.update, payload: [1, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9])
        try writer.append(.delete, payload: [1, 2])
        try writer.close()
        let short = LegacyVerifier.verify(path: path)
        #expect(short.findings.count == 2)
        #expect(short.findings.first?.reason.contains("does not decode") == true)
    }
}
