import Platform

/// One online compaction of a live log, in phases the caller drives under its own locks:
///
/// ```
/// caller (namespace)            session                              appenders
/// lock:       prepare ───────▶  note the end E0 (constant time)
/// no lock:    copy ──────────▶  scan [64, E0) for the live set, copy   keep appending to the log
///                               live records < E0 → <log>.oc
/// no lock:    catchUp ×k ────▶  records in [E_i, E_i+1) → .oc          keep appending
/// write lock: commit ────────▶  last small remainder → .oc, stamp,     blocked (briefly)
///                               fdatasync (of that remainder only: copy
///                               and catch-up sync as they go), rename
///                               log → <log>.<time>, rename .oc → log,
///                               fsync directory
///             (caller swaps in `Commit.log` and `Commit.index`)
/// no lock:    finish ────────▶  close and unmap the old log, prune archives
/// ```
/// Each `catchUp` copies what was appended since the previous one, so the remainder the commit
/// copies under the write lock is what arrived during the last catch-up, not since prepare: the
/// hold time depends on the write rate over one short catch-up, not on log size.
/// Not thread-safe: one caller drives a session.
public final class CompactionSession {
    public let source: Changelog
    public let livePath: String
    public let outputPath: String
    private var outputLog: Changelog?
    var snapshot: [LogPosition]?
    let prepareEnd: LogOffset
    var copiedThrough: LogOffset
    var copier: BlockCopier?
    let policy: DamagePolicy
    public private(set) var figures = CompactionFigures()
    private var finished = false

    /// Prepare: call with the owner's lock held (it only notes the log's end). `livePositions`
    /// may pass the live set if the owner has it; otherwise `copy` computes it from the log up to
    /// the noted end. Removes a leftover `<log>.oc` and creates a fresh one.
    public init(source: Changelog, livePositions: [LogPosition]? = nil, policy: DamagePolicy = .strict) throws(ChangelogError) {
        self.source = source
        self.livePath = source.path
        self.outputPath = livePath + ".oc"
        self.policy = policy
        self.prepareEnd = source.end
        self.copiedThrough = prepareEnd
        self.snapshot = livePositions?.sorted()
        figures.oldBytes = prepareEnd.rawValue
    }

    private var output: Changelog {
        get throws(ChangelogError) {
            guard let outputLog else { throw ChangelogError(.closed, path: outputPath, detail: "compaction copy not started") }
            return outputLog
        }
    }

    private func withCopier<R>(_ body: (inout BlockCopier) throws(ChangelogError) -> R) throws(ChangelogError) -> R {
        guard var c = copier else { throw ChangelogError(.closed, path: outputPath, detail: "compaction copy not started") }
        // Take the copier out so its index stays uniquely referenced (no copy-on-write of the
        // whole table on the next update).
        copier = nil
        defer { copier = c }
        return try body(&c)
    }

    /// Copy: no lock needed. Finds the live set as of prepare (unless given) and copies its
    /// records in offset order.
    public func copy() throws(ChangelogError) {
        do throws(ChangelogError) {
            try system { () throws(SystemError) in try FileSystem.remove(outputPath) }
            let out = try Compactor.createOutput(for: source, at: outputPath)
            outputLog = out
            copier = BlockCopier(output: out)
            var live: [LogPosition]
            if let snapshot { live = snapshot } else { live = try liveSetAtPrepare() }
            figures.recordsKept = live.count
            try withCopier { (c) throws(ChangelogError) in
                try Compactor.copyRecords(at: live, from: source, policy: policy, into: &c)
                try c.flush()
            }
            try out.sync()
            // Best effort: without the reservation the writer's first append allocates it itself.
            try? out.reserveGrowth()
        } catch {
            abort()
            throw error
        }
    }

    private func liveSetAtPrepare() throws(ChangelogError) -> [LogPosition] {
        var index = OffsetIndex()
        let end = prepareEnd
        var summary = try source.scan(policy: policy) { r in
            guard r.position.offset < end else { return false }
            figures.recordsTotal += 1
            index.apply(r)
            return true
        }
        summary.damagedSpans.removeAll { $0.offset >= end }
        figures.skippedSpans += summary.damagedSpans
        var positions: [LogPosition] = []
        positions.reserveCapacity(index.count)
        index.forEach { _, e in positions.append(e.position) }
        return positions.sorted()
    }

    /// Catch up: no lock needed. Copies every record appended since the last copy (updates,
    /// deletes, anything), and returns how many bytes of the source that covered.
    @discardableResult
    public func catchUp() throws(ChangelogError) -> UInt64 {
        try catchUp(syncing: true)
    }

    private func catchUp(syncing: Bool) throws(ChangelogError) -> UInt64 {
        let from = copiedThrough
        var failure: ChangelogError? = nil
        do throws(ChangelogError) {
            let summary = try withCopier { (c) throws(ChangelogError) -> ScanSummary in
                let summary = try source.scan(from: from, policy: policy) { r in
                    do throws(ChangelogError) { try c.add(r) } catch {
                        failure = error
                        return false
                    }
                    return true
                }
                if let failure { throw failure }
                try c.flush()
                return summary
            }
            figures.skippedSpans += summary.damagedSpans
            if syncing { try output.sync() }
            copiedThrough = summary.end
        } catch {
            abort()
            throw error
        }
        return copiedThrough.rawValue - from.rawValue
    }

    /// What the commit did: the new live log and where each old position went.
    public struct Commit {
        public var log: Changelog
        public var archivePath: String
        public var figures: CompactionFigures
        /// The new log's offset index (every id live at commit, at its new position).
        public var index: OffsetIndex
    }

    /// Commit: call with the owner's write lock held (no appends may happen). Copies the last
    /// remainder, appends the stamp, makes the copy durable and swaps it into place; the returned
    /// log takes the source's place with its configuration. Call `finish` after releasing the lock.
    public func commit() throws(ChangelogError) -> Commit {
        let output: Changelog
        do throws(ChangelogError) {
            output = try self.output as Changelog
            _ = try catchUp(syncing: false)
            try output.appendCompactionStamp(after: source.lastSequence)
            try output.sync()
        } catch {
            abort()
            throw error
        }
        // The swap. From here on the copy is complete and durable.
        let archive: String
        do throws(ChangelogError) {
            archive = try Compactor.swapIntoPlace(output, at: outputPath, replacing: source, livePath: livePath)
        } catch {
            abort()
            throw error
        }
        finished = true
        figures.recordsWritten = copier?.written ?? 0
        figures.newBytes = output.end.rawValue
        let index = copier?.index ?? OffsetIndex()
        copier = nil
        return Commit(log: output, archivePath: archive, figures: figures, index: index)
    }

    /// After a commit, with no lock held: closes (and so unmaps) the old log, which can take
    /// milliseconds for a large one, and deletes archives beyond `keepArchives`.
    public func finish(keepArchives: Int = 2) {
        try? outputLog?.syncPendingDirectory()
        source.close()
        Compactor.pruneArchives(of: livePath, keep: keepArchives)
    }

    /// Abandons the session: closes and removes `<log>.oc`; the live log is untouched.
    public func abort() {
        guard !finished else { return }
        finished = true
        outputLog?.close()
        outputLog = nil
        copier = nil
        try? FileSystem.remove(outputPath)
    }
}
