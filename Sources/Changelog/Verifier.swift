/// Offline, read-only checks of a native log: every finding, not only the first.

/// One problem found in a log.
public struct Finding: Sendable, CustomStringConvertible {
    public var offset: LogOffset
    public var length: UInt64
    public var reason: String
    package init(offset: LogOffset, length: UInt64, reason: String) {
        self.offset = offset
        self.length = length
        self.reason = reason
    }
    public var description: String { "offset \(offset) (\(offset.rawValue)): \(reason) [\(length) bytes]" }
}

/// What `Verifier.verify` found.
public struct VerifyReport: Sendable {
    public var path: String
    public var header: FileHeader?
    public var records = 0
    public var bytes: UInt64 = 0
    public var lastSequence = SequenceNumber.zero
    public var findings: [Finding] = []
    public var trailingZeroBytes: UInt64 = 0
    public var isClean: Bool { findings.isEmpty }
}

public enum Verifier {
    /// Scans the whole file read-only, skipping each damaged span (of any length) to the next
    /// valid record and recording it, so one run lists every damaged region.
    public static func verify(path: String) -> VerifyReport {
        var report = VerifyReport(path: path)
        var config = ChangelogConfiguration.readOnly
        config.damagePolicy = .salvage(maximumSpan: Int.max)
        do throws(ChangelogError) {
            let log = try Changelog.open(at: path, configuration: config)
            report.header = log.header
            report.records = log.openReport.records
            report.bytes = log.end.rawValue
            report.lastSequence = log.lastSequence
            report.trailingZeroBytes = log.openReport.trailingZeroBytes
            for span in log.openReport.damagedSpans {
                report.findings.append(Finding(offset: span.offset, length: span.length, reason: span.reason.description))
            }
            if let torn = log.openReport.tornTail {
                report.findings.append(Finding(offset: torn.offset, length: torn.length, reason: "torn tail: \(torn.reason)"))
            }
        } catch {
            report.findings.append(Finding(offset: error.offset ?? LogOffset(0), length: 0, reason: error.description))
        }
        return report
    }
}

/// Record counts and sizes of a log, and what compaction would achieve, computed without writing.
public struct LogStatistics: Sendable {
    public var records = 0
    public var recordsByType: [String: Int] = [:]
    public var liveRecords = 0
    public var liveBytes: UInt64 = 0
    public var deadRecords = 0
    public var deadBytes: UInt64 = 0
    /// Bytes of the log up to its end (header included).
    public var totalBytes: UInt64 = 0
    /// Payload bytes of LZ4-compressed frames before and after compression.
    public var compressedRawBytes: UInt64 = 0
    public var compressedStoredBytes: UInt64 = 0
    /// Size a compaction would write: header, live records, one stamp.
    public var projectedCompactedBytes: UInt64 = 0
    package init() {}
    public var projectedRatio: Double { projectedCompactedBytes == 0 ? 0 : Double(totalBytes) / Double(projectedCompactedBytes) }

    /// Computes the statistics of an open log in one scan.
    public static func compute(_ log: Changelog) throws(ChangelogError) -> LogStatistics {
        var s = LogStatistics()
        var live: [UInt64: UInt64] = [:]   // id -> bytes of its latest update
        var index = OffsetIndex()
        let summary = try log.scan { r in
            s.records += 1
            index.apply(r)
            s.recordsByType[r.type.description, default: 0] += 1
            let bytes = UInt64(r.storedBytes)
            switch r.type {
            case .update:
                if let id = r.id { live[id] = bytes } else { s.deadRecords += 1; s.deadBytes += bytes }
            case .delete:
                if let id = r.id { live.removeValue(forKey: id) }
                s.deadRecords += 1
                s.deadBytes += bytes
            default:
                s.deadRecords += 1
                s.deadBytes += bytes
            }
            return true
        }
        s.totalBytes = log.end.rawValue
        s.liveRecords = live.count
        s.liveBytes = live.values.reduce(0, +)
        // Records superseded by later updates are dead too.
        s.deadRecords = s.records - s.liveRecords
        s.deadBytes = s.totalBytes > s.liveBytes + UInt64(RecordFormat.fileHeaderSize) ? s.totalBytes - s.liveBytes - UInt64(RecordFormat.fileHeaderSize) : 0
        s.compressedRawBytes = summary.compressedRawBytes
        s.compressedStoredBytes = summary.compressedStoredBytes
        var positions: [LogPosition] = []
        index.forEach { _, e in positions.append(e.position) }
        s.projectedCompactedBytes = try projectedSize(of: positions.sorted(), in: log)
        return s
    }

    /// The size compaction would write for these live records: they are packed into 64 KiB
    /// blocks and LZ4-compressed exactly as the compactor does, but only counted.
    static func projectedSize(of positions: [LogPosition], in log: Changelog) throws(ChangelogError) -> UInt64 {
        var total = UInt64(RecordFormat.fileHeaderSize) + UInt64(RecordFormat.frameHeaderSize) // header + stamp
        var block: [(type: RecordType, payload: [UInt8], sequence: SequenceNumber)] = []
        var blockBytes = 0
        func flush() {
            guard !block.isEmpty else { return }
            let raw = BlockLayout.encode(block)
            let stored = raw.withUnsafeBytes { LZ4.compress($0)?.count } ?? raw.count
            total += UInt64(RecordFormat.frameHeaderSize + RecordFormat.padded(stored))
            block.removeAll(keepingCapacity: true)
            blockBytes = 0
        }
        guard let first = positions.first else { return total }
        var next = 0
        try log.scan(from: first.offset) { r in
            if next < positions.count && r.position == positions[next] {
                block.append((r.type, r.copyPayload(), r.sequence))
                blockBytes += r.payload.count + BlockLayout.entryHeaderSize
                if blockBytes >= BlockCopier.blockBytes || block.count >= BlockLayout.maximumEntries { flush() }
                next += 1
            }
            return next < positions.count
        }
        flush()
        return total
    }
}
