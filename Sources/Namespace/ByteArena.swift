/// One growable byte array holding the variable sections of many rows, so a row costs no heap
/// allocation of its own. Replaced or removed sections become garbage; the owning table
/// compacts the arena when garbage exceeds half of it (`needsCompaction`).
struct ByteArena {
    private(set) var storage: [UInt8] = []
    private(set) var garbage = 0

    var count: Int { storage.count }
    var needsCompaction: Bool { garbage > (1 << 16) && garbage * 2 > storage.count }

    mutating func reserve(_ bytes: Int) { storage.reserveCapacity(bytes) }

    /// Appends `bytes`; returns their offset.
    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let at = storage.count
        storage.append(contentsOf: bytes)
        return UInt64(at)
    }

    @inline(__always)
    mutating func release(_ length: UInt32) { garbage += Int(length) }

    /// The hot, non-throwing accessor (no wrapper, so no reference counting on the way).
    @inline(__always)
    func withBytes<R>(at offset: UInt64, length: UInt32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let start = Int(offset), end = start + Int(length)
        return storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
    }

    @inline(__always)
    func withBytes<R, E: Error>(at offset: UInt64, length: UInt32,
                                throwing body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let start = Int(offset), end = start + Int(length)
        return try withArrayBytes(storage) { (all) throws(E) -> R in try body(UnsafeRawBufferPointer(rebasing: all[start..<end])) }
    }

    /// The bytes at `offset`, as a pointer that stays valid only until the arena next changes
    /// (append, compaction). For hot mutating paths of the tree, where a closure would have to
    /// capture (and so copy) the whole tree; use `withBytes` everywhere else.
    @inline(__always)
    func unsafeBytes(at offset: UInt64, length: UInt32) -> UnsafeRawBufferPointer {
        let start = Int(offset), end = start + Int(length)
        return storage.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[start..<end]) }
    }
}
