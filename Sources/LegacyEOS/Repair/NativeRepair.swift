import Changelog
import Platform

/// Repair of a native (Beryl) log: keeps every frame whose checksum verifies, in order, and skips
/// each damaged span to the next verifiable frame, however far. Kept frames are re-framed into a
/// new log with a NEW identity (checksums are seeded by the identity, so each frame's checksum is
/// recomputed) and their original type, flags, payload and sequence number. The header keeps the
/// content kind, flags, base sequence, creation time and predecessor.
///
/// A frame whose sequence number does not exceed the last kept one is discarded too (reason
/// `sequenceRegression`), so the output always opens under `.strict`. Frames are counted as
/// records: a compressed block frame counts once.
struct NativeRepair {
    let bytes: UnsafeRawBufferPointer
    var report: RepairReport
    /// The input's header (decoded, or rebuilt from the raw fields of a damaged one).
    let inputHeader: FileHeader

    init(bytes: UnsafeRawBufferPointer, path: String, report: RepairReport) {
        self.bytes = bytes
        var report = report
        do throws(ChangelogError) {
            let h = try FileHeader.decode(bytes, path: path)
            report.header = .ok(version: h.version, content: h.contentKind.rawValue)
            inputHeader = h
        } catch {
            report.header = .broken(error.description)
            inputHeader = Self.salvageHeader(bytes)
        }
        self.report = report
    }

    /// Whatever a damaged header's fields still say: the identity (the only way to verify the
    /// frames), and the content kind and flags if they are valid values. Base sequence 0.
    static func salvageHeader(_ bytes: UnsafeRawBufferPointer) -> FileHeader {
        guard bytes.count >= RecordFormat.fileHeaderSize else { return FileHeader(contentKind: .generic, identity: LogIdentity(rawValue: 0)) }
        let r = ByteCursor(bytes)
        return FileHeader(contentKind: ContentKind(rawValue: r.u16(10)) ?? .generic,
                          flags: LogFlags(rawValue: r.u32(12)).intersection(.known),
                          identity: LogIdentity(rawValue: r.u64(16)), baseSequence: .zero,
                          createdNanoseconds: r.u64(32), predecessor: r.u64(40))
    }

    /// The output's header: the input's, with a fresh identity.
    var outputHeader: FileHeader {
        var h = inputHeader
        h.identity = .random()
        return h
    }

    /// Scans the whole input; each kept frame is re-framed into `output` (nil: verify only).
    mutating func run(into output: BufferedFileWriter?, identity: LogIdentity,
                      progress: ((UInt64) -> Void)?) throws(ChangelogError) {
        let n = bytes.count
        let scanner = FrameScanner(bytes: bytes, identity: inputHeader.identity)
        report.bytesTotal = UInt64(n)
        var cursor = min(RecordFormat.fileHeaderSize, n)
        report.bytesAccepted = UInt64(cursor)
        var last = inputHeader.baseSequence
        var nextProgress = 64 << 20
        while cursor < n {
            switch scanner.check(at: cursor) {
            case .endOfData:
                return
            case .valid(let header, let start, let end) where header.sequence > last:
                report.scanned += 1
                report.healthy += 1
                report.bytesAccepted += UInt64(end - cursor)
                if let output { try copyFrame(start..<end, to: output, identity: identity) }
                last = header.sequence
                cursor = end
            case .valid(let header, let start, _):
                discard(from: cursor, damageAt: start, reason: .sequenceRegression(previous: last.rawValue, found: header.sequence.rawValue),
                        scanner: scanner, cursor: &cursor)
            case .invalid(let reason, let start):
                discard(from: cursor, damageAt: start, reason: reason, scanner: scanner, cursor: &cursor)
            }
            if let progress, cursor >= nextProgress {
                progress(UInt64(cursor))
                nextProgress = cursor + (64 << 20)
            }
        }
    }

    private mutating func discard(from cursor: Int, damageAt start: Int, reason: CorruptionReason,
                                  scanner: FrameScanner, cursor next: inout Int) {
        report.scanned += 1
        report.notFixed += 1
        let resume = scanner.nextValidFrame(after: max(start, cursor)) ?? bytes.count
        report.bytesDiscarded += UInt64(resume - cursor)
        report.discardedSpans.append(DiscardedSpan(start: UInt64(cursor), end: UInt64(resume), reason: reason))
        next = resume
    }

    /// Appends the frame in `range` (header and padded payload) at the output's next record
    /// start, with its checksum recomputed for `identity`.
    private func copyFrame(_ range: Range<Int>, to output: BufferedFileWriter, identity: LogIdentity) throws(ChangelogError) {
        let start = RecordFormat.recordStart(after: output.end)
        let gap = Int(start - output.end)
        let source = UnsafeRawBufferPointer(rebasing: bytes[range])
        try output.append(length: gap + source.count) { out in
            let frame = UnsafeMutableRawBufferPointer(rebasing: out[gap...])
            frame.copyMemory(from: source)
            let payload = UnsafeRawBufferPointer(rebasing: frame[RecordFormat.frameHeaderSize...])
            let sum = RecordFormat.checksum(header: UnsafeRawPointer(frame.baseAddress!), paddedPayload: payload, identity: identity)
            ByteCursor.store(sum, at: 24, in: frame)
        }
    }
}
