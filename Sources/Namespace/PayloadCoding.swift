import Platform

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
        ByteCursor(bytes).u16(try take(2, field))
    }
    @inline(__always) mutating func u32(_ field: StaticString) throws(CodecError) -> UInt32 {
        ByteCursor(bytes).u32(try take(4, field))
    }
    @inline(__always) mutating func u64(_ field: StaticString) throws(CodecError) -> UInt64 {
        ByteCursor(bytes).u64(try take(8, field))
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

/// Little-endian appends to a byte array, through `ByteCursor`.
extension Array where Element == UInt8 {
    @inline(__always) mutating func appendLE(_ v: UInt8) { append(v) }
    @inline(__always) mutating func appendLE(_ v: UInt16) { ByteCursor.append(v, to: &self) }
    @inline(__always) mutating func appendLE(_ v: UInt32) { ByteCursor.append(v, to: &self) }
    @inline(__always) mutating func appendLE(_ v: UInt64) { ByteCursor.append(v, to: &self) }
    @inline(__always) mutating func appendLE(_ t: Timestamp) {
        appendLE(UInt64(bitPattern: t.seconds))
        appendLE(t.nanoseconds)
    }
}
