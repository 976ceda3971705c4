import Platform

/// An open-addressing hash set of 32-bit row references, each stored with its 32-bit hash
/// (8 bytes a slot, at most 75% full, linear probing, backward-shift deletion). The caller
/// supplies the hash and a predicate that recognises the reference it looks for, so one table
/// type serves both the sparse id index (hash of the id) and the per-directory child index
/// (hash of the name) without storing keys twice.
struct RefTable {
    private var slots: [UInt64]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 16) {
        var n = 16
        while n * 3 < capacity * 4 { n <<= 1 }
        slots = [UInt64](repeating: 0, count: n)
        mask = n - 1
    }

    /// A table with no slots (no allocation) until the first insert.
    static let empty = RefTable(slots: [], mask: 0)

    private init(slots: [UInt64], mask: Int) {
        self.slots = slots
        self.mask = mask
    }

    var bytes: Int { slots.count * 8 }

    /// The slots as stored (a checkpoint's directory section): `hash << 32 | ref + 1`, 0 = empty.
    var storedSlots: [UInt64] { slots }

    /// A table from stored slots, checked so that no lookup can trap or loop: the slot count is 0
    /// or a power of two of at least 16, at least a quarter of the slots is empty, `count` is the
    /// number of used slots, and every reference passes `isValid`. Nil when any check fails.
    init?(storedSlots: [UInt64], count: Int, isValid: (UInt32) -> Bool) {
        let n = storedSlots.count
        if n == 0 {
            guard count == 0 else { return nil }
            self = .empty
            return
        }
        guard n >= 16, n & (n - 1) == 0, count * 4 <= n * 3 else { return nil }
        var used = 0
        for e in storedSlots where e != 0 {
            let ref = UInt32(truncatingIfNeeded: e) &- 1
            guard UInt32(truncatingIfNeeded: e) != 0, isValid(ref) else { return nil }
            used += 1
        }
        guard used == count else { return nil }
        self.init(slots: storedSlots, mask: n - 1)
        self.count = count
    }

    /// Grows so that `n` entries fit without further growth.
    mutating func reserve(_ n: Int) {
        var size = slots.count
        while size * 3 < n * 4 { size <<= 1 }
        if size > slots.count { rehash(size) }
    }

    @inline(__always)
    func find(hash: UInt32, _ matches: (UInt32) -> Bool) -> UInt32? {
        if count == 0 { return nil }
        var i = Int(hash) & mask
        while true {
            let e = slots[i]
            if e == 0 { return nil }
            if UInt32(truncatingIfNeeded: e >> 32) == hash {
                let ref = UInt32(truncatingIfNeeded: e) &- 1
                if matches(ref) { return ref }
            }
            i = (i &+ 1) & mask
        }
    }

    /// Inserts without checking for duplicates. `ref` must not be `UInt32.max`.
    @inline(__always)
    mutating func insert(hash: UInt32, ref: UInt32) {
        if (count + 1) * 4 > slots.count * 3 { rehash(max(slots.count * 2, 16)) }
        var i = Int(hash) & mask
        while slots[i] != 0 { i = (i &+ 1) & mask }
        slots[i] = UInt64(hash) << 32 | UInt64(ref &+ 1)
        count += 1
    }

    /// Removes the entry (`hash`, `ref`). Returns whether it was there.
    @discardableResult
    mutating func remove(hash: UInt32, ref: UInt32) -> Bool {
        if count == 0 { return false }
        let entry = UInt64(hash) << 32 | UInt64(ref &+ 1)
        var i = Int(hash) & mask
        while slots[i] != 0 {
            if slots[i] == entry {
                var hole = i
                var j = (i &+ 1) & mask
                while slots[j] != 0 {
                    let home = Int(truncatingIfNeeded: slots[j] >> 32) & mask
                    let between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j)
                    if !between {
                        slots[hole] = slots[j]
                        hole = j
                    }
                    j = (j &+ 1) & mask
                }
                slots[hole] = 0
                count -= 1
                return true
            }
            i = (i &+ 1) & mask
        }
        return false
    }

    /// Every (hash, ref) entry.
    func forEach(_ body: (UInt32, UInt32) -> Void) {
        for e in slots where e != 0 { body(UInt32(truncatingIfNeeded: e >> 32), UInt32(truncatingIfNeeded: e) &- 1) }
    }

    private mutating func rehash(_ size: Int) {
        let old = slots
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        for e in old where e != 0 {
            var i = Int(truncatingIfNeeded: e >> 32) & mask
            while slots[i] != 0 { i = (i &+ 1) & mask }
            slots[i] = e
        }
    }
}

/// The hashes behind the tables.
enum Hashing {
    @inline(__always)
    static func id(_ id: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: (id &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }

    /// Hash of (parent id, name bytes).
    @inline(__always)
    static func child(parent: UInt64, name: UnsafeRawBufferPointer) -> UInt32 {
        var h = (parent &+ 0x632B_E59B_D9B4_E019) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(name.count)
        var i = 0
        let n = name.count
        while i + 8 <= n {
            h = (h ^ ByteCursor(name).u64(i)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(name[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0xFF51_AFD7_ED55_8CCD
        }
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 29
        return UInt32(truncatingIfNeeded: h >> 32)
    }
}
