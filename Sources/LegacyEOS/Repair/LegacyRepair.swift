import Changelog
import Platform

/// The repair algorithm of EOS's `eos-log-repair` (`ChangeLogFile::repair` and its helpers
/// `reconstructRecord`, `guessSize`, `findRecordMagic`), ported step for step so that the counters
/// match the legacy tool's on the same input. Reads a mapping instead of `pread`: a short read is
/// a bounds check. Never traps on any bytes.
struct LegacyRepair {
    /// How far past a record's start `guessSize` looks for the next magic.
    static let sizeSearchLimit = 70000

    let bytes: UnsafeRawBufferPointer
    let scanner: LegacyScanner
    var report: RepairReport
    var inference = LegacyContentInference()

    init(bytes: UnsafeRawBufferPointer, report: RepairReport) {
        self.bytes = bytes
        self.scanner = LegacyScanner(bytes: bytes)
        self.report = report
    }

    /// A record rebuilt at some offset: its type, the payload bytes to keep, and where the next
    /// record starts.
    struct Rebuilt {
        var type: UInt8
        var payload: Range<Int>
        var end: Int
        /// The CRC this record has when re-framed (sequence 0, options = type), when the input's
        /// framing already was that, so the writer need not compute it again.
        var reframedChecksum: UInt32?
    }

    /// Runs the repair from offset 8 to the end, handing each rebuilt record to `store`.
    mutating func run(store: (UInt8, UnsafeRawBufferPointer, UInt32?) throws(ChangelogError) -> Void,
                      progress: ((UInt64) -> Void)?) throws(ChangelogError) {
        let n = bytes.count
        report.bytesTotal = UInt64(n)
        report.bytesAccepted = UInt64(min(LegacyFormat.headerSize, n))
        var offset = LegacyFormat.headerSize
        var nextProgress = 16 << 20
        while offset < n {
            report.scanned += 1
            if let r = reconstruct(at: offset), r.payload.count <= LegacyFormat.maximumPayload {
                report.healthy += 1
                report.bytesAccepted += UInt64(r.end - offset)
                let payload = UnsafeRawBufferPointer(rebasing: bytes[r.payload])
                // Content inference is only needed to rebuild a damaged header.
                if !report.header.isOK { inference.observe(type: r.type, payload: payload) }
                try store(r.type, payload, r.reframedChecksum)
                offset = r.end
            } else {
                report.notFixed += 1
                let reason = damageReason(at: offset)
                guard let next = scanner.nextRecordMagic(from: offset + 4) else {
                    report.bytesDiscarded += UInt64(n - offset)
                    report.discardedSpans.append(DiscardedSpan(start: UInt64(offset), end: UInt64(n), reason: reason))
                    break
                }
                report.bytesDiscarded += UInt64(next - offset)
                report.discardedSpans.append(DiscardedSpan(start: UInt64(offset), end: UInt64(next), reason: reason))
                offset = next
            }
            if let progress, offset >= nextProgress {
                progress(UInt64(offset))
                nextProgress = offset + (16 << 20)
            }
        }
    }

    /// `reconstructRecord`: accepts the record at `offset` if the CRC over its payload matches
    /// either stored copy, trying the header's size first and then each later record magic
    /// (within 70,000 bytes) as the record's end.
    mutating func reconstruct(at offset: Int) -> Rebuilt? {
        let n = bytes.count
        guard offset >= 0, offset <= n - LegacyFormat.recordHeaderSize else { return nil }
        let r = ByteCursor(bytes)
        let wrongMagic = r.u16(offset) != LegacyFormat.recordMagic
        var size = Int(r.u16(offset + 2))
        let stored = r.u32(offset + 4)
        let type = r.u8(offset + 16)
        let payloadStart = offset + LegacyFormat.recordHeaderSize
        let crcHead = LegacyFormat.crc32(UnsafeRawBufferPointer(rebasing: bytes[(offset + 8)..<payloadStart]))
        let reframable = r.u64(offset + 8) == 0 && r.u32(offset + 16) == UInt32(type)

        if payloadStart + size > n {
            report.fixedWrongSize += 1
            guard let guessed = guessSize(at: offset, startHint: nil) else { return nil }
            size = guessed
        }
        guard payloadStart + size <= n - 4 else { return nil }
        var crc = LegacyFormat.crc32(UnsafeRawBufferPointer(rebasing: bytes[payloadStart..<(payloadStart + size)]), continuing: crcHead)
        var trailer = r.u32(payloadStart + size)
        if crc == stored || crc == trailer {
            if crc != stored || crc != trailer { report.fixedWrongChecksum += 1 }
            if wrongMagic { report.fixedWrongMagic += 1 }
            return Rebuilt(type: type, payload: payloadStart..<(payloadStart + size), end: payloadStart + size + 4,
                               reframedChecksum: reframable && size % 4 == 0 ? crc : nil)
        }
        // The size may be wrong: try each later magic as the start of the next record. As in EOS,
        // the hint advances by the size tried plus 4, so after the second try it runs ahead of
        // the magic just tried; kept as is so the figures match the legacy tool's.
        var startHint = offset + LegacyFormat.recordOverhead
        while true {
            guard let guessed = guessSize(at: offset, startHint: startHint) else { return nil }
            size = guessed
            guard payloadStart + size <= n - 4 else { return nil }
            trailer = r.u32(payloadStart + size)
            startHint += size + 4
            crc = LegacyFormat.crc32(UnsafeRawBufferPointer(rebasing: bytes[payloadStart..<(payloadStart + size)]), continuing: crcHead)
            if crc == stored || crc == trailer {
                if crc != stored || crc != trailer { report.fixedWrongChecksum += 1 }
                if wrongMagic { report.fixedWrongMagic += 1 }
                report.fixedWrongSize += 1
                return Rebuilt(type: type, payload: payloadStart..<(payloadStart + size), end: payloadStart + size + 4,
                               reframedChecksum: reframable && size % 4 == 0 ? crc : nil)
            }
        }
    }

    /// `guessSize`: the payload size that would make the next record magic at or after the hint
    /// (default `offset + 24`, and before `offset + 70000`) the next record, if at most 65,535.
    func guessSize(at offset: Int, startHint: Int?) -> Int? {
        if let startHint, startHint - offset >= Self.sizeSearchLimit { return nil }
        let start = startHint ?? offset + LegacyFormat.recordOverhead
        guard let next = scanner.nextRecordMagic(from: start, limit: offset + Self.sizeSearchLimit) else { return nil }
        let size = next - offset - LegacyFormat.recordOverhead
        guard size >= 0, size <= Int(UInt16.max) else { return nil }
        return size
    }

    /// Why the record at `offset` failed a strict read (for the report; repair itself is lenient).
    func damageReason(at offset: Int) -> CorruptionReason {
        if case .invalid(let reason) = scanner.check(at: offset) { return reason }
        return .badLength(UInt64(ByteCursor(bytes).u16(offset + 2)))
    }
}
