import Changelog
import Testing
import LegacyEOS

@Suite("Legacy repair")
struct LegacyRepairTests {
    enum Fault: CaseIterable { case data, checksum, size, magic }

    /// EOS `ChangeLogTest::fsckTest`: 10,000 random records of 1 to 254 dwords, 100 broken (25 each
    /// by a payload dword, one CRC copy, the size field, the magic; never a magic right after
    /// another broken record).
    @Test func fsckContract() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let path = dir + "/random.mdlog"
        var rng = SeededGenerator(seed: 0x5EED_F5C4)
        let writer = try LegacyLogWriter.create(at: path, header: LegacyHeader(contentFlag: 0))
        for _ in 0..<10_000 {
            let dwords = Int.random(in: 1...254, using: &rng)
            var p: [UInt8] = []
            p.reserveCapacity(dwords * 4)
            for _ in 0..<dwords { withUnsafeBytes(of: UInt32.random(in: 0...UInt32.max, using: &rng)) { p += $0 } }
            try writer.append(.update, payload: p)
        }
        try writer.close()
        var bytes = try RepairTestFiles.readAll(path)
        let records = RepairTestFiles.legacyRecords(bytes).records.map { (offset: $0.offset, length: $0.payload.count + 24) }
        #expect(records.count == 10_000)

        var others = Set<Int>()
        while others.count < 75 { others.insert(Int.random(in: 0..<records.count, using: &rng)) }
        let sorted = others.sorted()
        var magics = Set<Int>()
        while magics.count < 25 {
            let k = Int.random(in: 1..<records.count, using: &rng)
            if !others.contains(k - 1) && !others.contains(k) { magics.insert(k) }
        }
        let plan: [(Fault, [Int])] = [(.data, Array(sorted[0..<25])), (.checksum, Array(sorted[25..<50])),
                                      (.size, Array(sorted[50..<75])), (.magic, magics.sorted())]
        for (fault, indices) in plan {
            for i in indices { Self.breakRecord(&bytes, at: records[i].offset, length: records[i].length, fault, &rng) }
        }
        let broken = dir + "/broken.mdlog"
        try RepairTestFiles.write(bytes, to: broken)

        let report = try LogRepair.repair(broken, to: dir + "/repaired.mdlog", format: .eos)
        #expect(report.scanned == report.healthy + report.notFixed)
        #expect(report.healthy == 9900 + 75)
        #expect(report.fixedWrongMagic == 25)
        #expect(report.fixedWrongChecksum == 25)
        #expect(report.fixedWrongSize == 25)
        #expect(report.bytesAccepted + report.bytesDiscarded == report.bytesTotal)
    }

    static func breakRecord(_ b: inout [UInt8], at offset: Int, length: Int, _ fault: Fault, _ rng: inout SeededGenerator) {
        func replace(_ at: Int, _ width: Int) {
            while true {
                let v = UInt64.random(in: 0...UInt64.max, using: &rng)
                var changed = false
                for k in 0..<width {
                    let byte = UInt8(truncatingIfNeeded: v >> (8 * k))
                    changed = changed || b[at + k] != byte
                    b[at + k] = byte
                }
                if changed { return }
            }
        }
        switch fault {
        case .data: replace(offset + 20 + 4 * Int.random(in: 0..<((length - 24) / 4), using: &rng), 4)
        case .checksum: replace(Bool.random(using: &rng) ? offset + 4 : offset + length - 4, 4)
        case .size: replace(offset + 2, 2)
        case .magic: replace(offset, 2)
        }
    }

    /// A written files log with damaged records: every other record survives, one discarded block
    /// per damaged record with its exact span, the output is a clean log with the input's content
    /// flag and COMPACTED flag, and the report has eos-log-repair's layout.
    @Test func writtenDamagedLogIsRepaired() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let (corpus, damaged) = try LegacyDamage.writeBrokenFilesLog(in: dir)
        let r = try LogRepair.repair(dir + "/broken.mdlog", to: dir + "/out.mdlog")
        #expect(r.format == .eos && r.header.isOK)
        #expect(r.scanned == corpus.filesLog.records.count)
        #expect(r.healthy == corpus.filesLog.records.count - damaged.count && r.notFixed == damaged.count)
        #expect(r.discardedSpans.map { [$0.start, $0.end] } == damaged.map { [UInt64($0.offset), UInt64($0.offset + $0.length)] })
        #expect(r.bytesDiscarded == UInt64(damaged.reduce(0) { $0 + $1.length }))
        let brokenBytes = UInt64(try RepairTestFiles.readAll(dir + "/broken.mdlog").count)
        #expect(r.bytesAccepted + r.bytesDiscarded == r.bytesTotal && r.bytesTotal == brokenBytes)
        #expect(r.outputContent == 1 && r.outputFlags == 0x0100_0101)
        let lines = r.text.split(separator: "\n")
        #expect(lines.first == "Header status: OK (version: 0x1, content: 0x1)")
        #expect(lines.filter { $0.hasPrefix("error: discarded block from offset [ ") }.count == damaged.count)
        #expect(lines.contains("Healthy:                \(r.healthy)"))
        let out = try RepairTestFiles.readAll(dir + "/out.mdlog")
        let (records, result) = RepairTestFiles.legacyRecords(out)
        #expect(result.failure == nil && result.end == out.count && records.count == r.healthy)
        let kept = corpus.filesLog.records.filter { w in !damaged.contains { $0.offset == w.offset } }
        #expect(records.map(\.payload) == kept.map { Array($0.payload) + [UInt8](repeating: 0, count: LegacyFormat.padded($0.payload.count) - $0.payload.count) })
    }

    /// Repairing a repaired (or clean) written log is a no-op: identical bytes, nothing discarded.
    @Test func repairOfRepairedWrittenLogIsNoOp() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let corpus = try LegacyCorpus.write(in: dir)
        var bytes = try RepairTestFiles.readAll(corpus.filesLog.path)
        _ = LegacyDamage.breakPayloads(&bytes, corpus.filesLog.records, every: 29)
        try RepairTestFiles.write(bytes, to: dir + "/broken.mdlog")
        let first = try LogRepair.repair(dir + "/broken.mdlog", to: dir + "/once.mdlog")
        let second = try LogRepair.repair(dir + "/once.mdlog", to: dir + "/twice.mdlog")
        #expect(first.notFixed > 0)
        #expect(second.notFixed == 0 && second.bytesDiscarded == 0 && second.discardedSpans.isEmpty)
        #expect(second.healthy == first.healthy && second.scanned == first.healthy)
        #expect(try RepairTestFiles.readAll(dir + "/once.mdlog") == RepairTestFiles.readAll(dir + "/twice.mdlog"))
        _ = try LogRepair.repair(corpus.filesLog.path, to: dir + "/clean-out.mdlog")
        #expect(try RepairTestFiles.readAll(corpus.filesLog.path) == RepairTestFiles.readAll(dir + "/clean-out.mdlog"))
    }

    /// A header overwritten with garbage: every record of a written log is still recovered, and the
    /// content flag and COMPACTED flag are inferred from the payloads instead of written as 0.
    @Test func brokenHeaderOfAWrittenLogIsInferred() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let corpus = try LegacyCorpus.write(in: dir)
        try Self.expectHeaderInferred([(corpus.filesLog.path, [0x47, 0x48, 0x43, 0x45, 1, 1, 0, 1]),
                                       (corpus.directoriesLog.path, [0x47, 0x48, 0x43, 0x45, 1, 2, 0, 0])], in: dir)
    }

    static func expectHeaderInferred(_ logs: [(path: String, flags: [UInt8])], in dir: String) throws {
        for (index, (path, flags)) in logs.enumerated() {
            var bytes = try RepairTestFiles.readAll(path)
            let count = RepairTestFiles.legacyRecords(bytes).records.count
            for i in 0..<8 { bytes[i] = 0xA5 }
            let broken = dir + "/header-\(index).mdlog"
            try RepairTestFiles.write(bytes, to: broken)
            let report = try LogRepair.repair(broken, to: broken + ".out")
            #expect(!report.header.isOK)
            #expect(report.format == .eos)
            #expect(report.healthy == count && report.notFixed == 0)
            let out = try RepairTestFiles.readAll(broken + ".out")
            #expect(Array(out[0..<8]) == flags)
        }
    }
}

extension EOSFixtureTests {
    /// Runs the repair on a copy of a fixture and compares with the legacy tool's stderr (all
    /// lines but the progress line, which the legacy tool printed and ours prints only on a
    /// terminal for big files).
    func expectLegacyFigures(_ fixture: String, report expected: String) throws -> RepairReport {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let input = try RepairTestFiles.copyFixture(fixture, to: dir)
        let report = try LogRepair.repair(input, to: dir + "/out.mdlog")
        let legacy = String(decoding: try RepairTestFiles.readAll(RepairTestFiles.fixturesDirectory() + expected), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("Progress:") && !$0.hasPrefix("Elapsed time:") }
        let ours = report.text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("Elapsed time:") }
        #expect(ours == legacy)
        #expect(report.scanned == report.healthy + report.notFixed)
        #expect(report.bytesAccepted + report.bytesDiscarded == report.bytesTotal)
        // The output is a clean legacy log holding exactly the healthy records.
        let out = try RepairTestFiles.readAll(dir + "/out.mdlog")
        let (records, result) = RepairTestFiles.legacyRecords(out)
        #expect(result.failure == nil && result.end == out.count && records.count == report.healthy)
        return report
    }

    @Test func fsckFixtureMatchesExpectedFigures() throws {
        let r = try expectLegacyFigures("random-10000.fsck-broken.mdlog", report: "random-10000.fsck-repair-report.txt")
        #expect(r.scanned == 10000 && r.healthy == 9975 && r.notFixed == 25)
        #expect(r.fixedWrongMagic == 25 && r.fixedWrongChecksum == 25 && r.fixedWrongSize == 25)
        #expect(r.bytesDiscarded == 12888)
    }

    @Test func breakFileFixtureMatchesLegacyReport() throws {
        let r = try expectLegacyFigures("random-10000.broken.mdlog", report: "random-10000.repair-report.txt")
        #expect(r.healthy >= 9911)
    }

    @Test func filesFixtureMatchesLegacyReportAndKeepsCompactedFlag() throws {
        let r = try expectLegacyFigures("files.broken.mdlog", report: "files.repair-report.txt")
        #expect(r.healthy >= 11319)
        #expect(r.outputContent == 1)
        #expect(r.outputFlags == 0x0100_0101)
    }

    /// Repairing a repaired (or clean) legacy log is a no-op: identical bytes, nothing discarded.
    @Test func repairOfRepairedFixtureIsNoOp() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let input = try RepairTestFiles.copyFixture("files.broken.mdlog", to: dir)
        let first = try LogRepair.repair(input, to: dir + "/once.mdlog")
        let second = try LogRepair.repair(dir + "/once.mdlog", to: dir + "/twice.mdlog")
        #expect(second.notFixed == 0 && second.bytesDiscarded == 0 && second.discardedSpans.isEmpty)
        #expect(second.healthy == first.healthy && second.scanned == first.healthy)
        #expect(try RepairTestFiles.readAll(dir + "/once.mdlog") == RepairTestFiles.readAll(dir + "/twice.mdlog"))
        let clean = try RepairTestFiles.copyFixture("files.mdlog", to: dir)
        _ = try LogRepair.repair(clean, to: dir + "/clean-out.mdlog")
        #expect(try RepairTestFiles.readAll(clean) == RepairTestFiles.readAll(dir + "/clean-out.mdlog"))
    }

    /// A header overwritten with garbage: every record is still recovered, and the content flag
    /// and COMPACTED flag are inferred instead of written as 0.
    @Test func brokenFixtureHeaderIsInferred() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        for (fixture, flags) in [("files.mdlog", [0x47, 0x48, 0x43, 0x45, 1, 1, 0, 1] as [UInt8]),
                                 ("directories.mdlog", [0x47, 0x48, 0x43, 0x45, 1, 2, 0, 0])] {
            var bytes = try RepairTestFiles.readAll(RepairTestFiles.fixturesDirectory() + fixture)
            let count = RepairTestFiles.legacyRecords(bytes).records.count
            for i in 0..<8 { bytes[i] = 0xA5 }
            try RepairTestFiles.write(bytes, to: dir + "/" + fixture)
            let report = try LogRepair.repair(dir + "/" + fixture, to: dir + "/" + fixture + ".out")
            #expect(!report.header.isOK)
            #expect(report.format == .eos)
            #expect(report.healthy == count && report.notFixed == 0)
            let out = try RepairTestFiles.readAll(dir + "/" + fixture + ".out")
            #expect(Array(out[0..<8]) == flags)
        }
    }
}
