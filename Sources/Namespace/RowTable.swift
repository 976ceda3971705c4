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
    /// Where new variable sections go.
    private(set) var arena = ByteArena()
    /// Largest id ever seen (updates and deletes), so ids are never reused.
    var largestID: UInt64 = 0
    /// How garbage in the arena is reclaimed once half of it is garbage (see `ArenaReclaim`).
    var reclaim = ArenaReclaim.wholeCopy
    /// During an incremental reclaim: the previous arena, emptied a few rows per mutation. Rows whose
    /// offset does not carry `arenaTag` still point into it.
    private var draining: ByteArena? = nil
    /// The next row an incremental reclaim looks at.
    private var drainCursor = 0
    /// Bit 63 of every row's offset names its arena: `arenaTag` for `arena`, the other value for
    /// `draining`. It flips at the start of each incremental reclaim.
    private var arenaTag: UInt64 = 0
    private static var tagBit: UInt64 { 1 << 63 }

    var count: Int { index.count }

    /// Bytes in use by the table (rows, id index, arena including garbage), for statistics.
    /// Reserved but untouched capacity is not counted: it is virtual memory only.
    var storageBytes: Int {
        rows.count * MemoryLayout<Row>.stride + index.bytes + arena.count + (draining?.count ?? 0) + freeRows.count * 4
    }

    /// The share of the arenas' bytes that is garbage (a draining arena's are all garbage or copied).
    var arenaGarbageRatio: Double {
        let total = arena.count + (draining?.count ?? 0)
        let garbage = arena.garbage + (draining.map { $0.count - liveBytesLeftToDrain($0) } ?? 0)
        return total == 0 ? 0 : Double(garbage) / Double(total)
    }

    /// Whether every section lives in one arena chunk with untagged offsets (boot, before serving).
    var isSingleUntaggedArena: Bool { draining == nil && arenaTag == 0 && arena.isOneChunk }

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
        r.extrasOffset = arena.append(extras) | arenaTag
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
        reclaimStep()
        return at
    }

    /// Replaces row `at` (same id) with `row`; a nil `extras` keeps the current variable section.
    @inline(__always)
    mutating func replace(_ at: Int, with row: Row, extras: UnsafeRawBufferPointer?) {
        var r = row
        let old = rows[at]
        if let extras {
            release(old)
            r.extrasOffset = arena.append(extras) | arenaTag
            r.extrasLength = UInt32(extras.count)
        } else {
            r.extrasOffset = old.extrasOffset
            r.extrasLength = old.extrasLength
        }
        rows[at] = r
        reclaimStep()
    }

    mutating func remove(_ at: Int) {
        let old = rows[at]
        index.remove(old.id, row: UInt32(at))
        release(old)
        rows[at].id = 0
        rows[at].extrasLength = 0
        freeRows.append(UInt32(at))
        reclaimStep()
    }

    /// Counts a row's variable section as garbage in the arena that holds it.
    @inline(__always)
    private mutating func release(_ row: Row) {
        if row.extrasOffset & Self.tagBit == arenaTag { arena.release(row.extrasLength) } else { draining?.release(row.extrasLength) }
    }

    @inline(__always)
    func withExtras<R>(_ at: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let r = rows[at]
        let offset = r.extrasOffset & ~Self.tagBit
        if r.extrasOffset & Self.tagBit == arenaTag { return arena.withBytes(at: offset, length: r.extrasLength, body) }
        return draining!.withBytes(at: offset, length: r.extrasLength, body)
    }

    @inline(__always)
    func withExtras<R, E: Error>(_ at: Int, throwing body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let r = rows[at]
        let offset = r.extrasOffset & ~Self.tagBit
        if r.extrasOffset & Self.tagBit == arenaTag { return try arena.withBytes(at: offset, length: r.extrasLength, throwing: body) }
        return try draining!.withBytes(at: offset, length: r.extrasLength, throwing: body)
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

    /// Indices of live rows.
    func forEachLive(_ body: (Int) -> Void) {
        for i in rows.indices where rows[i].id != 0 { body(i) }
    }

    /// After a mutation: reclaims garbage once half of the arena is garbage, by `reclaim`.
    @inline(__always)
    private mutating func reclaimStep() {
        switch reclaim {
        case .wholeCopy:
            if arena.needsCompaction { compactArena() }
        case .incremental:
            if draining != nil { drainSome() } else if arena.needsCompaction { startDraining() }
        }
    }

    /// Starts an incremental reclaim: new sections go to a fresh arena, the old one is emptied by
    /// the next mutations.
    private mutating func startDraining() {
        var fresh = ByteArena()
        fresh.reserve(arena.count - arena.garbage)
        draining = arena
        arena = fresh
        arenaTag ^= Self.tagBit
        drainCursor = 0
        drainSome()
    }

    /// Moves the live sections of the next rows (at least 16, and enough that a reclaim ends within
    /// 65,536 mutations) out of the draining arena; drops it after the last row.
    private mutating func drainSome() {
        guard let old = draining else { return }
        draining = nil
        let end = min(rows.count, drainCursor + max(16, rows.count >> 16))
        while drainCursor < end {
            let r = rows[drainCursor]
            if r.id != 0 && r.extrasOffset & Self.tagBit != arenaTag {
                let moved = old.withBytes(at: r.extrasOffset & ~Self.tagBit, length: r.extrasLength) { arena.append($0) }
                rows[drainCursor].extrasOffset = moved | arenaTag
            }
            drainCursor += 1
        }
        if drainCursor < rows.count { draining = old }
    }

    /// Bytes of `old` still referenced by rows not yet drained (for the garbage ratio).
    private func liveBytesLeftToDrain(_ old: ByteArena) -> Int {
        var bytes = 0
        for i in drainCursor..<rows.count where rows[i].id != 0 && rows[i].extrasOffset & Self.tagBit != arenaTag {
            bytes += Int(rows[i].extrasLength)
        }
        return bytes
    }

    /// Copies every live variable section into a fresh arena of one chunk, dropping the garbage (and
    /// ending any incremental reclaim): offsets come out untagged. The chunk keeps the room the
    /// arena had (at boot, the log's size), so the sections still to come fit in it too.
    mutating func compactArena() {
        var fresh = ByteArena()
        fresh.reserve(max(arena.count - arena.garbage + (draining?.count ?? 0) - (draining?.garbage ?? 0), arena.reservedBytes))
        for i in rows.indices where rows[i].id != 0 {
            rows[i].extrasOffset = withExtras(i) { fresh.append($0) }
        }
        arena = fresh
        draining = nil
        arenaTag = 0
        drainCursor = 0
    }
}

// MARK: Checkpoints (CheckpointFile.swift)

/// What a checkpoint stores of a `RowTable`: the rows exactly as in memory (their variable
/// sections at plain offsets in `arena`, one buffer without garbage), the free rows, the id index
/// and the largest id ever seen.
struct RowTableImage<Row: TableRow> {
    var rows: [Row]
    var freeRows: [UInt32]
    var index: IDIndex.Image
    var arena: [UInt8]
    var largestID: UInt64
}

extension RowTable {
    /// The table as a checkpoint stores it. When the arena is one untagged chunk without garbage the
    /// rows and bytes are shared as they are (copy on write: nothing is copied); otherwise every
    /// live section is copied, in row order, into one buffer and the rows' offsets rewritten.
    var checkpointImage: RowTableImage<Row> {
        if draining == nil && arenaTag == 0 && arena.garbage == 0, let bytes = arena.onlyChunk {
            return RowTableImage(rows: rows, freeRows: freeRows, index: index.image, arena: bytes, largestID: largestID)
        }
        var out = rows
        var bytes: [UInt8] = []
        bytes.reserveCapacity(arena.count - arena.garbage + (draining?.count ?? 0))
        for i in out.indices {
            if out[i].id == 0 {
                out[i].extrasOffset = 0
                out[i].extrasLength = 0
                continue
            }
            out[i].extrasOffset = UInt64(bytes.count)
            withExtras(i) { bytes.append(contentsOf: $0) }
        }
        return RowTableImage(rows: out, freeRows: freeRows, index: index.image, arena: bytes, largestID: largestID)
    }

    /// A table from a checkpoint's image, checked so that no later access can trap: every live
    /// row's section lies inside the arena with its name inside the section, every free row is
    /// free, the index points at the rows holding its ids. Row links are checked by the tree
    /// (`NamespaceTree.checkedFiles`, `checkedRest`). Nil when any check fails.
    ///
    /// `alsoValid` is checked on every live row in the same pass (the tree's link checks: one pass
    /// over the rows instead of two).
    init?(image: RowTableImage<Row>, alsoValid: (Row) -> Bool = { _ in true }) {
        let rows = image.rows
        let arenaCount = UInt64(image.arena.count)
        var live = 0
        let sectionsFit = image.arena.withUnsafeBytes { arena -> Bool in
            for r in rows where r.id != 0 {
                guard r.extrasOffset <= arenaCount, UInt64(r.extrasLength) <= arenaCount - r.extrasOffset, alsoValid(r) else { return false }
                if r.extrasLength > 0 && 1 + Int(arena[Int(r.extrasOffset)]) > Int(r.extrasLength) { return false }
                if r.id > image.largestID { return false }
                live += 1
            }
            return true
        }
        guard sectionsFit, live == image.index.count else { return nil }
        guard image.freeRows.count <= rows.count - live else { return nil }
        var seen = [Bool](repeating: false, count: image.freeRows.isEmpty ? 0 : rows.count)
        for f in image.freeRows {
            guard Int(f) < rows.count, rows[Int(f)].id == 0, !seen[Int(f)] else { return nil }
            seen[Int(f)] = true
        }
        guard let index = IDIndex(image: image.index, rowCount: rows.count, rowID: { rows[Int($0)].id }) else { return nil }
        self.init()
        self.rows = rows
        self.freeRows = image.freeRows
        self.index = index
        self.arena = ByteArena(loaded: image.arena)
        self.largestID = image.largestID
    }
}

/// How a `RowTable` reclaims the garbage of its arena once half of it is garbage.
enum ArenaReclaim {
    /// Copy every live section into a fresh arena inside the mutation that crossed the threshold:
    /// fastest in all, for boot, where nobody waits on a lock.
    case wholeCopy
    /// Start a fresh arena and move the old one's live sections a few rows per later mutation, so
    /// no mutation holds the namespace's write lock for a copy of every section (about 100 ms at
    /// 10^6 files). For a serving namespace, master or replica.
    case incremental
}
