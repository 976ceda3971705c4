import CBerylSupport

/// One logical record as a scan hands it out. `payload` points into the mapping (or into the
/// scanner's decompression buffer) and is valid only during the visit: copy what you keep.
public struct RecordView {
    public var position: LogPosition
    public var sequence: SequenceNumber
    public var type: RecordType
    public var payload: UnsafeRawBufferPointer
    /// Bytes the record occupies on disk (its frame; for a record in a block, its share of the
    /// block's uncompressed bytes).
    public var storedBytes: Int

    /// The u64 id in the first 8 payload bytes of an update or delete, if the payload is long enough.
    @inline(__always) public var id: UInt64? {
        payload.count >= 8 ? UInt64(littleEndian: payload.loadUnaligned(as: UInt64.self)) : nil
    }
    public func copyPayload() -> [UInt8] { Array(payload) }
}

/// Outcome of checking the bytes at one offset.
package enum FrameCheck {
    /// A valid frame starts at `start` (≥ the offset asked, after alignment) and ends at `end`.
    case valid(FrameHeader, start: Int, end: Int)
    /// No more bytes: the offset is the end of the data.
    case endOfData
    /// Bytes are there but are not a valid frame.
    case invalid(CorruptionReason, start: Int)
}

/// Physical validation of frames over the bytes `[0, end)` of a log. Pure function of the bytes
/// and the log identity; never traps on any input.
package struct FrameScanner {
    package let bytes: UnsafeRawBufferPointer
    package let identity: LogIdentity

    package init(bytes: UnsafeRawBufferPointer, identity: LogIdentity) {
        self.bytes = bytes
        self.identity = identity
    }

    @inline(__always)
    package func check(at cursor: Int) -> FrameCheck {
        let end = bytes.count
        if cursor >= end { return .endOfData }
        let start = Int(RecordFormat.recordStart(after: UInt64(cursor)))
        // Alignment and sector-gap bytes must be zero.
        if start > cursor {
            let gapEnd = min(start, end)
            for i in cursor..<gapEnd where bytes[i] != 0 { return .invalid(.badMagic, start: cursor) }
            if start >= end { return .invalid(.truncatedRecord, start: cursor) }
        }
        guard start + RecordFormat.frameHeaderSize <= end else {
            return .invalid(allZero(start, end) ? .zeroFilled : .truncatedRecord, start: start)
        }
        let r = ByteReader(bytes)
        guard r.u16(start) == RecordFormat.frameMagic else {
            return .invalid(allZero(start, start + RecordFormat.frameHeaderSize) ? .zeroFilled : .badMagic, start: start)
        }
        let flags = RecordFlags(rawValue: r.u8(start + 3))
        guard RecordFlags.known.isSuperset(of: flags) else { return .invalid(.unknownFlags(flags.rawValue), start: start) }
        guard r.u32(start + 20) == 0 else { return .invalid(.nonZeroReserved, start: start) }
        let stored = r.u32(start + 4)
        let raw = r.u32(start + 16)
        guard stored <= RecordFormat.maximumPayload, raw <= RecordFormat.maximumPayload,
              flags.contains(.lz4) || raw == stored else {
            return .invalid(.badLength(UInt64(stored)), start: start)
        }
        let frameEnd = start + RecordFormat.frameHeaderSize + RecordFormat.padded(Int(stored))
        guard frameEnd <= end else { return .invalid(.truncatedRecord, start: start) }
        let expected = r.u64(start + 24)
        let payload = UnsafeRawBufferPointer(rebasing: bytes[(start + RecordFormat.frameHeaderSize)..<frameEnd])
        let actual = RecordFormat.checksum(header: bytes.baseAddress! + start, paddedPayload: payload, identity: identity)
        guard actual == expected else { return .invalid(.checksumMismatch(expected: expected, actual: actual), start: start) }
        let header = FrameHeader(type: RecordType(rawValue: r.u8(start + 2)), flags: flags, storedLength: stored,
                                 sequence: SequenceNumber(r.u64(start + 8)), rawLength: raw, checksum: expected)
        return .valid(header, start: start, end: frameEnd)
    }

    package func allZero(_ from: Int, _ to: Int) -> Bool {
        var i = from
        while i < to {
            if bytes[i] != 0 { return false }
            i += 1
        }
        return true
    }

    /// The next offset after `from` (8-aligned) where a valid frame starts, or nil.
    package func nextValidFrame(after from: Int) -> Int? {
        var o = (from + 8) & ~7
        let magic0 = UInt8(truncatingIfNeeded: RecordFormat.frameMagic)
        let magic1 = UInt8(truncatingIfNeeded: RecordFormat.frameMagic >> 8)
        while o + RecordFormat.frameHeaderSize <= bytes.count {
            if bytes[o] == magic0 && bytes[o + 1] == magic1, case .valid(_, let s, _) = check(at: o), s == o {
                return o
            }
            o += 8
        }
        return nil
    }
}

/// The inner layout of a `.block` record's (decompressed) payload: entries of a 16-byte header
/// (u8 type, u8 flags = 0, u16 reserved = 0, u32 length, u64 sequence) and the payload padded to 8.
enum BlockLayout {
    static let entryHeaderSize = 16
    static let maximumEntries = Int(UInt16.max)

    static func encode(_ records: [(type: RecordType, payload: [UInt8], sequence: SequenceNumber)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(records.reduce(0) { $0 + entryHeaderSize + RecordFormat.padded($1.payload.count) })
        for r in records {
            var h = [UInt8](repeating: 0, count: entryHeaderSize)
            h[0] = r.type.rawValue
            h.withUnsafeMutableBytes { p in
                p.storeBytes(of: UInt32(r.payload.count).littleEndian, toByteOffset: 4, as: UInt32.self)
                p.storeBytes(of: r.sequence.rawValue.littleEndian, toByteOffset: 8, as: UInt64.self)
            }
            out += h
            out += r.payload
            out += repeatElement(0, count: RecordFormat.padded(r.payload.count) - r.payload.count)
        }
        return out
    }

    /// Visits each entry; returns a reason if the block is malformed (after visiting the good prefix).
    static func forEachEntry(in block: UnsafeRawBufferPointer, after first: SequenceNumber, lastSequence: SequenceNumber,
                             _ body: (_ slot: UInt16, RecordType, SequenceNumber, UnsafeRawBufferPointer, _ bytes: Int) -> Bool)
        -> (reason: CorruptionReason?, stopped: Bool) {
        let r = ByteReader(block)
        var o = 0
        var slot = 0
        var previous = first
        var sawEntry = false
        while o < block.count {
            guard o + entryHeaderSize <= block.count else { return (.badBlock("entry header past block end"), false) }
            guard r.u8(o + 1) == 0, r.u16(o + 2) == 0 else { return (.badBlock("reserved entry bytes not zero"), false) }
            let len = Int(r.u32(o + 4))
            let seq = SequenceNumber(r.u64(o + 8))
            let next = o + entryHeaderSize + RecordFormat.padded(len)
            guard len <= RecordFormat.maximumPayload, next <= block.count else { return (.badBlock("entry past block end"), false) }
            if seq <= previous { return (.sequenceRegression(previous: previous.rawValue, found: seq.rawValue), false) }
            slot += 1
            guard slot <= maximumEntries else { return (.badBlock("too many entries"), false) }
            previous = seq
            sawEntry = true
            let payload = UnsafeRawBufferPointer(rebasing: block[(o + entryHeaderSize)..<(o + entryHeaderSize + len)])
            if !body(UInt16(slot), RecordType(rawValue: r.u8(o)), seq, payload, next - o) { return (nil, true) }
            o = next
        }
        if !sawEntry || previous != lastSequence { return (.badBlock("last entry sequence does not match the frame"), false) }
        return (nil, false)
    }
}

/// LZ4 through the shim.
public enum LZ4 {
    /// Compresses; nil when the result would not be smaller than the input.
    public static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        guard input.count > 0, input.count < Int(Int32.max) else { return nil }
        let bound = Int(bs_lz4_compress_bound(Int32(input.count)))
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { o in
            bs_lz4_compress(input.baseAddress, Int32(input.count), o.baseAddress, Int32(bound))
        }
        guard n > 0, Int(n) < input.count else { return nil }
        out.removeLast(bound - Int(n))
        return out
    }

    /// Decompresses into `output`, which must be exactly the expected size. Returns false on any
    /// malformed input (never reads or writes out of bounds).
    public static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        guard input.count > 0, input.count < Int(Int32.max), output.count < Int(Int32.max) else { return output.isEmpty && input.isEmpty }
        let n = bs_lz4_decompress(input.baseAddress, Int32(input.count), output.baseAddress, Int32(output.count))
        return Int(n) == output.count
    }
}
