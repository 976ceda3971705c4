import Platform

/// Why a legacy FileMD / ContainerMD payload could not be decoded.
public struct LegacyMetadataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field being read when the payload ran out or held an impossible value.
    public var field: String
    /// Byte offset of that field inside the payload.
    public var offset: Int
    /// Bytes the payload has.
    public var payloadSize: Int

    public init(field: String, offset: Int, payloadSize: Int) {
        self.field = field
        self.offset = offset
        self.payloadSize = payloadSize
    }

    public var description: String {
        "legacy metadata payload of \(payloadSize) bytes truncated at offset \(offset) while reading \(field)"
    }
}

/// A `struct timespec` as EOS wrote it (LP64: two 64-bit words).
public struct LegacyTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Int64
    public var nanoseconds: Int64

    public init(seconds: Int64, nanoseconds: Int64) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static let zero = LegacyTimestamp(seconds: 0, nanoseconds: 0)

    public static func < (a: LegacyTimestamp, b: LegacyTimestamp) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }

    /// `seconds.nnnnnnnnn` (nine nanosecond digits), the listing format.
    public var description: String {
        let ns = String(nanoseconds)
        let padded = nanoseconds >= 0 && ns.count < 9 ? String(repeating: "0", count: 9 - ns.count) + ns : ns
        return "\(seconds).\(padded)"
    }
}

/// One extended attribute, in the order the record stored it.
public struct LegacyExtendedAttribute: Sendable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// Bounds-checked little-endian reads from a payload, advancing a cursor (EOS `Buffer::grabData`).
/// Every read throws `LegacyMetadataError` instead of reading past the end.
struct LegacyPayloadReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    private mutating func take(_ n: Int, _ field: String) throws(LegacyMetadataError) -> Int {
        guard n >= 0, n <= remaining else {
            throw LegacyMetadataError(field: field, offset: offset, payloadSize: bytes.count)
        }
        let at = offset
        offset += n
        return at
    }

    mutating func u8(_ field: String) throws(LegacyMetadataError) -> UInt8 {
        bytes[try take(1, field)]
    }

    mutating func u16(_ field: String) throws(LegacyMetadataError) -> UInt16 {
        ByteCursor(bytes).u16(try take(2, field))
    }

    mutating func u32(_ field: String) throws(LegacyMetadataError) -> UInt32 {
        ByteCursor(bytes).u32(try take(4, field))
    }

    mutating func u64(_ field: String) throws(LegacyMetadataError) -> UInt64 {
        ByteCursor(bytes).u64(try take(8, field))
    }

    mutating func timestamp(_ field: String) throws(LegacyMetadataError) -> LegacyTimestamp {
        let s = try u64(field)
        let ns = try u64(field)
        return LegacyTimestamp(seconds: Int64(bitPattern: s), nanoseconds: Int64(bitPattern: ns))
    }

    mutating func raw(_ count: Int, _ field: String) throws(LegacyMetadataError) -> [UInt8] {
        let at = try take(count, field)
        return Array(bytes[at..<(at + count)])
    }

    /// A string written as u16 length (including the NUL) and the bytes with the NUL. The
    /// string ends at the first NUL, as EOS's `std::string(char*)` does; invalid UTF-8 is
    /// replaced, never trapped on.
    mutating func string(_ field: String) throws(LegacyMetadataError) -> String {
        let length = Int(try u16(field))
        let at = try take(length, field)
        var end = at
        while end < at + length && bytes[end] != 0 { end += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<end]), as: UTF8.self)
    }

    /// `count` key/value pairs.
    mutating func attributes(_ count: Int) throws(LegacyMetadataError) -> [LegacyExtendedAttribute] {
        var out: [LegacyExtendedAttribute] = []
        out.reserveCapacity(min(count, remaining / 4))
        for _ in 0..<count {
            let key = try string("xattr key")
            let value = try string("xattr value")
            out.append(LegacyExtendedAttribute(key: key, value: value))
        }
        return out
    }
}
