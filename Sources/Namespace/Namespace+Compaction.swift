import Changelog

/// What one `compact` run did, per log.
public struct CompactionReport: Sendable {
    public var type: CompactionType
    public var figures: [CompactedLog: CompactionFigures] = [:]
    /// Where each old log went (`<log>.<unix time>`, unless pruned).
    public var archives: [CompactedLog: String] = [:]
    /// Longest hold of the namespace write lock by a commit, in seconds.
    public var longestCommitHold = 0.0
    public var catchUpRounds: [CompactedLog: Int] = [:]
    /// The checkpoint written at the end of the run (nil: none, see `checkpointFailure`).
    public var checkpoint: String?
    /// Why no checkpoint was written (the run itself still succeeded).
    public var checkpointFailure: String?
}

extension Namespace {
    /// Online compaction of the logs `type` names while the namespace keeps serving.
    ///
    /// Per log: *prepare* under the write lock (notes the log's end: constant time), *copy* of
    /// the live records into `<log>.oc` and *catch-up* rounds without any lock (until a round
    /// copies less than `options.catchUpThreshold` or `maximumCatchUpRounds` rounds ran), then
    /// *commit* under the write lock (copy the small remainder, sync, rename the live log to an
    /// archive and `.oc` into its place, and swap the `Changelog` mutations append to), then
    /// *finish* after the lock (close the old log, prune archives). The boot state reads
    /// `compacting` meanwhile. Readers never hold references into a log's mapping (the tree is
    /// decoded into memory), so unmapping the old log needs no coordination with them.
    ///
    /// Any failure before the swap aborts the session (`.oc` removed): the live log and the
    /// namespace stay as they were, the reason goes to `masterLog`, the status shows `failed`,
    /// and the error is thrown; the namespace keeps serving. With `all`, a log already swapped
    /// stays compacted. Refused with EBUSY while a run is in progress and with EROFS unless the
    /// namespace is a read-write master.
    @discardableResult
    public func compact(_ type: CompactionType, options: CompactionOptions = CompactionOptions()) throws(NamespaceError) -> CompactionReport {
        guard role == .masterReadWrite, !compactionHeld else { throw .readOnly }
        try compaction.begin()
        compaction.update { $0.lastFailure = nil }
        var report = CompactionReport(type: type)
        do throws(NamespaceError) {
            try lock.withWriteLock { () throws(NamespaceError) in
                guard state == .booted else { throw .notBooted(state) }
                state = .compacting
            }
        } catch {
            compaction.update { $0.running = nil }
            throw error
        }
        defer {
            lock.withWriteLock { if state == .compacting { state = .booted } }
            compaction.update { $0.running = nil }
        }
        masterLog.log(.info, "compaction \(type): started")
        for which in type.logs {
            do throws(NamespaceError) {
                try compactLog(which, type: type, options: options, into: &report)
            } catch {
                let reason = "compaction \(type) of the \(which.rawValue) log failed: \(error); live log unchanged"
                masterLog.log(.error, reason)
                compaction.update { $0.lastFailure = reason }
                throw error
            }
        }
        // The compacted logs' new positions: boot loads this and replays only what comes after it.
        do throws(CheckpointError) {
            report.checkpoint = try writeCheckpoint(keep: options.keepArchives)
        } catch {
            report.checkpointFailure = error.description
            masterLog.log(.warning, "compaction \(type): checkpoint not written: \(error); boot replays the logs from an older checkpoint or in full")
        }
        compaction.update { $0.completedRuns += 1 }
        return report
    }

    private func compactLog(_ which: CompactedLog, type: CompactionType, options: CompactionOptions,
                            into report: inout CompactionReport) throws(NamespaceError) {
        let userObserver = options.observer ?? { _, _ in }
        let started = MonotonicClock.seconds()
        let name = "compaction \(type) of the \(which.rawValue) log"
        // Every phase also goes to the master log, as the legacy "compact prepare", "compacting",
        // "compact commit", "compact done" lines did.
        let observe: (CompactedLog, CompactionPhase) -> Void = { log, phase in
            switch phase {
            case .prepare: self.masterLog.log(.info, "\(name): prepare")
            case .copy: self.masterLog.log(.info, "\(name): compacting (copy without the lock)")
            case .commit: self.masterLog.log(.info, "\(name): commit")
            default: break
            }
            userObserver(log, phase)
        }
        var phase = CompactionPhase.prepare
        observe(which, phase)
        let session = try lock.withWriteLock { () throws(NamespaceError) -> CompactionSession in
            guard state == .compacting, let source = log(which) else { throw .notBooted(state) }
            // In the same hold as the snapshot: no effect can fall between the two.
            try writeParentTimes()
            return try changelog { () throws(ChangelogError) in try CompactionSession(source: source, policy: type.damagePolicy) }
        }
        compaction.update { $0.running = .compacting }
        let commit: CompactionSession.Commit
        do throws(NamespaceError) {
            phase = .copy
            observe(which, phase)
            try changelog { () throws(ChangelogError) in try session.copy() }
            phase = .catchUp
            observe(which, phase)
            var rounds = 0
            while rounds < options.maximumCatchUpRounds {
                rounds += 1
                let copied = try changelog { () throws(ChangelogError) in try session.catchUp() }
                if copied < options.catchUpThreshold { break }
            }
            report.catchUpRounds[which] = rounds
            phase = .commit
            observe(which, phase)
            let (c, held) = try lock.withWriteLock { () throws(NamespaceError) -> (CompactionSession.Commit, Double) in
                let start = MonotonicClock.seconds()
                // close() or a failed boot may have replaced the log meanwhile: never swap a stale one in.
                guard state == .compacting, log(which) === session.source else { throw .notBooted(state) }
                let c = try changelog { () throws(ChangelogError) in try session.commit() }
                setLog(which, c.log)
                return (c, MonotonicClock.seconds() - start)
            }
            commit = c
            report.longestCommitHold = max(report.longestCommitHold, held)
        } catch {
            session.abort()
            throw error
        }
        phase = .finish
        observe(which, phase)
        session.finish(keepArchives: options.keepArchives)
        let f = commit.figures
        report.figures[which] = f
        report.archives[which] = commit.archivePath
        for span in f.skippedSpans {
            masterLog.log(.warning, "compaction \(type) of the \(which.rawValue) log: skipped damaged span \(span)")
        }
        masterLog.log(.info, "compaction \(type) of the \(which.rawValue) log: \(f.oldBytes) -> \(f.newBytes) bytes, "
                      + "ratio \(NamespaceStatistics.ratio(f.ratio)):1, \(f.recordsWritten) records written, "
                      + "write lock held \(NamespaceStatistics.seconds(report.longestCommitHold * 1000)) ms, "
                      + "done elapsed=\(NamespaceStatistics.seconds(MonotonicClock.seconds() - started)) s")
        compaction.update { fields in
            switch which {
            case .files: fields.filesRatio = f.ratio
            case .directories: fields.directoriesRatio = f.ratio
            }
        }
        observe(which, .done)
    }

    /// Runs a changelog call, wrapping its error.
    private func changelog<R>(_ body: () throws(ChangelogError) -> R) throws(NamespaceError) -> R {
        do { return try body() } catch { throw .log(error) }
    }

    /// Lock held.
    func log(_ which: CompactedLog) -> Changelog? {
        switch which {
        case .files: filesLog
        case .directories: directoriesLog
        }
    }

    /// Lock held (write).
    private func setLog(_ which: CompactedLog, _ log: Changelog) {
        switch which {
        case .files: filesLog = log
        case .directories: directoriesLog = log
        }
    }

    /// The compaction status (the `Compactification` line of the statistics).
    public var compactionStatus: CompactionStatus { compaction.status(now: Timestamp.now().seconds, role: role) }

    /// Held by the owner while a read-write master prepares to stop writing (`ns master`, step 1):
    /// no compaction starts (manual or scheduled) while mutations are still accepted. Compaction
    /// also waits whenever the role is not `masterReadWrite`.
    public var compactionHeld: Bool {
        get { compaction.fields.withLock { $0.held } }
        set { compaction.fields.withLock { $0.held = newValue } }
    }

    /// True while a compaction run is in progress.
    public var isCompacting: Bool { compaction.fields.withLock { $0.running != nil } }
}
