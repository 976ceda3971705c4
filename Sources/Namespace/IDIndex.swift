/// Maps an id to its row. Ids come from a counter, so they are dense: a plain array indexed by
/// id (4 bytes per id, sequential ids touch sequential memory, which keeps boot cache-friendly)
/// covers ids up to a bound proportional to the number of entries; ids beyond it (imports,
/// sharded id ranges, hostile logs) go to a hash table, so memory stays O(entries) whatever
/// the ids are.
struct IDIndex {
    private var dense: [UInt32] = []   // row, or `empty`
    private var sparse = RefTable()
    private(set) var count = 0
    private static let empty = UInt32.max

    var bytes: Int { dense.capacity * 4 + sparse.bytes }

    /// Ids below this may live in the dense array (it keeps at least 1/4 of its slots used).
    private var denseLimit: UInt64 { UInt64(max(4 * (count + 1), 1 << 16)) }

    @inline(__always)
    func find(_ id: UInt64, rowID: (UInt32) -> UInt64) -> UInt32? {
        if id < UInt64(dense.count) {
            let r = dense[Int(id)]
            return r == Self.empty ? nil : r
        }
        return sparse.count == 0 ? nil : sparse.find(hash: Hashing.id(id)) { rowID($0) == id }
    }

    /// Adds `id` (not present) at `row`. `rowID` gives the id stored in a row.
    @inline(__always)
    mutating func insert(_ id: UInt64, row: UInt32, rowID: (UInt32) -> UInt64) {
        if id >= UInt64(dense.count) && id < denseLimit {
            growDense(to: Int(min(max(id + 1, UInt64(dense.count) * 2), denseLimit)), rowID: rowID)
        }
        if id < UInt64(dense.count) {
            dense[Int(id)] = row
        } else {
            sparse.insert(hash: Hashing.id(id), ref: row)
        }
        count += 1
    }

    mutating func remove(_ id: UInt64, row: UInt32) {
        if id < UInt64(dense.count) {
            guard dense[Int(id)] == row else { return }
            dense[Int(id)] = Self.empty
        } else {
            guard sparse.remove(hash: Hashing.id(id), ref: row) else { return }
        }
        count -= 1
    }

    /// Extends the dense array and moves the sparse entries it now covers.
    private mutating func growDense(to size: Int, rowID: (UInt32) -> UInt64) {
        dense.append(contentsOf: repeatElement(Self.empty, count: size - dense.count))
        guard sparse.count > 0 else { return }
        let old = sparse
        sparse = RefTable()
        old.forEach { _, row in
            let id = rowID(row)
            if id < UInt64(dense.count) { dense[Int(id)] = row } else { sparse.insert(hash: Hashing.id(id), ref: row) }
        }
    }

    // MARK: Checkpoints (CheckpointFile.swift)

    /// What a checkpoint stores of the index: the dense array and the sparse table's slots.
    struct Image {
        var dense: [UInt32]
        var sparseSlots: [UInt64]
        var sparseCount: Int
        var count: Int
    }

    init() {}

    var image: Image { Image(dense: dense, sparseSlots: sparse.storedSlots, sparseCount: sparse.count, count: count) }

    /// An index from a checkpoint, checked against the rows it points into: every dense entry is
    /// empty or a row holding that id, every sparse entry a row whose id is at or above the dense
    /// bound, and `count` is the number of entries. Nil when any check fails.
    init?(image: Image, rowCount: Int, rowID: (UInt32) -> UInt64) {
        var entries = 0
        for (id, row) in image.dense.enumerated() where row != Self.empty {
            guard Int(row) < rowCount, rowID(row) == UInt64(id) else { return nil }
            entries += 1
        }
        let bound = UInt64(image.dense.count)
        guard let sparse = RefTable(storedSlots: image.sparseSlots, count: image.sparseCount,
                                    isValid: { Int($0) < rowCount && rowID($0) >= bound && rowID($0) != 0 }) else { return nil }
        guard entries + image.sparseCount == image.count else { return nil }
        self.dense = image.dense
        self.sparse = sparse
        self.count = image.count
    }
}
