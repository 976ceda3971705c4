import Namespace
import Platform

// Little-endian writers and a bounds-checked reader for the sync protocol, through `ByteCursor`. The reader never traps:
// every load checks the remaining length first and running out throws `protocolViolation`.

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) { ByteCursor.append(value, to: &self) }

    /// Exactly `count` bytes of `bytes`; any other size is a programming error of the caller.
    mutating func appendFixed(_ bytes: [UInt8], count: Int, field: String) {
        precondition(bytes.count == count, "sync message field \(field) must be \(count) bytes, got \(bytes.count)")
        append(contentsOf: bytes)
    }

    /// `text` as u16 length + UTF-8, cut to at most `SyncMessage.maximumStringBytes` at a character boundary.
    mutating func appendString(_ text: String) {
        var utf8 = Array(text.utf8)
        if utf8.count > SyncMessage.maximumStringBytes {
            var cut = SyncMessage.maximumStringBytes
            while cut > 0, utf8[cut] & 0xC0 == 0x80 { cut -= 1 }  // never split a multi-byte sequence
            utf8.removeSubrange(cut...)
        }
        appendLittleEndian(UInt16(utf8.count))
        append(contentsOf: utf8)
    }

    /// An array's u16 count; more than 65535 entries is a programming error of the caller.
    mutating func appendCount(_ count: Int, field: String) {
        precondition(count <= SyncMessage.maximumArrayCount, "sync message field \(field): \(count) entries, more than 65535")
        appendLittleEndian(UInt16(count))
    }
}

/// Reads little-endian fields from a message body, throwing `protocolViolation` instead of reading
/// past the end.
struct WireReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var position = 0
    /// The message being decoded, for error texts.
    let message: String

    init(_ bytes: UnsafeRawBufferPointer, message: String) {
        self.bytes = bytes
        self.message = message
    }

    var remaining: Int { bytes.count - position }

    /// Checks that `count` more bytes are there for `field`.
    private func need(_ count: Int, _ field: String) throws(ReplicationError) {
        guard count >= 0, remaining >= count else {
            throw .protocolViolation("\(message): field \(field) needs \(count) bytes at offset \(position + 1), "
                + "only \(remaining) left of a \(bytes.count + 1)-byte frame")
        }
    }

    mutating func u8(_ field: String) throws(ReplicationError) -> UInt8 {
        try need(1, field)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16(_ field: String) throws(ReplicationError) -> UInt16 {
        try need(2, field)
        defer { position += 2 }
        return ByteCursor(bytes).u16(position)
    }

    mutating func u32(_ field: String) throws(ReplicationError) -> UInt32 {
        try need(4, field)
        defer { position += 4 }
        return ByteCursor(bytes).u32(position)
    }

    mutating func u64(_ field: String) throws(ReplicationError) -> UInt64 {
        try need(8, field)
        defer { position += 8 }
        return ByteCursor(bytes).u64(position)
    }

    /// `count` raw bytes, copied.
    mutating func bytes(_ count: Int, _ field: String) throws(ReplicationError) -> [UInt8] {
        try need(count, field)
        defer { position += count }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[position..<position + count]))
    }

    mutating func kind(_ field: String) throws(ReplicationError) -> LogKind {
        let raw = try u8(field)
        guard let kind = LogKind(rawValue: raw) else {
            throw .protocolViolation("\(message): field \(field) has unknown log kind \(raw)")
        }
        return kind
    }

    mutating func state(_ field: String) throws(ReplicationError) -> Role {
        let raw = try u8(field)
        guard let state = Role(code: raw) else {
            throw .protocolViolation("\(message): field \(field) has unknown role state \(raw)")
        }
        return state
    }

    /// A u16-length UTF-8 string of at most `SyncMessage.maximumStringBytes`.
    mutating func string(_ field: String) throws(ReplicationError) -> String {
        let length = Int(try u16("\(field) length"))
        guard length <= SyncMessage.maximumStringBytes else {
            throw .protocolViolation("\(message): field \(field) is \(length) bytes, "
                + "more than the limit of \(SyncMessage.maximumStringBytes)")
        }
        let utf8 = try bytes(length, field)
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw .protocolViolation("\(message): field \(field) is not valid UTF-8 (\(length) bytes)")
        }
        return text
    }

    /// A u16 count of entries of `entrySize` bytes each, checked against the bytes left before any allocation.
    mutating func count(_ field: String, entrySize: Int) throws(ReplicationError) -> Int {
        let count = Int(try u16("\(field) count"))
        guard count * entrySize <= remaining else {
            throw .protocolViolation("\(message): field \(field) declares \(count) entries of \(entrySize) bytes, "
                + "only \(remaining) bytes left")
        }
        return count
    }

    /// Throws unless every byte was read.
    func finish() throws(ReplicationError) {
        guard remaining == 0 else {
            throw .protocolViolation("\(message): \(remaining) unexpected trailing bytes in a \(bytes.count + 1)-byte frame")
        }
    }
}
