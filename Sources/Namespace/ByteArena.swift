import Platform

/// Growable storage for the variable sections of many rows, so a row costs no heap allocation of its
/// own. Replaced or removed sections become garbage; the owning table reclaims the arena when
/// garbage exceeds half of it (`needsCompaction`, see `ArenaReclaim`).
///
/// The bytes live in chunks that never reallocate: a section goes into the last chunk if it fits in
/// that chunk's reserved capacity, else into a new chunk (16 MiB, or the section's size if larger).
/// One growing array would double and copy every section under the namespace's write lock (21 ms at
/// 10^6 files, hundreds at 10^7). A section never straddles chunks. Boot reserves the first chunk
/// from the log's size (address space only), so a booted arena is one chunk, which the parallel
/// attach reads as one buffer.
///
/// An offset is the chunk's index in bits 40-62 and the byte in the chunk in bits 0-39; bit 63 is
/// left to the owning table (`RowTable` tags which of two arenas a row's section is in).
struct ByteArena {
    private var chunks: [[UInt8]] = []
    /// Bytes appended, garbage included.
    private(set) var count = 0
    private(set) var garbage = 0

    static let chunkBytes = 16 << 20
    /// The largest chunk an offset can address (bits 0-39).
    private static let maximumChunkBytes = 1 << 40
    private static let chunkShift: UInt64 = 40
    private static let withinMask: UInt64 = (1 << 40) - 1

    var needsCompaction: Bool { garbage > (1 << 16) && garbage * 2 > count }

    /// Bytes the chunks have room for (address space; only what was appended is touched).
    var reservedBytes: Int { chunks.reduce(0) { $0 + $1.capacity } }

    /// Whether the sections are in at most one chunk (see `withSingleChunk`).
    var isOneChunk: Bool { chunks.count <= 1 }

    /// Reserves room for `bytes` more bytes in one new chunk (virtual memory, touched only as used),
    /// unless the last chunk has that room already.
    mutating func reserve(_ bytes: Int) {
        guard bytes > 0 else { return }
        if let last = chunks.last, Self.room(in: last) >= bytes { return }
        startChunk(capacity: bytes)
    }

    private mutating func startChunk(capacity: Int) {
        var chunk: [UInt8] = []
        chunk.reserveCapacity(min(capacity, Self.maximumChunkBytes))
        chunks.append(chunk)
    }

    /// What `chunk` can still take without reallocating, and without an offset past bit 39.
    @inline(__always)
    private static func room(in chunk: [UInt8]) -> Int { min(chunk.capacity, maximumChunkBytes) - chunk.count }

    /// Appends `bytes`; returns their offset.
    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        if chunks.isEmpty || Self.room(in: chunks[chunks.count - 1]) < bytes.count {
            startChunk(capacity: max(Self.chunkBytes, bytes.count))
        }
        let index = chunks.count - 1
        let within = chunks[index].count
        chunks[index].append(contentsOf: bytes)
        count += bytes.count
        return UInt64(index) << Self.chunkShift | UInt64(within)
    }

    @inline(__always)
    mutating func release(_ length: UInt32) { garbage += Int(length) }

    /// The hot, non-throwing accessor (no wrapper, so no reference counting on the way).
    @inline(__always)
    func withBytes<R>(at offset: UInt64, length: UInt32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let start = Int(offset & Self.withinMask), end = start + Int(length)
        return chunks[Int(offset >> Self.chunkShift)].withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
    }

    @inline(__always)
    func withBytes<R, E: Error>(at offset: UInt64, length: UInt32,
                                throwing body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let start = Int(offset & Self.withinMask), end = start + Int(length)
        return try withArrayBytes(chunks[Int(offset >> Self.chunkShift)]) { (all) throws(E) -> R in
            try body(UnsafeRawBufferPointer(rebasing: all[start..<end]))
        }
    }

    /// Runs `body` over the one chunk (empty if none); offsets are then plain byte positions in it.
    /// For the parallel attach at boot, which reads names from two threads.
    func withSingleChunk<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        precondition(isOneChunk, "the arena spans several chunks")
        guard let only = chunks.first else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return only.withUnsafeBytes(body)
    }

    // MARK: Checkpoints (CheckpointFile.swift)

    /// An arena of one chunk holding `bytes` (a checkpoint's arena section), with no garbage. The
    /// chunk has no spare room: the next section appended starts a new chunk.
    init() {}

    init(loaded bytes: [UInt8]) {
        chunks = bytes.isEmpty ? [] : [bytes]
        count = bytes.count
    }

    /// The one chunk's bytes (nil when the arena spans several chunks): a checkpoint stores them as
    /// they are when no row needs its offset rewritten.
    var onlyChunk: [UInt8]? {
        guard chunks.count <= 1 else { return nil }
        return chunks.first ?? []
    }
}
