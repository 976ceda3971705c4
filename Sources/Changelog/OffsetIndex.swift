/// Maps a record id (the u64 in the first 8 payload bytes of an update or delete) to the
/// position and sequence number of its latest update.
///
/// An open-addressing hash table with linear probing and backward-shift deletion, in one array
/// of 24-byte slots, at most 80% full, so between 30 and 60 bytes per live
/// entry (`bytesPerEntry` gives the figure for the current table). Not thread-safe: the owner
/// (a namespace service, under its lock) serialises access.
public struct OffsetIndex: Sendable {
    public struct Entry: Sendable, Equatable {
        public var position: LogPosition
        public var sequence: SequenceNumber
    }

    /// One table slot: 24 bytes, so a probe touches one cache line. `packed == 0` marks it empty
    /// (frame offsets are at least 64, so a real packed position is never 0).
    struct Slot {
        var key: UInt64
        var packed: UInt64
        var sequence: UInt64
    }

    private var slots: [Slot]
    private var mask: Int
    public private(set) var count = 0
    /// Largest id seen in any update or delete (for "next free id" after boot).
    public private(set) var largestId: UInt64 = 0

    public init(capacity: Int = 1024) {
        var n = 16
        while n * 4 < capacity * 5 { n <<= 1 }
        slots = [Slot](repeating: Slot(key: 0, packed: 0, sequence: 0), count: n)
        mask = n - 1
    }

    /// Bytes of table storage per live entry.
    public var bytesPerEntry: Double { count == 0 ? 0 : Double(slots.count * MemoryLayout<Slot>.stride) / Double(count) }
    public var capacity: Int { slots.count }

    /// Runs of 64 consecutive ids land in 64 consecutive slots (ids are allocated sequentially,
    /// so a boot touches each cache line about three times instead of once per record), while
    /// the runs themselves are scattered by a Fibonacci hash so patterned ids do not pile up.
    @inline(__always) private static func home(_ id: UInt64, _ mask: Int) -> Int {
        let run = ((id >> 6) &* 0x9E37_79B9_7F4A_7C15) >> 20
        return Int(truncatingIfNeeded: (run << 6) | (id & 63)) & mask
    }

    public func lookup(_ id: UInt64) -> Entry? {
        slots.withUnsafeBufferPointer { t in
            var i = Self.home(id, mask)
            while t[i].packed != 0 {
                if t[i].key == id { return Entry(position: LogPosition(packed: t[i].packed), sequence: SequenceNumber(t[i].sequence)) }
                i = (i &+ 1) & mask
            }
            return nil
        }
    }

    /// Records an update of `id` at `position` (last update wins).
    @inline(__always)
    public mutating func update(_ id: UInt64, at position: LogPosition, sequence: SequenceNumber) {
        if id > largestId { largestId = id }
        let packed = position.packed
        let mask = self.mask
        let inserted = slots.withUnsafeMutableBufferPointer { t -> Bool in
            var i = Self.home(id, mask)
            while t[i].packed != 0 {
                if t[i].key == id {
                    t[i].packed = packed
                    t[i].sequence = sequence.rawValue
                    return false
                }
                i = (i &+ 1) & mask
            }
            t[i] = Slot(key: id, packed: packed, sequence: sequence.rawValue)
            return true
        }
        if inserted {
            count += 1
            if count * 5 > slots.count * 4 { grow() }
        }
    }

    /// Records a delete of `id`. Returns whether it was present.
    @discardableResult
    public mutating func remove(_ id: UInt64) -> Bool {
        if id > largestId { largestId = id }
        let mask = self.mask
        let removed = slots.withUnsafeMutableBufferPointer { t -> Bool in
            var i = Self.home(id, mask)
            while t[i].packed != 0 {
                if t[i].key == id {
                    // Backward-shift deletion keeps probe chains intact without tombstones.
                    var hole = i
                    var j = (i &+ 1) & mask
                    while t[j].packed != 0 {
                        let h = Self.home(t[j].key, mask)
                        let between = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j)
                        if !between {
                            t[hole] = t[j]
                            hole = j
                        }
                        j = (j &+ 1) & mask
                    }
                    t[hole] = Slot(key: 0, packed: 0, sequence: 0)
                    return true
                }
                i = (i &+ 1) & mask
            }
            return false
        }
        if removed { count -= 1 }
        return removed
    }

    /// Applies one scanned record: an update with an id records it, a delete removes it; other
    /// types and payloads shorter than 8 bytes are ignored.
    @inline(__always)
    public mutating func apply(_ record: RecordView) {
        guard let id = record.id else { return }
        switch record.type {
        case .update: update(id, at: record.position, sequence: record.sequence)
        case .delete: remove(id)
        default: break
        }
    }

    /// Every live entry, in no particular order.
    public func forEach(_ body: (UInt64, Entry) -> Void) {
        for s in slots where s.packed != 0 {
            body(s.key, Entry(position: LogPosition(packed: s.packed), sequence: SequenceNumber(s.sequence)))
        }
    }

    private mutating func grow() {
        let old = slots
        let n = slots.count * 2
        slots = [Slot](repeating: Slot(key: 0, packed: 0, sequence: 0), count: n)
        mask = n - 1
        let mask = self.mask
        slots.withUnsafeMutableBufferPointer { t in
            for s in old where s.packed != 0 {
                var j = Self.home(s.key, mask)
                while t[j].packed != 0 { j = (j &+ 1) & mask }
                t[j] = s
            }
        }
    }
}

extension OffsetIndex {
    /// Builds the index of an open log in one scan.
    public static func build(from log: Changelog) throws(ChangelogError) -> OffsetIndex {
        var index = OffsetIndex()
        try log.scan { r in
            index.apply(r)
            return true
        }
        return index
    }
}
