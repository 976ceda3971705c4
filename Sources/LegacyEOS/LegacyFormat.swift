import CBerylSupport
import Changelog
import Platform

/// The on-disk vocabulary of the legacy EOS changelog (`ChangeLogFile.cc`, unchanged 2011 to 2021).
///
/// ```
/// file header (8 bytes, offset 0)        record (24 bytes + padded payload, 4-byte aligned)
///  0  u32 magic 0x45434847 ("GHCE")        0  u16 magic 0x4552 (bytes 52 45)
///  4  u32 flags: bits 0-7   version (1)    2  u16 payload length after padding to 4
///                bits 8-23  content flag   4  u32 CRC-32 (header copy)
///                bits 24-31 user flags     8  u64 sequence (EOS always writes 0)
///                                         16  u32 options; byte 16 = record type
///                                         20  payload, zero-padded to a multiple of 4
///                                  20+size    u32 CRC-32 (trailer copy, same value)
/// ```
/// The CRC is zlib's CRC-32 chained over sequence (8 bytes), options (4 bytes) and the padded
/// payload; the magic and size fields are not covered. All integers little-endian (EOS wrote
/// host order; every known file comes from x86_64).
public enum LegacyFormat {
    public static let fileMagic: UInt32 = 0x4543_4847
    public static let recordMagic: UInt16 = 0x4552
    public static let headerSize = 8
    /// Bytes of a record that are not payload: 20 header bytes and the 4-byte trailer.
    public static let recordOverhead = 24
    public static let recordHeaderSize = 20
    /// Largest padded payload the u16 size field can carry and EOS's `storeRecord` accepts.
    public static let maximumPayload = 65532
    public static var firstRecordOffset: Int { headerSize }

    /// Rounds up to a multiple of 4.
    @inline(__always) public static func padded(_ n: Int) -> Int { (n &+ 3) & ~3 }

    /// zlib CRC-32 continuing from `crc` (start with 0).
    @inline(__always)
    public static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard bytes.count > 0 else { return crc }
        return bs_crc32(crc, bytes.baseAddress, bytes.count)
    }

    /// The record checksum over the 12 bytes of sequence and options, then the padded payload.
    @inline(__always)
    public static func checksum(sequenceAndOptions: UnsafeRawBufferPointer, paddedPayload: UnsafeRawBufferPointer) -> UInt32 {
        crc32(paddedPayload, continuing: crc32(sequenceAndOptions))
    }
}

/// User flags of a legacy header (bits 24-31 of the flags word).
public struct LegacyUserFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// `LOG_FLAG_COMPACTED`: the log holds a compaction stamp (a slave may fast-scan up to it).
    public static let compacted = LegacyUserFlags(rawValue: 0x01)
}

/// The decoded 8-byte legacy file header.
public struct LegacyHeader: Sendable, Equatable {
    public var version: UInt8
    /// 1 = files log, 2 = directories (containers) log, 0 = undefined.
    public var contentFlag: UInt16
    public var userFlags: LegacyUserFlags

    public init(version: UInt8 = 1, contentFlag: UInt16, userFlags: LegacyUserFlags = []) {
        self.version = version
        self.contentFlag = contentFlag
        self.userFlags = userFlags
    }

    /// The flags word: version | contentFlag << 8 | userFlags << 24.
    public var flagsWord: UInt32 {
        UInt32(version) | UInt32(contentFlag) << 8 | UInt32(userFlags.rawValue) << 24
    }

    public init(flagsWord w: UInt32) {
        version = UInt8(truncatingIfNeeded: w)
        contentFlag = UInt16(truncatingIfNeeded: w >> 8)
        userFlags = LegacyUserFlags(rawValue: UInt8(truncatingIfNeeded: w >> 24))
    }

    /// The content kind of a Beryl log with the same meaning, if the flag is one Beryl knows.
    public var contentKind: ContentKind? { ContentKind(rawValue: contentFlag) }

    public func encoded() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: LegacyFormat.headerSize)
        b.withUnsafeMutableBytes { p in
            ByteCursor.store(LegacyFormat.fileMagic, at: 0, in: p)
            ByteCursor.store(flagsWord, at: 4, in: p)
        }
        return b
    }

    /// Decodes the header as EOS's `checkHeader` does: only the magic is checked (the version is
    /// reported, not judged). Never traps. The error details are EOS's messages.
    public static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws(ChangelogError) -> LegacyHeader {
        guard bytes.count >= 4 else {
            throw ChangelogError(.notAChangelog, path: path, offset: LogOffset(0),
                                 detail: "Unable to read the magic number from: \(path)")
        }
        let r = ByteCursor(bytes)
        guard r.u32(0) == LegacyFormat.fileMagic else {
            throw ChangelogError(.notAChangelog, path: path, offset: LogOffset(0), detail: "Unrecognized file type: \(path)")
        }
        guard bytes.count >= LegacyFormat.headerSize else {
            throw ChangelogError(.notAChangelog, path: path, offset: LogOffset(4),
                                 detail: "Unable to read the version number from: \(path)")
        }
        return LegacyHeader(flagsWord: r.u32(4))
    }
}
