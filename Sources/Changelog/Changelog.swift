import Glibc
import Platform
import Synchronization

/// An append-only, checksummed changelog file.
///
/// Thread-safety: every method may be called from any thread. Appends are serialised by an
/// internal lock; scans read an immutable mapping (a lease, see `MappedRegion`) of the bytes that
/// were complete when they started, and never block appenders. One writer process per file is
/// enforced with `flock`. Lifetime: the file is closed when the last reference goes away; `close()`
/// makes later appends fail with `.closed`.
public final class Changelog: @unchecked Sendable {
    // @unchecked: all mutable state below is guarded by `lock`.
    /// The file's current path (changes when compaction renames a finished copy into place).
    public var path: String { lock.withLock { pathState } }
    public var configuration: ChangelogConfiguration { lock.withLock { configurationState } }
    var pathState: String
    var configurationState: ChangelogConfiguration
    let file: SystemFile
    let lock = ConditionLock()
    /// What `waitDurable`'s waiters sleep on (without `lock`): `flushWords[g % 2]` for the flush of
    /// generation g, bumped and woken when it ends or fails. Appends broadcast `lock`'s own
    /// condition (tailing readers), which no flush waiter waits on.
    let flushWords = [WaitWord(), WaitWord()]
    /// `syncedEnd`, readable without `lock` (stored under it): a woken flush waiter checks it.
    let durablePublished: Atomic<UInt64>
    /// Threads in `waitDurable` whose records are not yet durable.
    let durableWaiters = Atomic<Int>(0)

    // Guarded by `lock`.
    var headerState: FileHeader
    var endOffset: UInt64
    /// Bytes allocated to the file (≥ endOffset); the writer fallocates ahead and copies frames
    /// into its writable mapping, so an append costs no system call.
    var capacity: UInt64
    /// Reused encode buffer of the writer.
    var scratch: [UInt8] = []
    var lastSequenceState: SequenceNumber
    var syncedEnd: UInt64
    var syncing = false
    /// While `syncing`: the end the flush in progress covers, and its generation (counts flushes).
    var flushTarget: UInt64 = 0
    var flushGeneration = 0
    var poison: ChangelogError?
    var isClosed = false
    var region: MappedRegion?
    /// How far the mapping worker has been asked to map `region` (reset when the region is replaced).
    var prefaultedEnd: UInt64 = 0
    var appendsSinceOpen = 0
    /// A directory whose fsync must complete before any append counts as durable (set when
    /// compaction renames this log into place).
    var pendingDirectorySync: String?
    /// Appends extend the file with `pwrite` instead of copying into preallocated mapped space (a
    /// compaction's output, written in 64 KiB blocks by one thread: no page faults, and no fresh
    /// page read in as zeros before it is overwritten). Cleared when the output becomes the live log.
    var extendsWithWrites = false

    /// What the open scan found (torn tail, salvaged spans).
    public let openReport: OpenReport

    init(path: String, configuration: ChangelogConfiguration, file: SystemFile, header: FileHeader,
         end: UInt64, capacity: UInt64, lastSequence: SequenceNumber, report: OpenReport, region: MappedRegion?) {
        self.capacity = capacity
        self.pathState = path
        self.configurationState = configuration
        self.file = file
        self.headerState = header
        self.endOffset = end
        self.syncedEnd = end
        self.durablePublished = Atomic(end)
        self.lastSequenceState = lastSequence
        self.openReport = report
        self.region = region
    }

    public var header: FileHeader { lock.withLock { headerState } }
    public var identity: LogIdentity { lock.withLock { headerState.identity } }
    public var contentKind: ContentKind { lock.withLock { headerState.contentKind } }
    /// Offset after the last complete record: where the next append goes, and where readers stop.
    public var end: LogOffset { lock.withLock { LogOffset(endOffset) } }
    public var lastSequence: SequenceNumber { lock.withLock { lastSequenceState } }
    /// Offset up to which appends are known durable.
    public var durableEnd: LogOffset { lock.withLock { LogOffset(syncedEnd) } }
    /// fdatasync/fsync calls issued on this log's file since open.
    public var syncCount: Int { file.syncCount }
    public var isReadOnly: Bool { lock.withLock { configurationState.access == .readOnly } }
    /// The failed write or sync that poisoned this log (it refuses appends until reopened), if any.
    public var writeFailure: ChangelogError? { lock.withLock { poison } }

    /// Changes the durability of later appends.
    public func setDurability(_ durability: Durability) {
        lock.withLock { configurationState.durability = durability }
    }

    /// Takes `other`'s durability and prefault policy for later appends (a compaction's output
    /// becoming the live log).
    func inheritWritingPolicy(from other: Changelog) {
        let policy = other.configuration
        lock.withLock {
            configurationState.durability = policy.durability
            configurationState.prefault = policy.prefault
        }
    }

    /// Makes later durable acknowledgements wait for an fsync of `directory`.
    func requireDirectorySync(_ directory: String) {
        lock.withLock { pendingDirectorySync = directory }
    }

    /// Runs a pending directory fsync, if any (without holding the log's lock during the call).
    func syncPendingDirectory() throws(ChangelogError) {
        guard let dir = lock.withLock({ pendingDirectorySync }) else { return }
        try system { () throws(SystemError) in try FileSystem.syncDirectory(dir) }
        lock.withLock { if pendingDirectorySync == dir { pendingDirectorySync = nil } }
    }

    /// Records that the file was renamed to `newPath` (by compaction's swap).
    func renamed(to newPath: String) {
        lock.withLock { pathState = newPath }
    }

    /// Closes the log: later appends fail with `.closed`. Outstanding scans finish on their lease.
    /// A writer trims its preallocated space back to the end of the last record.
    public func close() {
        lock.withLock {
            if !isClosed && configurationState.access != .readOnly {
                if poison == nil && capacity > endOffset, (try? file.truncate(to: endOffset)) != nil { capacity = endOffset }
                file.unlock()
            }
            isClosed = true
            region = nil
            lock.broadcast()
            for word in flushWords {
                word.bump()
                word.wake()
            }
        }
    }

    /// A mapping that covers the current end (grown, never moved under a reader), and that end.
    func lease() throws(ChangelogError) -> (MappedRegion?, Int) {
        try lock.withLock { () throws(ChangelogError) -> (MappedRegion?, Int) in
            let end = Int(endOffset)
            if let region, region.length >= end { return (region, end) }
            let grown = max(end, (region?.length ?? 0) * 2, 1 << 20)
            let r = try system { () throws(SystemError) in try MappedRegion(file: file, length: grown) }
            region = r
            return (r, end)
        }
    }

    /// Visits records in `[from, end)` where `end` is the log's end when the call starts.
    /// Returns where the scan stopped. Under `.strict` damage throws; a torn tail ends the scan.
    @discardableResult
    public func scan(from: LogOffset = LogOffset(RecordFormat.firstRecordOffset), policy: DamagePolicy? = nil,
                     _ visit: (RecordView) -> Bool) throws(ChangelogError) -> ScanSummary {
        let (region, end) = try lease()
        let bytes = region?.bytes(count: end) ?? UnsafeRawBufferPointer(start: nil, count: 0)
        var scan = LogScan(path: path, bytes: bytes, identity: identity, policy: policy ?? configuration.damagePolicy)
        let base = from.rawValue <= RecordFormat.firstRecordOffset ? header.baseSequence : SequenceNumber.zero
        return try withExtendedLifetime(region) { () throws(ChangelogError) -> ScanSummary in
            try scan.run(from: Int(max(from.rawValue, RecordFormat.firstRecordOffset)), after: base, visit)
        }
    }

    /// Follows the log from `offset`: visits every record appended up to now and returns the
    /// offset to resume from. Pair with `waitForAppend(after:timeout:)` to tail the log.
    public func follow(from offset: LogOffset, _ visit: (RecordView) -> Bool) throws(ChangelogError) -> LogOffset {
        try scan(from: offset, policy: .strict, visit).end
    }

    /// Blocks until the log's end moves past `offset`, the log is closed, or `timeout` seconds
    /// pass. Returns the current end.
    @discardableResult
    public func waitForAppend(after offset: LogOffset, timeout: Double) -> LogOffset {
        lock.withLock {
            var remaining = timeout
            while endOffset <= offset.rawValue && !isClosed && remaining > 0 {
                if !lock.wait(seconds: min(remaining, 0.25)) { remaining -= 0.25 }
            }
            return LogOffset(endOffset)
        }
    }

    /// Copies the record at `position` (a frame offset, and a slot inside a block).
    public func read(at position: LogPosition) throws(ChangelogError) -> (type: RecordType, sequence: SequenceNumber, payload: [UInt8]) {
        var found: (RecordType, SequenceNumber, [UInt8])?
        let (region, end) = try lease()
        guard position.offset.rawValue >= RecordFormat.firstRecordOffset, position.offset.rawValue < UInt64(end) else {
            throw ChangelogError(.noRecord, path: path, offset: position.offset)
        }
        let bytes = region!.bytes(count: end)
        var scan = LogScan(path: path, bytes: bytes, identity: identity, policy: .strict)
        let summary = try withExtendedLifetime(region) { () throws(ChangelogError) -> ScanSummary in
            try scan.run(from: Int(position.offset.rawValue), after: .zero) { r in
                if r.position == position { found = (r.type, r.sequence, Array(r.payload)) }
                return r.position.offset != position.offset ? false : found == nil
            }
        }
        guard let found, summary.end.rawValue > position.offset.rawValue else {
            throw ChangelogError(.noRecord, path: path, offset: position.offset)
        }
        return found
    }
}
