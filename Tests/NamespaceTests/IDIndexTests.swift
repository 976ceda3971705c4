import Testing
@testable import Namespace

/// The id index against a dictionary: dense ids, huge ids, removals and dense growth that
/// migrates sparse entries.
@Suite struct IDIndexTests {
    @Test func agreesWithDictionary() {
        var g = SeededGenerator(seed: 5)
        var index = IDIndex()
        var rows: [UInt64] = []           // row -> id (0 = free)
        var reference: [UInt64: UInt32] = [:]
        for step in 0..<40_000 {
            let roll = Int.random(in: 0..<10, using: &g)
            if roll < 6 || reference.isEmpty {
                let id: UInt64 = roll == 0 ? UInt64.random(in: 1...(1 << 62), using: &g)
                                           : UInt64(step) + UInt64.random(in: 0...3, using: &g) * 70_000
                guard reference[id] == nil else { continue }
                rows.append(id)
                let row = UInt32(rows.count - 1)
                index.insert(id, row: row) { rows[Int($0)] }
                reference[id] = row
            } else {
                let id = reference.keys.randomElement(using: &g)!
                index.remove(id, row: reference[id]!)
                rows[Int(reference[id]!)] = 0
                reference[id] = nil
            }
            if step % 1000 == 0 {
                for (id, row) in reference { #expect(index.find(id) { rows[Int($0)] } == row) }
                #expect(index.find(UInt64.max) { rows[Int($0)] } == nil)
            }
        }
        #expect(index.count == reference.count)
        #expect(index.bytes < 64 * reference.count + (1 << 20))
    }
}
