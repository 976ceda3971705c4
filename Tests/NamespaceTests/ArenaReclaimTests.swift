import BerylTestSupport
import Testing
@testable import Namespace

/// The row table's arena reclaim: random inserts, replacements and removals against a model, with
/// the incremental reclaim (a serving namespace) and the whole copy (boot).
@Suite struct ArenaReclaimTests {
    struct TestRow: TableRow {
        var id: UInt64
        var extrasOffset: UInt64 = 0
        var extrasLength: UInt32 = 0
        static func decodeRecord(_ payload: UnsafeRawBufferPointer) throws(CodecError) -> (TestRow, UnsafeRawBufferPointer) {
            (TestRow(id: 0), payload)
        }
    }

    static func section(_ id: UInt64, _ version: Int, using rng: inout SeededRandom) -> [UInt8] {
        let count = Int.random(in: 0...300, using: &rng)
        return (0..<count).map { UInt8(truncatingIfNeeded: Int(id) &* 31 &+ version &* 7 &+ $0) }
    }

    static func check(_ table: RowTable<TestRow>, _ model: [UInt64: [UInt8]]) {
        #expect(table.count == model.count)
        for (id, bytes) in model {
            guard let row = table.row(of: id) else {
                Issue.record("id \(id) missing")
                return
            }
            #expect(table.withExtras(row) { Array($0) } == bytes, "id \(id)")
        }
    }

    @Test(arguments: [ArenaReclaim.incremental, .wholeCopy])
    func sectionsSurviveEveryReclaim(_ reclaim: ArenaReclaim) {
        var rng = SeededRandom(seed: 11)
        var table = RowTable<TestRow>()
        table.reclaim = reclaim
        var model: [UInt64: [UInt8]] = [:]
        var ids: [UInt64] = []
        var nextID: UInt64 = 1
        var liveBytes = 0
        var largestArenaBytes = 0
        var largestLiveBytes = 0
        for step in 0..<60_000 {
            let op = ids.isEmpty ? 0 : Int.random(in: 0..<10, using: &rng)
            let pick = ids.isEmpty ? 0 : Int.random(in: 0..<ids.count, using: &rng)
            switch op {
            case 0..<3:
                let bytes = Self.section(nextID, step, using: &rng)
                bytes.withUnsafeBytes { _ = table.insert(TestRow(id: nextID), extras: $0) }
                model[nextID] = bytes
                ids.append(nextID)
                liveBytes += bytes.count
                nextID += 1
            case 3..<8:
                let id = ids[pick]
                let row = table.row(of: id)!
                if Bool.random(using: &rng) {
                    let bytes = Self.section(id, step, using: &rng)
                    bytes.withUnsafeBytes { table.replace(row, with: TestRow(id: id), extras: $0) }
                    liveBytes += bytes.count - model[id]!.count
                    model[id] = bytes
                } else {
                    table.replace(row, with: TestRow(id: id), extras: nil)
                }
            default:
                let id = ids[pick]
                table.remove(table.row(of: id)!)
                liveBytes -= model[id]!.count
                model[id] = nil
                ids.swapAt(pick, ids.count - 1)
                ids.removeLast()
            }
            if step % 5_000 == 4_999 { Self.check(table, model) }
            largestArenaBytes = max(largestArenaBytes, table.storageBytes)
            largestLiveBytes = max(largestLiveBytes, liveBytes)
        }
        Self.check(table, model)
        // Without any reclaim the arena would hold every section ever written (about 9 MB here).
        #expect(largestArenaBytes < 4 * largestLiveBytes + (1 << 20), "arena \(largestArenaBytes) B for \(largestLiveBytes) B live")
        table.compactArena()
        #expect(table.isSingleUntaggedArena)
        #expect(table.arenaGarbageRatio == 0)
        Self.check(table, model)
    }

    /// Sections spill into new chunks instead of reallocating: every offset keeps reading its bytes,
    /// a section larger than a chunk gets one of its own, and a reserved arena stays one chunk.
    @Test func chunksNeverMoveSections() {
        var arena = ByteArena()
        var placed: [(offset: UInt64, fill: UInt8, count: Int)] = []
        var rng = SeededRandom(seed: 5)
        var total = 0
        while total < 2 * ByteArena.chunkBytes + 12_345 {
            let count = Int.random(in: 1...60_000, using: &rng)
            let fill = UInt8(truncatingIfNeeded: placed.count)
            let offset = [UInt8](repeating: fill, count: count).withUnsafeBytes { arena.append($0) }
            placed.append((offset, fill, count))
            total += count
        }
        let big = ByteArena.chunkBytes + 1
        placed.append(([UInt8](repeating: 0xAB, count: big).withUnsafeBytes { arena.append($0) }, 0xAB, big))
        let spanned = !arena.isOneChunk, counted = arena.count
        #expect(spanned)
        #expect(counted == total + big)
        var intact = 0
        for p in placed where arena.withBytes(at: p.offset, length: UInt32(p.count), { $0.allSatisfy { $0 == p.fill } }) {
            intact += 1
        }
        #expect(intact == placed.count)
        var reserved = ByteArena()
        reserved.reserve(total)
        for p in placed.dropLast() { _ = [UInt8](repeating: p.fill, count: p.count).withUnsafeBytes { reserved.append($0) } }
        let oneChunk = reserved.isOneChunk
        #expect(oneChunk)
    }
}
