/// Maps a record id (the u64 in the first 8 payload bytes of an update or delete) to the
/// position and sequence number of its latest update.
///
/// An open-addressing hash table with linear probing and backward-shift deletion, in three
/// parallel arrays: 24 bytes per slot, at most 80% full, so between 30 and 60 bytes per live
/// entry (`bytesPerEntry` gives the figure for the current table). Not thread-safe: the owner
/// (a namespace service, under its lock) serialises access.
public struct OffsetIndex: Sendable {
    public struct Entry: Sendable, Equatable {
        public var position: LogPosition
        public var sequence: SequenceNumber
    }

    private var keys: [UInt64]
    private var positions: [UInt64]   // LogPosition.packed; 0 marks an empty slot
    private var sequences: [UInt64]
    private var mask: Int
    public private(set) var count = 0
    /// Largest id seen in any update or delete (for "next free id" after boot).
    public private(set) var largestId: UInt64 = 0

    public init(capacity: Int = 1024) {
        var slots = 16
        while slots * 4 < capacity * 5 { slots <<= 1 }
        keys = [UInt64](repeating: 0, count: slots)
        positions = [UInt64](repeating: 0, count: slots)
        sequences = [UInt64](repeating: 0, count: slots)
        mask = slots - 1
    }

    /// Bytes of table storage per live entry.
    public var bytesPerEntry: Double { count == 0 ? 0 : Double(keys.count * 24) / Double(count) }
    public var capacity: Int { keys.count }

    @inline(__always) private func home(_ id: UInt64) -> Int {
        Int(truncatingIfNeeded: (id &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    public func lookup(_ id: UInt64) -> Entry? {
        var i = home(id)
        while positions[i] != 0 {
            if keys[i] == id { return Entry(position: LogPosition(packed: positions[i]), sequence: SequenceNumber(sequences[i])) }
            i = (i &+ 1) & mask
        }
        return nil
    }

    /// Records an update of `id` at `position` (last update wins).
    public mutating func update(_ id: UInt64, at position: LogPosition, sequence: SequenceNumber) {
        if id > largestId { largestId = id }
        // Frame offsets are ≥ 64, so a packed position is never 0 (the empty marker).
        let packed = position.packed
        var i = home(id)
        while positions[i] != 0 {
            if keys[i] == id {
                positions[i] = packed
                sequences[i] = sequence.rawValue
                return
            }
            i = (i &+ 1) & mask
        }
        keys[i] = id
        positions[i] = packed
        sequences[i] = sequence.rawValue
        count += 1
        if count * 5 > keys.count * 4 { grow() }
    }

    /// Records a delete of `id`. Returns whether it was present.
    @discardableResult
    public mutating func remove(_ id: UInt64) -> Bool {
        if id > largestId { largestId = id }
        var i = home(id)
        while positions[i] != 0 {
            if keys[i] == id {
                // Backward-shift deletion keeps probe chains intact without tombstones.
                var hole = i
                var j = (i &+ 1) & mask
                while positions[j] != 0 {
                    let h = home(keys[j])
                    let between = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j)
                    if !between {
                        keys[hole] = keys[j]
                        positions[hole] = positions[j]
                        sequences[hole] = sequences[j]
                        hole = j
                    }
                    j = (j &+ 1) & mask
                }
                positions[hole] = 0
                keys[hole] = 0
                count -= 1
                return true
            }
            i = (i &+ 1) & mask
        }
        return false
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
        for i in 0..<keys.count where positions[i] != 0 {
            body(keys[i], Entry(position: LogPosition(packed: positions[i]), sequence: SequenceNumber(sequences[i])))
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldPositions = positions, oldSequences = sequences
        let slots = keys.count * 2
        keys = [UInt64](repeating: 0, count: slots)
        positions = [UInt64](repeating: 0, count: slots)
        sequences = [UInt64](repeating: 0, count: slots)
        mask = slots - 1
        for i in 0..<oldKeys.count where oldPositions[i] != 0 {
            var j = home(oldKeys[i])
            while positions[j] != 0 { j = (j &+ 1) & mask }
            keys[j] = oldKeys[i]
            positions[j] = oldPositions[i]
            sequences[j] = oldSequences[i]
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
