import Changelog
import Testing
import Platform
import LegacyEOS

@Suite("Legacy verify and statistics")
struct LegacyToolsTests {
    /// The statistics count what was written, and project the size `eos-log-compact` writes
    /// (checked against a compacted copy written record by record).
    @Test func statisticsOfWrittenLogs() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let corpus = try LegacyCorpus.write(in: dir)
        for (log, flag, live) in [(corpus.filesLog, UInt16(1), corpus.files.count), (corpus.directoriesLog, 2, corpus.containers.count)] {
            let s = LogStatistics.compute(legacy: try LegacyLogFile(path: log.path))
            #expect(s.records == log.records.count)
            var byType = ["update": log.updates, "delete": log.deletes]
            if log.stamps > 0 { byType["stamp"] = log.stamps }
            #expect(s.recordsByType == byType)
            #expect(s.liveRecords == live)
            #expect(s.deadRecords == log.records.count - live)
            let compacted = try LegacyCorpus.writeCompacted(log, contentFlag: flag, to: log.path + ".compacted")
            #expect(s.projectedCompactedBytes == compacted)
        }
    }

    @Test func verifyIsCleanOnWrittenLogs() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let corpus = try LegacyCorpus.write(in: dir)
        _ = try LegacyCorpus.writeCompacted(corpus.filesLog, contentFlag: 1, to: dir + "/files.compacted.mdlog")
        for path in [corpus.filesLog.path, corpus.directoriesLog.path, dir + "/files.compacted.mdlog"] {
            let report = LegacyVerifier.verify(path: path)
            #expect(report.isClean, "\(path): \(report.findings)")
            #expect(report.header != nil)
        }
    }

    /// Every damaged record of a written log lies inside one finding, and each finding is a real span.
    @Test func verifyListsEveryDamagedRegionOfAWrittenLog() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let (_, damaged) = try LegacyDamage.writeBrokenFilesLog(in: dir)
        let report = LegacyVerifier.verify(path: dir + "/broken.mdlog")
        #expect(report.findings.count == damaged.count)
        for r in damaged {
            let covered = report.findings.contains { f in
                Int(f.offset.rawValue) <= r.offset && r.offset + r.length <= Int(f.offset.rawValue) + Int(f.length)
            }
            #expect(covered, "record at \(r.offset) not reported")
        }
        for f in report.findings { #expect(f.length > 0) }
    }

    @Test func verifyReportsADamagedHeaderAndUndecodablePayloads() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let corpus = try LegacyCorpus.write(in: dir)
        var bytes = try RepairTestFiles.readAll(corpus.directoriesLog.path)
        bytes[0] = 0
        try RepairTestFiles.write(bytes, to: dir + "/broken-header.mdlog")
        let report = LegacyVerifier.verify(path: dir + "/broken-header.mdlog")
        #expect(report.findings.count == 1)
        #expect(report.findings.first?.offset == LogOffset(0))
        #expect(report.records == corpus.directoriesLog.records.count)

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

/// Byte surgery on written legacy logs.
enum LegacyDamage {
    /// Writes the corpus in `dir`, and its files log with every 17th update's payload damaged as
    /// `<dir>/broken.mdlog`; returns the corpus and the damaged records.
    static func writeBrokenFilesLog(in dir: String) throws -> (corpus: LegacyCorpus, damaged: [LegacyCorpus.Record]) {
        let corpus = try LegacyCorpus.write(in: dir)
        var bytes = try RepairTestFiles.readAll(corpus.filesLog.path)
        let damaged = breakPayloads(&bytes, corpus.filesLog.records, every: 17)
        try RepairTestFiles.write(bytes, to: dir + "/broken.mdlog")
        return (corpus, damaged)
    }

    /// Changes one payload byte of every `every`-th update (never two adjacent records, never the
    /// first or the last), so its CRC no longer matches; returns the damaged records.
    static func breakPayloads(_ bytes: inout [UInt8], _ records: [LegacyCorpus.Record], every: Int) -> [LegacyCorpus.Record] {
        var damaged: [LegacyCorpus.Record] = []
        for (i, r) in records.enumerated() where i > 0 && i < records.count - 1 && i % every == every / 2 && r.type == .update {
            bytes[r.offset + LegacyFormat.recordHeaderSize + 9] ^= 0x5A
            damaged.append(r)
        }
        return damaged
    }
}

extension EOSFixtureTests {
    @Test func statisticsMatchEosLogCompact() throws {
        let files = LogStatistics.compute(legacy: try LegacyLogFile(path: EOSFixtures.directory + "files.mdlog"))
        // files.compact-report.txt: updated 11266, deleted 139, total 11406, kept 2380.
        #expect(files.records == 11406)
        #expect(files.recordsByType == ["update": 11266, "delete": 139, "stamp": 1])
        #expect(files.liveRecords == 2380)
        #expect(files.deadRecords == 11406 - 2380)
        #expect(files.projectedCompactedBytes == FileSystem.size(EOSFixtures.directory + "files.compacted.mdlog"))
        let dirs = LogStatistics.compute(legacy: try LegacyLogFile(path: EOSFixtures.directory + "directories.mdlog"))
        #expect(dirs.records == 9261)
        #expect(dirs.liveRecords == 357)
        #expect(dirs.projectedCompactedBytes == FileSystem.size(EOSFixtures.directory + "directories.compacted.mdlog"))
    }

    @Test func verifyIsCleanOnIntactFixtures() {
        for name in ["files.mdlog", "directories.mdlog", "random-10000.mdlog", "files.compacted.mdlog"] {
            let report = LegacyVerifier.verify(path: EOSFixtures.directory + name)
            #expect(report.isClean, "\(name): \(report.findings)")
            #expect(report.header != nil)
        }
    }

    /// Every discarded block eos-log-repair reports lies inside a finding of the verifier.
    @Test func verifyListsEveryRegionEOSRepairDiscards() throws {
        let report = LegacyVerifier.verify(path: EOSFixtures.directory + "files.broken.mdlog")
        #expect(!report.isClean)
        let text = String(decoding: try RepairTestFiles.readAll(EOSFixtures.directory + "files.repair-report.txt"), as: UTF8.self)
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

    @Test func verifyReportsADamagedFixtureHeader() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        var bytes = try RepairTestFiles.readAll(EOSFixtures.directory + "directories.compacted.mdlog")
        bytes[0] = 0
        try RepairTestFiles.write(bytes, to: dir + "/broken-header.mdlog")
        let report = LegacyVerifier.verify(path: dir + "/broken-header.mdlog")
        #expect(report.findings.count == 1)
        #expect(report.findings.first?.offset == LogOffset(0))
        #expect(report.records == 358)
    }
}
