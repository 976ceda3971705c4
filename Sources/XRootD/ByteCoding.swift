// Big-endian readers and writers over byte arrays. Readers never trap: running out of bytes throws.

/// Appends network-order integers and raw bytes.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 32) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { bytes.append(UInt8(value >> 8)); bytes.append(UInt8(value & 0xFF)) }
    mutating func i16(_ value: Int16) { u16(UInt16(bitPattern: value)) }
    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
    mutating func i32(_ value: Int32) { u32(UInt32(bitPattern: value)) }
    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((value >> UInt64(shift)) & 0xFF)) }
    }
    mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
    mutating func raw<C: Collection<UInt8>>(_ data: C) { bytes.append(contentsOf: data) }
    mutating func zeros(_ count: Int) { bytes.append(contentsOf: repeatElement(0, count: count)) }
    /// Exactly `count` bytes: `data` truncated or zero-padded.
    mutating func fixed(_ data: [UInt8], count: Int) {
        bytes.append(contentsOf: data.prefix(count))
        if data.count < count { zeros(count - data.count) }
    }
}

/// Reads network-order integers from a byte slice, throwing `XRootDError.malformed` past the end.
struct ByteReader {
    let bytes: ArraySlice<UInt8>
    private(set) var position: Int
    let context: String

    init(_ bytes: ArraySlice<UInt8>, context: String) {
        self.bytes = bytes
        position = bytes.startIndex
        self.context = context
    }

    init(_ bytes: [UInt8], context: String) { self.init(bytes[...], context: context) }

    var remaining: Int { bytes.endIndex - position }

    mutating func take(_ count: Int) throws(XRootDError) -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else {
            throw .malformed("\(context): needs \(count) more bytes, has \(remaining)")
        }
        defer { position += count }
        return bytes[position..<position + count]
    }

    mutating func rest() -> ArraySlice<UInt8> {
        defer { position = bytes.endIndex }
        return bytes[position...]
    }

    mutating func skip(_ count: Int) throws(XRootDError) { _ = try take(count) }

    mutating func u8() throws(XRootDError) -> UInt8 { try take(1).first! }

    mutating func u16() throws(XRootDError) -> UInt16 {
        let s = try take(2)
        return UInt16(s[s.startIndex]) << 8 | UInt16(s[s.startIndex + 1])
    }

    mutating func i16() throws(XRootDError) -> Int16 { Int16(bitPattern: try u16()) }

    mutating func u32() throws(XRootDError) -> UInt32 {
        try take(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func i32() throws(XRootDError) -> Int32 { Int32(bitPattern: try u32()) }

    mutating func u64() throws(XRootDError) -> UInt64 {
        try take(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func i64() throws(XRootDError) -> Int64 { Int64(bitPattern: try u64()) }
}

/// Text helpers shared by the request and response codecs.
enum WireText {
    /// UTF-8 text of `bytes` with trailing NULs removed; invalid UTF-8 or an embedded NUL is malformed.
    /// `context` (for the error text) is built only when decoding fails.
    static func decode(_ bytes: ArraySlice<UInt8>, context: @autoclosure () -> String) throws(XRootDError) -> String {
        var end = bytes.endIndex
        while end > bytes.startIndex, bytes[end - 1] == 0 { end -= 1 }
        let text = bytes[bytes.startIndex..<end]
        guard !text.contains(0) else { throw .malformed("\(context()): embedded NUL byte") }
        guard let string = UTF8Text.validated(text) else {
            throw .malformed("\(context()): invalid UTF-8")
        }
        return string
    }

    /// `text` as bytes, optionally NUL-terminated.
    static func encode(_ text: String, nulTerminated: Bool = false) -> [UInt8] {
        var bytes = Array(text.utf8)
        if nulTerminated { bytes.append(0) }
        return bytes
    }
}

/// Strict UTF-8 decoding of request bytes (paths, attribute names and values) on the request path.
/// Hand-written around `String(decoding:as:)` because `String(validating:as:)` is not specialized for
/// byte arrays here: each call instantiated generic metadata at run time (`_swift_getGenericMetadata`
/// was 4 % of the server's CPU in a profile of kXR_fattr set). `String(decoding:)` replaces invalid
/// sequences with U+FFFD, so the text is valid exactly when its bytes equal the input's (a
/// replacement never reproduces the bytes it replaced); pure ASCII needs no comparison.
public enum UTF8Text {
    /// `bytes` as a String, or nil when they are not valid UTF-8.
    public static func validated(_ bytes: ArraySlice<UInt8>) -> String? {
        bytes.withUnsafeBufferPointer { validated($0) }
    }

    public static func validated(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBufferPointer { validated($0) }
    }

    public static func validated(_ buffer: UnsafeBufferPointer<UInt8>) -> String? {
        let string = String(decoding: buffer, as: UTF8.self)
        var ascii = true
        for byte in buffer where byte >= 0x80 { ascii = false; break }
        if ascii { return string }
        return string.utf8.elementsEqual(buffer) ? string : nil
    }
}
