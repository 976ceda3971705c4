import Platform

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
        ByteCursor.leadingU64(payload)
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
        let r = ByteCursor(bytes)
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
        let actual = RecordFormat.checksum(header: ByteCursor.address(bytes, start), paddedPayload: payload, identity: identity)
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
