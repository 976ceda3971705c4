/// A row type kept in a `RowTable`: a trivial struct whose variable section lives in the table's arena.
protocol TableRow {
    /// 0 marks a free row.
    var id: UInt64 { get set }
    var extrasOffset: UInt64 { get set }
    var extrasLength: UInt32 { get set }
    /// Decodes an update payload: the row and its variable section (a slice of `payload`).
    static func decodeRecord(_ payload: UnsafeRawBufferPointer) throws(CodecError) -> (Self, UnsafeRawBufferPointer)
}

extension FileRow: TableRow {
    @inline(__always)
    static func decodeRecord(_ payload: UnsafeRawBufferPointer) throws(CodecError) -> (FileRow, UnsafeRawBufferPointer) {
        try FileCodec.decodeRow(payload)
    }
}

extension ContainerRow: TableRow {
    @inline(__always)
    static func decodeRecord(_ payload: UnsafeRawBufferPointer) throws(CodecError) -> (ContainerRow, UnsafeRawBufferPointer) {
        try ContainerCodec.decodeRow(payload)
    }
}

/// Rows of one kind: a dense array (free rows reused), an id index, and the arena of variable
/// sections. Not thread-safe; the namespace serialises access under its lock.
struct RowTable<Row: TableRow> {
    var rows: [Row] = []
    private var freeRows: [UInt32] = []
    private var index = IDIndex()
    private(set) var arena = ByteArena()
    /// Largest id ever seen (updates and deletes), so ids are never reused.
    var largestID: UInt64 = 0
    /// Whether `replace` and `remove` compact the arena when half of it is garbage. A replica turns
    /// this off and compacts between its lock slices instead (see `Namespace.receive`), so one update
    /// never holds the write lock for a copy of every live section.
    var compactsArenaInline = true

    var count: Int { index.count }

    /// Bytes in use by the table (rows, id index, arena including garbage), for statistics.
    /// Reserved but untouched capacity is not counted: it is virtual memory only.
    var storageBytes: Int {
        rows.count * MemoryLayout<Row>.stride + index.bytes + arena.count + freeRows.count * 4
    }

    /// Reserves (virtual, untouched until used) room for `n` rows. The id index is not
    /// reserved: it is zero-filled, so a guess inflated by dead records would stay resident.
    mutating func reserve(_ n: Int, extrasBytes: Int) {
        rows.reserveCapacity(n)
        arena.reserve(extrasBytes)
    }

    @inline(__always)
    func row(of id: UInt64) -> Int? {
        index.find(id) { rows[Int($0)].id }.map { Int($0) }
    }

    @inline(__always)
    mutating func noteID(_ id: UInt64) { if id > largestID { largestID = id } }

    /// Adds a row (its id must not be present); returns its index.
    @discardableResult
    mutating func insert(_ row: Row, extras: UnsafeRawBufferPointer) -> Int {
        var r = row
        r.extrasOffset = arena.append(extras)
        r.extrasLength = UInt32(extras.count)
        noteID(r.id)
        let at: Int
        if let free = freeRows.popLast() {
            at = Int(free)
            rows[at] = r
        } else {
            at = rows.count
            rows.append(r)
        }
        index.insert(r.id, row: UInt32(at)) { rows[Int($0)].id }
        return at
    }

    /// Replaces row `at` (same id) with `row`; a nil `extras` keeps the current variable section.
    @inline(__always)
    mutating func replace(_ at: Int, with row: Row, extras: UnsafeRawBufferPointer?) {
        var r = row
        let old = rows[at]
        if let extras {
            arena.release(old.extrasLength)
            r.extrasOffset = arena.append(extras)
            r.extrasLength = UInt32(extras.count)
        } else {
            r.extrasOffset = old.extrasOffset
            r.extrasLength = old.extrasLength
        }
        rows[at] = r
        if compactsArenaInline && arena.needsCompaction { compactArena() }
    }

    mutating func remove(_ at: Int) {
        let old = rows[at]
        index.remove(old.id, row: UInt32(at))
        arena.release(old.extrasLength)
        rows[at].id = 0
        rows[at].extrasLength = 0
        freeRows.append(UInt32(at))
        if compactsArenaInline && arena.needsCompaction { compactArena() }
    }

    @inline(__always)
    func withExtras<R>(_ at: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let r = rows[at]
        return arena.withBytes(at: r.extrasOffset, length: r.extrasLength, body)
    }

    @inline(__always)
    func withExtras<R, E: Error>(_ at: Int, throwing body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let r = rows[at]
        return try arena.withBytes(at: r.extrasOffset, length: r.extrasLength, throwing: body)
    }

    /// The name: the first field of every variable section (u8 length, bytes).
    @inline(__always)
    func withName<R>(_ at: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        withExtras(at) { e in
            let n = e.isEmpty ? 0 : Int(e[0])
            return body(UnsafeRawBufferPointer(rebasing: e[1..<(1 + n)]))
        }
    }

    func name(_ at: Int) -> [UInt8] { withName(at) { Array($0) } }

    /// The name's bytes in the arena, valid until the table next changes (no closure: for hot
    /// mutating paths, where a closure capturing the tree would copy it).
    @inline(__always)
    func nameBytes(_ at: Int) -> UnsafeRawBufferPointer {
        let r = rows[at]
        let e = arena.unsafeBytes(at: r.extrasOffset, length: r.extrasLength)
        guard !e.isEmpty else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: e[1..<min(e.count, 1 + Int(e[0]))])
    }

    /// Indices of live rows.
    func forEachLive(_ body: (Int) -> Void) {
        for i in rows.indices where rows[i].id != 0 { body(i) }
    }

    /// A compacted copy of the arena and each row's offset in it (0 for free rows), built with read
    /// access only: a replica builds it under the namespace's read lock, while reads go on, and
    /// installs it with `installCompactedArena` under the write lock, where only offsets are set.
    /// Valid only if the table does not change in between (a replica's single applying thread).
    func compactedArena() -> (ByteArena, [UInt64]) {
        var fresh = ByteArena()
        fresh.reserve(arena.count - arena.garbage)
        var offsets = [UInt64](repeating: 0, count: rows.count)
        for i in rows.indices where rows[i].id != 0 {
            let r = rows[i]
            offsets[i] = arena.withBytes(at: r.extrasOffset, length: r.extrasLength) { fresh.append($0) }
        }
        return (fresh, offsets)
    }

    mutating func installCompactedArena(_ fresh: ByteArena, offsets: [UInt64]) {
        precondition(offsets.count == rows.count, "the table changed since its arena was compacted")
        for i in rows.indices where rows[i].id != 0 { rows[i].extrasOffset = offsets[i] }
        arena = fresh
    }

    /// Copies every live variable section into a fresh arena, dropping the garbage.
    mutating func compactArena() {
        var fresh = ByteArena()
        fresh.reserve(arena.count - arena.garbage)
        for i in rows.indices where rows[i].id != 0 {
            let r = rows[i]
            rows[i].extrasOffset = arena.withBytes(at: r.extrasOffset, length: r.extrasLength) { fresh.append($0) }
        }
        arena = fresh
    }
}
