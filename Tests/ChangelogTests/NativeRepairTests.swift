import Changelog
import Testing
import LegacyEOS

@Suite("Native repair")
struct NativeRepairTests {
    struct Written {
        var sequence: UInt64
        var type: RecordType
        var payload: [UInt8]
        var frame: Range<Int>
    }

    /// A native log of `count` random records (one frame each), and what was written.
    static func makeLog(at path: String, count: Int, rng: inout SeededGenerator,
                        kind: ContentKind = .files) throws -> [Written] {
        let log = try Changelog.open(at: path, configuration: ChangelogConfiguration(
            creation: .createNew, contentKind: kind, durability: .none))
        var written: [Written] = []
        var batch: [PendingRecord] = []
        for i in 0..<count {
            let n = Int.random(in: 1...300, using: &rng)
            let payload = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            batch.append(PendingRecord(i % 11 == 0 ? .delete : .update, payload: payload))
            if batch.count == 500 || i == count - 1 {
                let results = try log.append(batch: batch)
                for (r, p) in zip(results, batch) {
                    let start = Int(r.position.offset.rawValue)
                    written.append(Written(sequence: r.sequence.rawValue, type: p.type, payload: p.payload,
                                           frame: start..<(start + 32 + (p.payload.count + 7) & ~7)))
                }
                batch.removeAll()
            }
        }
        try log.setFlags(.compacted)
        try log.sync()
        log.close()
        return written
    }

    /// Every record of a native log, read back through a strict open.
    static func records(_ path: String) throws -> [(UInt64, RecordType, [UInt8])] {
        var out: [(UInt64, RecordType, [UInt8])] = []
        let log = try Changelog.open(at: path, configuration: .readOnly) { r in
            out.append((r.sequence.rawValue, r.type, r.copyPayload()))
        }
        #expect(log.openReport.tornTail == nil && log.openReport.damagedSpans.isEmpty)
        log.close()
        return out
    }

    /// 100 regions of up to 10 random bytes: every record whose frame no changed byte touches is
    /// recovered, in order, with its sequence number; the output opens strictly.
    @Test func randomDamageKeepsEveryUntouchedRecord() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        var rng = SeededGenerator(seed: 42)
        let path = dir + "/files.beryl"
        let written = try Self.makeLog(at: path, count: 10_000, rng: &rng)
        var bytes = try RepairTestFiles.readAll(path)
        var changed = Set<Int>()
        for _ in 0..<100 {
            let at = Int.random(in: RecordFormat.fileHeaderSize..<bytes.count, using: &rng)
            for i in at..<min(bytes.count, at + Int.random(in: 1...10, using: &rng)) {
                bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
                changed.insert(i)
            }
        }
        try RepairTestFiles.write(bytes, to: dir + "/broken.beryl")
        let report = try LogRepair.repair(dir + "/broken.beryl", to: dir + "/repaired.beryl")
        #expect(report.format == .beryl && report.header.isOK)
        let untouched = written.filter { w in !w.frame.contains { changed.contains($0) } }
        let got = try Self.records(dir + "/repaired.beryl")
        #expect(got.count == untouched.count)
        #expect(report.healthy == untouched.count)
        #expect(report.notFixed > 0 && report.notFixed == report.discardedSpans.count)
        #expect(report.scanned == report.healthy + report.notFixed)
        #expect(report.bytesAccepted + report.bytesDiscarded == report.bytesTotal)
        for (w, g) in zip(untouched, got) {
            #expect(g.0 == w.sequence && g.1 == w.type && g.2 == w.payload)
        }
        let out = try RepairTestFiles.readAll(dir + "/repaired.beryl")
        let header = try out.withUnsafeBytes { b in try FileHeader.decode(b, path: "out") }
        #expect(header.contentKind == .files && header.flags == .compacted)

        // (d) repair of the repaired file is a no-op.
        let again = try LogRepair.repair(dir + "/repaired.beryl", to: dir + "/again.beryl")
        #expect(again.notFixed == 0 && again.bytesDiscarded == 0 && again.healthy == report.healthy)
        let twice = try Self.records(dir + "/again.beryl")
        #expect(twice.count == got.count)
        #expect(zip(twice, got).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 && $0.2 == $1.2 })
    }

    /// A long damaged span (far more than the 1 KiB an open salvages) is skipped all the same.
    @Test func longDamageIsSkipped() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        var rng = SeededGenerator(seed: 9)
        let written = try Self.makeLog(at: dir + "/log.beryl", count: 2_000, rng: &rng)
        var bytes = try RepairTestFiles.readAll(dir + "/log.beryl")
        let from = written[100].frame.lowerBound + 5
        let to = written[900].frame.upperBound - 3
        for i in from..<to { bytes[i] = 0 }
        try RepairTestFiles.write(bytes, to: dir + "/broken.beryl")
        let report = try LogRepair.repair(dir + "/broken.beryl", to: dir + "/out.beryl")
        #expect(report.healthy == 2_000 - 801)
        #expect(report.discardedSpans.count == 1)
        #expect(try Self.records(dir + "/out.beryl").map(\.0) == (written[0..<100] + written[901...]).map(\.sequence))
    }
}
