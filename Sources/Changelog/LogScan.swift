/// How a scan treats a damaged record in the middle of a log.
public enum DamagePolicy: Sendable, Equatable {
    /// A damaged record followed by valid ones is corruption: the scan fails with its offset and reason.
    case strict
    /// Skip damaged spans up to `maximumSpan` bytes (default 1 KiB), reporting each; a longer span
    /// fails the scan with `.damageTooLarge`.
    case salvage(maximumSpan: Int)
    public static let salvage = DamagePolicy.salvage(maximumSpan: 1024)
}

/// A span of bytes a salvage scan skipped.
public struct DamagedSpan: Sendable, Equatable, CustomStringConvertible {
    public var offset: LogOffset
    public var length: UInt64
    public var reason: CorruptionReason
    public var description: String { "skipped \(length) damaged bytes at \(offset): \(reason)" }
}

/// Bytes at the end of a log that do not form a complete valid record, with no valid record after
/// them: an append that was cut short (or, for a tailing reader, one still being written).
public struct TornTail: Sendable, Equatable, CustomStringConvertible {
    public var offset: LogOffset
    public var length: UInt64
    public var reason: CorruptionReason
    public var description: String { "torn tail of \(length) bytes at \(offset): \(reason)" }
}

/// What a scan found.
public struct ScanSummary: Sendable {
    /// Offset after the last valid record visited (where an appender continues).
    public var end: LogOffset
    /// Sequence number of the last valid record seen (the base sequence if none).
    public var lastSequence: SequenceNumber
    /// Logical records visited (records inside blocks count one each).
    public var records: Int
    public var damagedSpans: [DamagedSpan]
    public var tornTail: TornTail?
    /// Payload bytes of LZ4 frames visited, before and after compression.
    public var compressedRawBytes: UInt64 = 0
    public var compressedStoredBytes: UInt64 = 0
    /// Zero bytes after the last record: space the writer preallocated and has not used yet.
    public var trailingZeroBytes: UInt64 = 0
    /// True when the visitor asked to stop; `end` is then the offset after that record's frame.
    public var stoppedByVisitor: Bool
}

/// The scan loop shared by open, boot, follow, verify and compaction.
struct LogScan {
    let path: String
    let scanner: FrameScanner
    let policy: DamagePolicy
    var decompressed: [UInt8] = []

    init(path: String, bytes: UnsafeRawBufferPointer, identity: LogIdentity, policy: DamagePolicy) {
        self.path = path
        self.scanner = FrameScanner(bytes: bytes, identity: identity)
        self.policy = policy
    }

    /// Visits every record from `from` to the end of the bytes. `visit` returns false to stop.
    mutating func run(from: Int, after lastSequence: SequenceNumber,
                      _ visit: (RecordView) -> Bool) throws(ChangelogError) -> ScanSummary {
        var summary = ScanSummary(end: LogOffset(UInt64(from)), lastSequence: lastSequence, records: 0,
                                  damagedSpans: [], tornTail: nil, stoppedByVisitor: false)
        var cursor = from
        while true {
            switch scanner.check(at: cursor) {
            case .endOfData:
                summary.end = LogOffset(UInt64(cursor))
                return summary
            case .valid(let header, let start, let end):
                if header.sequence <= summary.lastSequence {
                    try damaged(.sequenceRegression(previous: summary.lastSequence.rawValue, found: header.sequence.rawValue),
                                at: start, cursor: &cursor, summary: &summary)
                    if summary.tornTail != nil || summary.trailingZeroBytes > 0 { return summary }
                    continue
                }
                let (reason, stop) = expand(header, start: start, end: end, summary: &summary, visit)
                if let reason {
                    try damaged(reason, at: start, cursor: &cursor, summary: &summary)
                    if summary.tornTail != nil || summary.trailingZeroBytes > 0 { return summary }
                    continue
                }
                summary.lastSequence = header.sequence
                cursor = end
                summary.end = LogOffset(UInt64(end))
                if stop {
                    summary.stoppedByVisitor = true
                    return summary
                }
            case .invalid(let reason, let start):
                try damaged(reason, at: start, cursor: &cursor, summary: &summary)
                if summary.tornTail != nil || summary.trailingZeroBytes > 0 { return summary }
            }
        }
    }

    /// Decides between torn tail, corruption and a salvage skip for damage at `start`.
    private func damaged(_ reason: CorruptionReason, at start: Int, cursor: inout Int,
                         summary: inout ScanSummary) throws(ChangelogError) {
        guard let next = scanner.nextValidFrame(after: max(start, cursor)) else {
            summary.end = LogOffset(UInt64(cursor))
            if scanner.allZero(cursor, scanner.bytes.count) {
                summary.trailingZeroBytes = UInt64(scanner.bytes.count - cursor)
                return
            }
            summary.tornTail = TornTail(offset: LogOffset(UInt64(cursor)), length: UInt64(scanner.bytes.count - cursor), reason: reason)
            return
        }
        let span = UInt64(next - cursor)
        switch policy {
        case .strict:
            throw ChangelogError(.corruption(reason), path: path, offset: LogOffset(UInt64(start)),
                                 detail: "valid records follow at \(LogOffset(UInt64(next)))")
        case .salvage(let limit):
            if span > UInt64(limit) {
                throw ChangelogError(.damageTooLarge(length: span, limit: UInt64(limit)), path: path,
                                     offset: LogOffset(UInt64(cursor)), detail: "\(reason)")
            }
            summary.damagedSpans.append(DamagedSpan(offset: LogOffset(UInt64(cursor)), length: span, reason: reason))
            cursor = next
        }
    }

    /// Hands the frame's record(s) to `visit`. Returns a reason when a checksummed frame's content
    /// is still malformed (bad LZ4 data or block layout), and whether the visitor asked to stop.
    private mutating func expand(_ h: FrameHeader, start: Int, end: Int, summary: inout ScanSummary,
                                 _ visit: (RecordView) -> Bool) -> (CorruptionReason?, Bool) {
        let stored = UnsafeRawBufferPointer(rebasing: scanner.bytes[(start + RecordFormat.frameHeaderSize)..<(start + RecordFormat.frameHeaderSize + Int(h.storedLength))])
        let offset = LogOffset(UInt64(start))
        if !h.flags.contains(.lz4) {
            if h.type == .block { return expandBlock(stored, h, offset, end - start, &summary, visit) }
            summary.records += 1
            let v = RecordView(position: LogPosition(offset: offset), sequence: h.sequence, type: h.type,
                               payload: stored, storedBytes: end - start)
            return (nil, !visit(v))
        }
        let rawCount = Int(h.rawLength)
        summary.compressedRawBytes += UInt64(rawCount)
        summary.compressedStoredBytes += UInt64(h.storedLength)
        if decompressed.count < rawCount { decompressed = [UInt8](repeating: 0, count: rawCount) }
        var buffer = decompressed
        decompressed = []
        defer { decompressed = buffer }
        let ok = buffer.withUnsafeMutableBytes { out in
            LZ4.decompress(stored, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<rawCount]))
        }
        guard ok else { return (.decompressionFailed, false) }
        return buffer.withUnsafeBytes { all in
            let raw = UnsafeRawBufferPointer(rebasing: all[0..<rawCount])
            if h.type == .block { return expandBlock(raw, h, offset, end - start, &summary, visit) }
            summary.records += 1
            let v = RecordView(position: LogPosition(offset: offset), sequence: h.sequence, type: h.type,
                               payload: raw, storedBytes: end - start)
            return (nil, !visit(v))
        }
    }

    private func expandBlock(_ raw: UnsafeRawBufferPointer, _ h: FrameHeader, _ offset: LogOffset, _ frameBytes: Int,
                             _ summary: inout ScanSummary, _ visit: (RecordView) -> Bool) -> (CorruptionReason?, Bool) {
        // Validate the whole block first so a malformed block is never half-visited.
        let check = BlockLayout.forEachEntry(in: raw, after: summary.lastSequence, lastSequence: h.sequence) { _, _, _, _, _ in true }
        if let reason = check.reason { return (reason, false) }
        var count = 0
        let result = BlockLayout.forEachEntry(in: raw, after: summary.lastSequence, lastSequence: h.sequence) { slot, type, seq, payload, bytes in
            count += 1
            return visit(RecordView(position: LogPosition(offset: offset, slot: slot), sequence: seq, type: type,
                                    payload: payload, storedBytes: bytes))
        }
        summary.records += count
        return (nil, result.stopped)
    }
}

/// Scans frames held in memory (a received replication chunk, a fuzz input) with the same rules
/// as a log on disk. `bytes` starts at file offset `base`.
public enum BufferScanner {
    public static func scan(_ bytes: UnsafeRawBufferPointer, identity: LogIdentity, after lastSequence: SequenceNumber,
                            policy: DamagePolicy = .strict, path: String = "<buffer>",
                            _ visit: (RecordView) -> Bool) throws(ChangelogError) -> ScanSummary {
        var scan = LogScan(path: path, bytes: bytes, identity: identity, policy: policy)
        return try scan.run(from: 0, after: lastSequence, visit)
    }
}
