import Changelog
import Platform

/// One legacy record as a scan hands it out. `payload` (the padded payload) points into the
/// scanned bytes and is valid only during the visit: copy what you keep.
public struct LegacyRecordView {
    public var offset: LogOffset
    public var type: RecordType
    public var sequence: UInt64
    /// The options word; its low byte is the type, the rest is unused by EOS.
    public var options: UInt32
    public var payload: UnsafeRawBufferPointer
    /// Bytes the record occupies: 24 + padded payload.
    public var length: Int { payload.count + LegacyFormat.recordOverhead }

    /// The u64 id in the first 8 payload bytes of an update or delete, if the payload is long enough.
    public var id: UInt64? {
        ByteCursor.leadingU64(payload)
    }
}

/// Outcome of checking the bytes at one offset.
public enum LegacyRecordCheck {
    /// A valid record; the next one starts at `end`.
    case valid(LegacyRecordView, end: Int)
    /// The offset is the end of the data.
    case endOfData
    /// Bytes are there but are not a valid record.
    case invalid(CorruptionReason)
}

/// What a strict scan found: where it stopped and why.
public struct LegacyScanResult: Sendable {
    /// Offset after the last valid record visited.
    public var end: Int
    public var records: Int
    /// The first invalid record (offset and reason), or nil when the scan reached the end.
    public var failure: (offset: Int, reason: CorruptionReason)?
    public var stoppedByVisitor: Bool
}

/// Physical validation of legacy records over the bytes `[0, count)` of a log file, as EOS's
/// `readRecord` does (magic, and CRC equal to both stored copies). A pure function of the bytes;
/// never traps, never copies.
public struct LegacyScanner {
    public let bytes: UnsafeRawBufferPointer

    public init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public func check(at offset: Int) -> LegacyRecordCheck {
        let n = bytes.count
        guard offset >= 0, offset < n else { return .endOfData }
        guard offset <= n - LegacyFormat.recordHeaderSize else { return .invalid(.truncatedRecord) }
        let r = ByteCursor(bytes)
        guard r.u16(offset) == LegacyFormat.recordMagic else { return .invalid(.badMagic) }
        let size = Int(r.u16(offset + 2))
        let payloadStart = offset + LegacyFormat.recordHeaderSize
        guard payloadStart + size <= n - 4 else { return .invalid(.truncatedRecord) }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[payloadStart..<(payloadStart + size)])
        // Sequence and options directly precede the payload: one CRC call over both.
        let crc = LegacyFormat.crc32(UnsafeRawBufferPointer(rebasing: bytes[(offset + 8)..<(payloadStart + size)]))
        let stored = r.u32(offset + 4)
        let trailer = r.u32(payloadStart + size)
        guard crc == stored, stored == trailer else {
            return .invalid(.checksumMismatch(expected: UInt64(stored), actual: UInt64(crc)))
        }
        let options = r.u32(offset + 16)
        let view = LegacyRecordView(offset: LogOffset(UInt64(offset)), type: RecordType(rawValue: UInt8(truncatingIfNeeded: options)),
                                    sequence: r.u64(offset + 8), options: options, payload: payload)
        return .valid(view, end: payloadStart + size + 4)
    }

    /// EOS's `findRecordMagic`: the first offset at `from`, `from + 4`, ... whose u16 is the record
    /// magic, with 4 readable bytes there. With a `limit`, positions at or past it are not tried
    /// (except `from` itself, as in EOS).
    public func nextRecordMagic(from: Int, limit: Int? = nil) -> Int? {
        var o = from
        let n = bytes.count
        let m0 = UInt8(truncatingIfNeeded: LegacyFormat.recordMagic)
        let m1 = UInt8(truncatingIfNeeded: LegacyFormat.recordMagic >> 8)
        guard o >= 0 else { return nil }
        while o <= n - 4 {
            if bytes[o] == m0 && bytes[o + 1] == m1 { return o }
            o += 4
            if let limit, o >= limit { return nil }
        }
        return nil
    }

    /// Visits every record from `from` (EOS `scanAllRecords`), stopping at the first invalid one
    /// or when `visit` returns false.
    public func forEachRecord(from: Int = LegacyFormat.firstRecordOffset,
                              _ visit: (LegacyRecordView) -> Bool) -> LegacyScanResult {
        var result = LegacyScanResult(end: from, records: 0, failure: nil, stoppedByVisitor: false)
        var offset = from
        while true {
            switch check(at: offset) {
            case .endOfData:
                return result
            case .invalid(let reason):
                result.failure = (offset, reason)
                return result
            case .valid(let view, let end):
                result.records += 1
                offset = end
                result.end = end
                if !visit(view) {
                    result.stoppedByVisitor = true
                    return result
                }
            }
        }
    }
}
