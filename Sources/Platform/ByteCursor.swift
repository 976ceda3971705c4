import Glibc

/// The one little-endian byte cursor: every load, store and address computation the codecs make
/// on raw bytes is here (the other places with raw memory are listed in docs/ARCHITECTURE.md and
/// enforced by `RawMemoryLintTests`).
///
/// Reads at an offset are unchecked by design (the caller has checked the length: the format
/// decoders compare against the buffer's count first and throw typed errors, never trap); reads
/// through `take`/`readU16`... advance a position and return nil past the end.
public struct ByteCursor {
    public let bytes: UnsafeRawBufferPointer
    /// Where the sequential reads are (stored so the inlinable members may set it; read-only outside).
    @usableFromInline var storedPosition: Int
    @inlinable public var position: Int { storedPosition }

    // Inlinable (as every member but `take`): the codecs of the other modules call these per field,
    // and a cross-module call per load or append cost the append path a quarter of its rate.
    @inlinable @inline(__always)
    public init(_ bytes: UnsafeRawBufferPointer, at position: Int = 0) {
        self.bytes = bytes
        self.storedPosition = position
    }

    @inlinable public var remaining: Int { bytes.count - storedPosition }

    // MARK: reads at an offset (the caller checked `offset + size <= bytes.count`)

    @inlinable @inline(__always) public func u8(_ o: Int) -> UInt8 { bytes.load(fromByteOffset: o, as: UInt8.self) }
    @inlinable @inline(__always) public func u16(_ o: Int) -> UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt16.self)) }
    @inlinable @inline(__always) public func u32(_ o: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
    @inlinable @inline(__always) public func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }

    /// The first eight bytes as a little-endian integer, or nil when there are fewer (a payload's
    /// leading object id).
    @inlinable @inline(__always)
    public static func leadingU64(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        bytes.count >= 8 ? ByteCursor(bytes).u64(0) : nil
    }

    // MARK: sequential reads (nil past the end; the position does not move then)

    /// The offset of the next `count` bytes, advancing past them; nil when fewer remain.
    @inlinable @inline(__always)
    public mutating func take(_ count: Int) -> Int? {
        guard count >= 0, count <= remaining else { return nil }
        defer { storedPosition += count }
        return position
    }

    // MARK: addresses and comparisons

    /// The address of byte `offset` (for a C call that takes a pointer and a length).
    @inlinable @inline(__always)
    public static func address(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UnsafeRawPointer {
        precondition(offset >= 0 && offset <= bytes.count, "address outside the buffer")
        return bytes.baseAddress! + offset
    }

    /// Whether `count` bytes at `offset` are equal in `a` and `b` (both must hold them).
    @inlinable @inline(__always)
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, at offset: Int, count: Int) -> Bool {
        precondition(offset >= 0 && offset + count <= a.count && offset + count <= b.count, "compare outside the buffers")
        return count == 0 || memcmp(a.baseAddress! + offset, b.baseAddress! + offset, count) == 0
    }

    // MARK: appends to a byte array (the codecs' writers)

    /// Appends `value`, little-endian.
    @inlinable @inline(__always)
    public static func append<T: FixedWidthInteger>(_ value: T, to array: inout [UInt8]) {
        Swift.withUnsafeBytes(of: value.littleEndian) { array.append(contentsOf: $0) }
    }

    /// `value`'s little-endian bytes.
    @inlinable @inline(__always)
    public static func bytes<T: FixedWidthInteger>(of value: T) -> [UInt8] {
        var array: [UInt8] = []
        array.reserveCapacity(MemoryLayout<T>.size)
        append(value, to: &array)
        return array
    }

    // MARK: stores (the caller checked `offset + size <= bytes.count`)

    @inlinable @inline(__always)
    public static func store<T: FixedWidthInteger>(_ value: T, at offset: Int, in bytes: UnsafeMutableRawBufferPointer) {
        bytes.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }

    @inlinable @inline(__always)
    public static func store<T: FixedWidthInteger>(_ value: T, at offset: Int, in pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}
