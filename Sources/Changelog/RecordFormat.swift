import CBerylSupport
import Platform

/// The on-disk vocabulary of format version 1: sizes, magics, field offsets, the alignment rule
/// and the checksum. docs/FORMAT.md describes the same layout byte by byte.
///
/// ```
/// file header (64 bytes, offset 0)          record (frame) header (32 bytes)
///  0  [8] magic "BERYLLOG"                    0  u16 magic 0xB5E7 (bytes E7 B5)
///  8  u16 format version (1)                  2  u8  record type
/// 10  u16 content kind                        3  u8  record flags (bit 0: LZ4 payload)
/// 12  u32 log flags (bit 0: compacted)        4  u32 stored payload length
/// 16  u64 log identity                        8  u64 sequence number
/// 24  u64 base sequence                      16  u32 raw (decompressed) payload length
/// 32  u64 creation time (unix ns)            20  u32 reserved, zero
/// 40  u64 predecessor identity               24  u64 checksum
/// 48  u64 reserved, zero                     32  payload, zero-padded to a multiple of 8
/// 56  u64 XXH3-64 of bytes 0..<56
/// ```
/// All integers little-endian.
public enum RecordFormat {
    public static let version: UInt16 = 1
    public static let fileHeaderSize = 64
    public static let frameHeaderSize = 32
    public static let frameMagic: UInt16 = 0xB5E7
    public static let fileMagic: [UInt8] = Array("BERYLLOG".utf8)
    /// Largest stored or raw payload (64 MiB): far above the 16 MiB the namespace needs, small
    /// enough that a damaged length field cannot make a reader allocate gigabytes.
    public static let maximumPayload = 64 << 20
    public static let sectorSize = 512
    public static var firstRecordOffset: UInt64 { UInt64(fileHeaderSize) }

    /// Rounds up to a multiple of 8.
    @inline(__always) public static func padded(_ n: Int) -> Int { (n &+ 7) & ~7 }

    /// Where the record after one ending at `end` starts: the next multiple of 8, moved to the
    /// next 512-byte sector boundary when a 32-byte header would otherwise straddle a sector.
    /// Writer and scanner apply the same rule; the skipped bytes are zero.
    @inline(__always) public static func recordStart(after end: UInt64) -> UInt64 {
        let s = (end &+ 7) & ~7
        let inSector = s & UInt64(sectorSize - 1)
        return inSector > UInt64(sectorSize - frameHeaderSize) ? (s | UInt64(sectorSize - 1)) &+ 1 : s
    }

    /// Record checksum: XXH3-64 of the zero-padded payload, seeded with the XXH3-64 of the
    /// header's first 24 bytes seeded with the log identity. Covers every header field but the
    /// checksum itself, the payload and its padding, and the log's identity.
    @inline(__always)
    public static func checksum(header: UnsafeRawPointer, paddedPayload: UnsafeRawBufferPointer, identity: LogIdentity) -> UInt64 {
        let h = bs_xxh3_64(header, 24, identity.rawValue)
        return bs_xxh3_64(paddedPayload.baseAddress, paddedPayload.count, h)
    }

    public static func xxh3(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        bs_xxh3_64(bytes.baseAddress, bytes.count, seed)
    }
}

/// The decoded 64-byte file header.
public struct FileHeader: Sendable, Equatable {
    public var version: UInt16 = RecordFormat.version
    public var contentKind: ContentKind
    public var flags: LogFlags
    public var identity: LogIdentity
    /// Sequence numbers of this log's records are greater than this.
    public var baseSequence: SequenceNumber
    public var createdNanoseconds: UInt64
    /// Identity of the log this one replaced (by compaction), or 0.
    public var predecessor: UInt64

    public init(contentKind: ContentKind, flags: LogFlags = [], identity: LogIdentity = .random(),
                baseSequence: SequenceNumber = .zero, createdNanoseconds: UInt64 = 0, predecessor: UInt64 = 0) {
        self.contentKind = contentKind
        self.flags = flags
        self.identity = identity
        self.baseSequence = baseSequence
        self.createdNanoseconds = createdNanoseconds
        self.predecessor = predecessor
    }

    public func encoded() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: RecordFormat.fileHeaderSize)
        b.replaceSubrange(0..<8, with: RecordFormat.fileMagic)
        b.withUnsafeMutableBytes { p in
            ByteCursor.store(version, at: 8, in: p)
            ByteCursor.store(contentKind.rawValue, at: 10, in: p)
            ByteCursor.store(flags.rawValue, at: 12, in: p)
            ByteCursor.store(identity.rawValue, at: 16, in: p)
            ByteCursor.store(baseSequence.rawValue, at: 24, in: p)
            ByteCursor.store(createdNanoseconds, at: 32, in: p)
            ByteCursor.store(predecessor, at: 40, in: p)
            let sum = RecordFormat.xxh3(UnsafeRawBufferPointer(rebasing: p[0..<56]))
            ByteCursor.store(sum, at: 56, in: p)
        }
        return b
    }

    /// Decodes a header; never traps. `expected` checks the content kind.
    public static func decode(_ bytes: UnsafeRawBufferPointer, path: String,
                              expected: ContentKind? = nil) throws(ChangelogError) -> FileHeader {
        guard bytes.count >= RecordFormat.fileHeaderSize else {
            throw ChangelogError(.notAChangelog, path: path, offset: LogOffset(0),
                                 detail: "file is \(bytes.count) bytes, shorter than the \(RecordFormat.fileHeaderSize)-byte header")
        }
        guard bytes.prefix(8).elementsEqual(RecordFormat.fileMagic) else {
            throw ChangelogError(.notAChangelog, path: path, offset: LogOffset(0), detail: "bad file magic")
        }
        let r = ByteCursor(bytes)
        let stored = r.u64(56)
        let computed = RecordFormat.xxh3(UnsafeRawBufferPointer(rebasing: bytes[0..<56]))
        guard stored == computed else {
            throw ChangelogError(.notAChangelog, path: path, offset: LogOffset(0),
                                 detail: "header checksum mismatch")
        }
        let version = r.u16(8)
        guard version == RecordFormat.version else {
            throw ChangelogError(.unsupportedVersion(version), path: path, offset: LogOffset(8))
        }
        let kindRaw = r.u16(10)
        guard let kind = ContentKind(rawValue: kindRaw) else {
            throw ChangelogError(.notAChangelog, path: path, offset: LogOffset(10), detail: "unknown content kind \(kindRaw)")
        }
        if let expected, expected != kind {
            throw ChangelogError(.contentKindMismatch(expected: expected, found: kindRaw), path: path, offset: LogOffset(10))
        }
        let flags = LogFlags(rawValue: r.u32(12))
        guard LogFlags.known.isSuperset(of: flags) else {
            throw ChangelogError(.unsupportedVersion(version), path: path, offset: LogOffset(12),
                                 detail: "unknown log flags 0x\(String(flags.rawValue, radix: 16))")
        }
        return FileHeader(contentKind: kind, flags: flags, identity: LogIdentity(rawValue: r.u64(16)),
                          baseSequence: SequenceNumber(r.u64(24)), createdNanoseconds: r.u64(32),
                          predecessor: r.u64(40))
    }
}

/// The decoded 32-byte header of one physical record (a frame).
public struct FrameHeader: Sendable, Equatable {
    public var type: RecordType
    public var flags: RecordFlags
    public var storedLength: UInt32
    public var sequence: SequenceNumber
    public var rawLength: UInt32
    public var checksum: UInt64

    /// Bytes the whole frame occupies: header plus padded stored payload.
    public var frameLength: Int { RecordFormat.frameHeaderSize + RecordFormat.padded(Int(storedLength)) }

    /// Writes the header, computing the checksum over `paddedPayload`.
    static func write(type: RecordType, flags: RecordFlags, storedLength: Int, rawLength: Int,
                      sequence: SequenceNumber, identity: LogIdentity,
                      paddedPayload: UnsafeRawBufferPointer, into p: UnsafeMutableRawPointer) {
        ByteCursor.store(RecordFormat.frameMagic, at: 0, in: p)
        ByteCursor.store(type.rawValue, at: 2, in: p)
        ByteCursor.store(flags.rawValue, at: 3, in: p)
        ByteCursor.store(UInt32(storedLength), at: 4, in: p)
        ByteCursor.store(sequence.rawValue, at: 8, in: p)
        ByteCursor.store(UInt32(rawLength), at: 16, in: p)
        ByteCursor.store(UInt32(0), at: 20, in: p)
        let sum = RecordFormat.checksum(header: UnsafeRawPointer(p), paddedPayload: paddedPayload, identity: identity)
        ByteCursor.store(sum, at: 24, in: p)
    }
}
