/// Why a payload does not decode as a file or container record. Decoding never traps: any
/// byte string either decodes or yields one of these.
public enum CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The payload ends inside `field` (which starts at byte `offset`).
    case truncated(field: String, offset: Int)
    /// The version byte after the id names a layout this build does not read.
    case unsupportedVersion(UInt8)
    /// Bytes left over after the last field.
    case trailingBytes(Int)
    /// A name that is empty (outside the root), contains '/' or NUL, or is "." or "..".
    case invalidName(offset: Int)
    /// Extended attribute keys are not strictly ascending (by bytes) at byte `offset`.
    case unsortedAttributes(offset: Int)
    /// A flag byte has a value other than 0 or 1.
    case badFlag(field: String, value: UInt8)
    /// Id 0 is reserved (the "no container" id) and never names a record.
    case zeroID
    /// A value does not fit its field when encoding (e.g. a checksum longer than 255 bytes).
    case fieldTooLong(field: String, length: Int)

    public var description: String {
        switch self {
        case .truncated(let f, let o): "payload ends inside \(f) (at byte \(o))"
        case .unsupportedVersion(let v): "unsupported metadata version \(v)"
        case .trailingBytes(let n): "\(n) unexpected bytes after the last field"
        case .invalidName(let o): "invalid name at byte \(o)"
        case .unsortedAttributes(let o): "extended attributes not sorted at byte \(o)"
        case .badFlag(let f, let v): "bad \(f) value \(v)"
        case .zeroID: "id 0 is reserved"
        case .fieldTooLong(let f, let n): "\(f) of \(n) bytes does not fit its field"
        }
    }
}

/// Little-endian, bounds-checked reads from a payload; every read that would run past the end
/// throws `.truncated`.
struct PayloadReader {
    let bytes: UnsafeRawBufferPointer
    var cursor = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - cursor }

    @inline(__always)
    private mutating func take(_ n: Int, _ field: StaticString) throws(CodecError) -> Int {
        guard n <= bytes.count - cursor else { throw .truncated(field: "\(field)", offset: cursor) }
        let at = cursor
        cursor += n
        return at
    }

    @inline(__always) mutating func u8(_ field: StaticString) throws(CodecError) -> UInt8 {
        bytes[try take(1, field)]
    }
    @inline(__always) mutating func u16(_ field: StaticString) throws(CodecError) -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(2, field), as: UInt16.self))
    }
    @inline(__always) mutating func u32(_ field: StaticString) throws(CodecError) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4, field), as: UInt32.self))
    }
    @inline(__always) mutating func u64(_ field: StaticString) throws(CodecError) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8, field), as: UInt64.self))
    }
    @inline(__always) mutating func i64(_ field: StaticString) throws(CodecError) -> Int64 {
        Int64(bitPattern: try u64(field))
    }
    @inline(__always) mutating func timestamp(_ field: StaticString) throws(CodecError) -> Timestamp {
        let s = try i64(field)
        return Timestamp(seconds: s, nanoseconds: try u32(field))
    }
    @inline(__always) mutating func span(_ n: Int, _ field: StaticString) throws(CodecError) -> UnsafeRawBufferPointer {
        let at = try take(n, field)
        return UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)])
    }
}

/// Little-endian appends to a byte array.
extension Array where Element == UInt8 {
    @inline(__always) mutating func appendLE(_ v: UInt8) { append(v) }
    @inline(__always) mutating func appendLE(_ v: UInt16) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    @inline(__always) mutating func appendLE(_ v: UInt32) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    @inline(__always) mutating func appendLE(_ v: UInt64) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    @inline(__always) mutating func appendLE(_ t: Timestamp) {
        appendLE(UInt64(bitPattern: t.seconds))
        appendLE(t.nanoseconds)
    }
}
