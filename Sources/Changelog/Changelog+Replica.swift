import Platform

/// What changelog shipping needs from a log: on the master, the bytes a replica may copy and a
/// fingerprint of a prefix; on the slave, appending frames copied verbatim from the master's log
/// after verifying every one of them, and creating a replica with the master's exact header.
extension Changelog {
    /// The end a replica may copy: bytes up to here are acknowledged under the log's durability
    /// (durable under `batch` and `always`; merely written under `none`). A slave therefore never
    /// holds a record that its master could lose in a crash, unless the master runs without durability.
    public var shippableEnd: LogOffset {
        lock.withLock { LogOffset(configurationState.durability == .none ? endOffset : syncedEnd) }
    }

    /// The 64 bytes of the file header, exactly as on disk.
    public var headerBytes: [UInt8] { lock.withLock { headerState.encoded() } }

    /// Calls `body` with the log's bytes `[from, to)`, which must lie below the current end. The
    /// bytes are valid only inside `body` (they are read from the log's mapping under a lease).
    public func withLogBytes<R>(from: LogOffset, to: LogOffset, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let (region, end) = try lease()
        guard from <= to, to.rawValue <= UInt64(end), let region else {
            throw ChangelogError(.noRecord, path: path, offset: from, detail: "bytes [\(from), \(to)) are past the end \(end)")
        }
        return try withExtendedLifetime(region) {
            try body(UnsafeRawBufferPointer(rebasing: region.bytes(count: end)[Int(from.rawValue)..<Int(to.rawValue)]))
        }
    }

    /// A fingerprint of the log's bytes just before `end` (XXH3 of the last 4 KiB of records, or
    /// fewer): a master compares it with a replica's to tell whether the replica's bytes up to
    /// `end` are a prefix of its own log or a diverged history (a rejoining old master's tail).
    public func tailFingerprint(at end: LogOffset) throws -> UInt64 {
        let from = Self.fingerprintStart(end)
        guard end > from else { return 0 }
        return try withLogBytes(from: from, to: end) { RecordFormat.xxh3($0) }
    }

    /// The tail fingerprint at `end` of an archived predecessor of the log at `livePath` (a
    /// `<live>.<unix time>` file kept by compaction) whose identity is `identity`; nil when no such
    /// archive is kept or it is shorter than `end`. Reads the headers and 4 KiB only.
    public static func archivedPrefix(of livePath: String, identity: LogIdentity, end: LogOffset) -> UInt64? {
        let dir = FileSystem.directory(of: livePath)
        let base = String(livePath.split(separator: "/").last ?? "")
        for name in FileSystem.list(dir) where name.hasPrefix(base + ".") && Int(name.dropFirst(base.count + 1)) != nil {
            let path = dir + "/" + name
            guard let file = try? SystemFile.open(path, access: .readOnly, creation: .openExisting),
                  let head = try? file.read(count: RecordFormat.fileHeaderSize, at: 0),
                  let header = try? withArrayBytes(head, { (b) throws(ChangelogError) in try FileHeader.decode(b, path: path) }),
                  header.identity == identity, let size = try? file.size(), size >= end.rawValue else { continue }
            let from = fingerprintStart(end)
            guard end > from else { return 0 }
            guard let tail = try? file.read(count: Int(end.rawValue - from.rawValue), at: from.rawValue) else { return nil }
            return tail.withUnsafeBytes { RecordFormat.xxh3($0) }
        }
        return nil
    }

    /// Where the bytes a tail fingerprint covers start (shared with namespace checkpoints).
    public static func fingerprintStart(_ end: LogOffset) -> LogOffset {
        LogOffset(max(UInt64(RecordFormat.firstRecordOffset), end.rawValue >= 4096 ? end.rawValue - 4096 : 0))
    }

    /// Where a chunk of whole frames that starts at `from` (a frame boundary) should end: `limit`
    /// (a frame boundary, such as `shippableEnd`) when that is at most `maximumBytes` away, else
    /// the end of the last frame that fits (or of the first frame, if even that one is larger).
    public func chunkEnd(from: LogOffset, limit: LogOffset, maximumBytes: Int) throws(ChangelogError) -> LogOffset {
        guard limit > from, limit.rawValue - from.rawValue > UInt64(maximumBytes) else { return max(from, limit) }
        let (region, end) = try lease()
        guard let region, limit.rawValue <= UInt64(end) else { return from }
        return withExtendedLifetime(region) {
            let scanner = FrameScanner(bytes: region.bytes(count: Int(limit.rawValue)), identity: identity)
            let start = Int(from.rawValue)
            var last = start
            while true {
                guard case .valid(_, _, let frameEnd) = scanner.check(at: last) else { return LogOffset(UInt64(last)) }
                if frameEnd - start > maximumBytes && last > start { return LogOffset(UInt64(last)) }
                last = frameEnd
            }
        }
    }

    /// Appends frames copied verbatim from another copy of this log (a master's), at `offset`,
    /// which must be this log's end. Every frame is verified first (checksum seeded with this
    /// log's identity, increasing sequence numbers, whole records ending exactly at the last byte);
    /// on any failure nothing is published and the error names the offset and the reason.
    /// Returns the number of records and the acknowledgement to await under the log's durability.
    public func appendVerbatim(_ bytes: UnsafeRawBufferPointer, at offset: LogOffset) throws(ChangelogError) -> (records: Int, acknowledgement: PendingAcknowledgement) {
        try lock.withLock { () throws(ChangelogError) -> (Int, PendingAcknowledgement) in
            if isClosed { throw ChangelogError(.closed, path: pathState) }
            if configurationState.access == .readOnly { throw ChangelogError(.readOnly, path: pathState) }
            if let poison { throw ChangelogError(.poisoned, path: pathState, errno: poison.errno, detail: poison.description) }
            guard offset.rawValue == endOffset else {
                throw ChangelogError(.noRecord, path: pathState, offset: offset,
                                     detail: "replica bytes start at \(offset) but the log ends at \(LogOffset(endOffset))")
            }
            guard !bytes.isEmpty else { return (0, PendingAcknowledgement(end: endOffset)) }
            let newEnd = endOffset + UInt64(bytes.count)
            guard newEnd <= LogPosition.maximumOffset else {
                throw ChangelogError(.io, path: pathState, offset: offset, errno: Errno.fileTooLarge, detail: "log exceeds 256 TiB")
            }
            // pwrite, not a store into fresh mapped pages (see `writeUnpublished`); verified before
            // the end is published.
            let previousCapacity = try writeUnpublished(bytes)
            let start = Int(endOffset)
            var scan = LogScan(path: pathState, bytes: region!.bytes(count: Int(newEnd)), identity: headerState.identity,
                               policy: .strict)
            let summary: ScanSummary
            do throws(ChangelogError) {
                summary = try scan.run(from: start, after: lastSequenceState) { _ in true }
                if summary.end.rawValue != newEnd || summary.tornTail != nil {
                    throw ChangelogError(.corruption(summary.tornTail?.reason ?? .truncatedRecord), path: pathState,
                                         offset: summary.end, detail: "replicated bytes do not verify as whole records")
                }
            } catch {
                discardUnpublished(upTo: newEnd, previousCapacity: previousCapacity)
                throw error
            }
            endOffset = newEnd
            lastSequenceState = summary.lastSequence
            appendsSinceOpen += summary.records
            lock.broadcast()
            return (summary.records, PendingAcknowledgement(end: newEnd))
        }
    }

    /// Creates a log at `path` whose header is exactly `header` (a master's header bytes: same
    /// identity, base sequence, flags and predecessor) and opens it for append with `configuration`.
    public static func createReplica(at path: String, header: [UInt8], configuration: ChangelogConfiguration) throws(ChangelogError) -> Changelog {
        let decoded = try withArrayBytes(header) { (b) throws(ChangelogError) in
            try FileHeader.decode(b, path: path, expected: configuration.contentKind)
        }
        guard decoded.encoded() == header else {
            throw ChangelogError(.notAChangelog, path: path, offset: LogOffset(0), detail: "replica header does not re-encode identically")
        }
        try system { () throws(SystemError) in try FileSystem.remove(path) }
        try create(at: path, header: decoded)
        var c = configuration
        c.creation = .openExisting
        return try open(at: path, configuration: c)
    }
}
