import Changelog

/// A replica's state, for `ns` and the follower.
public struct ReplicaStatus: Sendable, Equatable {
    /// Entries held but not attached yet (their parent or free name has not arrived).
    public var pendingFiles = 0
    public var pendingContainers = 0
    /// Records applied by replication since boot.
    public var appliedRecords = 0
}

/// What adopting a replacement log (a master's compacted log) did.
public struct AdoptReport: Sendable, Equatable {
    public var kind: ContentKind
    /// Ids live in the replacement.
    public var liveIDs = 0
    /// Records applied from the replacement (those after what the replica had applied).
    public var appliedRecords = 0
    /// Ids the replica held that the replacement does not (removed), and ids the replacement holds
    /// from before the replica's position that the replica did not have (added). Both are zero when
    /// the replica had followed the old log to its end: the live sets matched.
    public var removedIDs = 0
    public var missingIDs = 0
    public var archivePath = ""
    public var seconds = 0.0
}

/// Replication: a replica (`Role.slaveReadOnly`) receives a master's records as
/// verbatim frames, appends them to its own logs after verifying them, and applies them to the
/// tree, holding the write lock only in slices of at most `sliceBudget` seconds so that reads
/// keep flowing during a catch-up. `promote()` and `demote()` change who may write.
extension Namespace {
    /// The longest the write lock is held while applying replicated records, in seconds.
    public static let sliceBudget = 0.001

    /// The current log of `kind` (it changes when compaction or `adopt` swaps in a new file).
    public func changelog(_ kind: ContentKind) -> Changelog? {
        lock.withReadLock { kind == .directories ? directoriesLog : filesLog }
    }

    /// The generation counter bumped after every mutation and replicated batch (see `ChangeNotifier`).
    public var changeNotifier: ChangeNotifier { changes }

    public var replicaStatus: ReplicaStatus {
        lock.withReadLock {
            ReplicaStatus(pendingFiles: pendingEntries.files.count, pendingContainers: pendingEntries.containers.count,
                          appliedRecords: replicatedRecords)
        }
    }

    /// Appends `bytes` (whole frames copied from the master's log of `kind`, starting at `offset`,
    /// which must be this replica's end) after verifying every frame, applies their records, and
    /// returns once they are acknowledged under the namespace's durability. Returns the number of
    /// records applied.
    @discardableResult
    public func receive(_ kind: ContentKind, bytes: UnsafeRawBufferPointer, at offset: LogOffset) throws(NamespaceError) -> Int {
        let (applied, log, acknowledgement) = try receiveDeferringAcknowledgement(kind, bytes: bytes, at: offset)
        do { try log.waitUntilAcknowledged(acknowledgement) } catch { throw .log(error) }
        return applied
    }

    /// `receive` without the wait for durability: returns the records applied, the log they went
    /// to and the acknowledgement to await (`Changelog.waitUntilAcknowledged`). A follower awaits
    /// it on another thread, so the fdatasync of one chunk overlaps the apply of the next.
    public func receiveDeferringAcknowledgement(_ kind: ContentKind, bytes: UnsafeRawBufferPointer,
                                                at offset: LogOffset) throws(NamespaceError) -> (Int, Changelog, PendingAcknowledgement) {
        guard acceptsReplication else { throw .invalidArgument("the namespace is not a replica") }
        guard let log = changelog(kind) else { throw .notBooted(bootState) }
        let appended: (records: Int, acknowledgement: PendingAcknowledgement)
        do { appended = try log.appendVerbatim(bytes, at: offset) } catch { throw .log(error) }
        let applied = try applyRecords(of: log, from: offset, containers: kind == .directories, after: nil)
        return (applied, log, appended.acknowledgement)
    }

    /// Switches the replica's log of `kind` to `replacement` (a complete copy of the master's new,
    /// compacted log, fetched alongside at `<live>.oc`), without a reboot and while reads go on:
    /// applies the replacement's records after `appliedThrough` (nil: all of them, when the
    /// replica's history is not known to be a prefix of the master's), removes ids the replacement
    /// no longer holds, then renames the old log to an archive and the replacement into place.
    @discardableResult
    public func adopt(_ kind: ContentKind, replacement: Changelog, appliedThrough: SequenceNumber?) throws(NamespaceError) -> AdoptReport {
        let start = MonotonicClock.seconds()
        guard acceptsReplication else { throw .invalidArgument("the namespace is not a replica") }
        guard let old = changelog(kind) else { throw .notBooted(bootState) }
        let isContainer = kind == .directories
        var report = AdoptReport(kind: kind)
        // A replica that holds nothing of this kind yet (a fresh slave) just applies the log: there
        // is nothing to compare or remove, and the live-set pass would cost as much as the apply.
        let empty = lock.withReadLock { isContainer ? tree.containers.count == 0 : tree.files.count == 0 }
        if empty {
            report.appliedRecords = try applyRecords(of: replacement, from: LogOffset(UInt64(RecordFormat.firstRecordOffset)),
                                                     containers: isContainer, after: nil)
            report.liveIDs = lock.withReadLock { isContainer ? tree.containers.count : tree.files.count }
        } else {
            // The replacement's live set, and which of its ids come from before the replica's position.
            var live: [UInt64: Bool] = [:] // id -> last record at or before `appliedThrough`
            live.reserveCapacity(lock.withReadLock { isContainer ? tree.containers.count : tree.files.count })
            do throws(ChangelogError) {
                try replacement.scan(policy: .strict) { r in
                    guard let id = r.id else { return true }
                    switch r.type {
                    case .update: live[id] = appliedThrough.map { r.sequence <= $0 } ?? false
                    case .delete: live[id] = nil
                    default: break
                    }
                    return true
                }
            } catch {
                throw .log(error)
            }
            report.liveIDs = live.count
            report.missingIDs = lock.withReadLock {
                live.reduce(0) { n, entry in
                    guard entry.value else { return n }
                    let present = isContainer ? tree.containers.row(of: entry.key) != nil : tree.files.row(of: entry.key) != nil
                    return present ? n : n + 1
                }
            }
            report.appliedRecords = try applyRecords(of: replacement, from: LogOffset(UInt64(RecordFormat.firstRecordOffset)),
                                                     containers: isContainer, after: appliedThrough)
            report.removedIDs = try removeAbsent(from: live, containers: isContainer)
        }
        let path = old.path
        let archive = try lock.withWriteLock { () throws(NamespaceError) -> String in
            let archive: String
            do throws(ChangelogError) {
                archive = try Compactor.swapIntoPlace(replacement, at: replacement.path, replacing: old, livePath: path)
            } catch {
                throw .log(error)
            }
            if isContainer { directoriesLog = replacement } else { filesLog = replacement }
            return archive
        }
        do { try replacement.sync() } catch { throw .log(error) }
        old.close()
        Compactor.pruneArchives(of: path, keep: CompactionOptions().keepArchives)
        report.archivePath = archive
        report.seconds = MonotonicClock.seconds() - start
        masterLog.log(.info, "replica switched \(kind) log to \(replacement.identity) (compacted on the master): "
                      + "\(report.liveIDs) live ids, \(report.appliedRecords) records applied, "
                      + "\(report.removedIDs) removed, \(report.missingIDs) missing before; old log archived as \(archive)")
        changes.bump()
        // The replica's own checkpoint at the adopted log's position (its logs are byte copies of the
        // master's, identities included), so a reboot, and a promotion after it, replays only the tail.
        do throws(CheckpointError) {
            try writeCheckpoint()
        } catch {
            masterLog.log(.warning, "replica: checkpoint after adopting the \(kind) log not written: \(error)")
        }
        return report
    }

    /// Makes a replica the read-write master: later mutations append to its logs. Entries still
    /// pending stay invisible (reported in the master log).
    public func promote() throws(NamespaceError) {
        let pending = try lock.withWriteLock { () throws(NamespaceError) -> Int in
            try checkReadable()
            guard !logsReadOnly else { throw .readOnly }
            roleCode.store(Role.masterReadWrite.code, ordering: .releasing)
            return pendingEntries.count
        }
        if pending > 0 { masterLog.log(.warning, "promoted with \(pending) replicated entries still unattached") }
    }

    /// Makes a read-write master a read-only one (`masterReadOnly`): no more mutations; its logs are
    /// synced, and only replication appends to them from now on.
    public func demote() throws(NamespaceError) {
        lock.withWriteLock {
            if role == .masterReadWrite { roleCode.store(Role.masterReadOnly.code, ordering: .releasing) }
        }
        for log in [filesLog, directoriesLog].compactMap({ $0 }) {
            do { try log.sync() } catch { throw .log(error) }
        }
    }

    // MARK: Internals

    /// A namespace that is not a read-write master and whose logs are open for append: a replica
    /// (`slaveReadOnly`), or a master demoted to `masterReadOnly` that may become one.
    var acceptsReplication: Bool { role != .masterReadWrite && !logsReadOnly }

    /// Applies the records of `log` from `offset` to its end (those with a sequence after `after`
    /// when given), taking the write lock in slices of at most `sliceBudget`.
    private func applyRecords(of log: Changelog, from offset: LogOffset, containers: Bool,
                              after: SequenceNumber?) throws(NamespaceError) -> Int {
        var applied = 0
        var inSlice = 0
        var holding = false
        var sliceStart = 0.0
        var failure: NamespaceError?
        let path = log.path
        do throws(ChangelogError) {
            try log.scan(from: offset, policy: .strict) { r in
                if let after, r.sequence <= after { return true }
                if !holding {
                    lock.lockForWriting()
                    holding = true
                    sliceStart = MonotonicClock.seconds()
                }
                do throws(CodecError) {
                    try tree.applyReplicated(r, containers: containers, pending: &pendingEntries)
                } catch {
                    failure = .badRecord(log: path, position: r.position, reason: error)
                    return false
                }
                applied += 1
                inSlice += 1
                if inSlice & 63 == 0 && MonotonicClock.seconds() - sliceStart > Self.sliceBudget {
                    endSlice(applied: inSlice)
                    holding = false
                    inSlice = 0
                }
                return true
            }
        } catch {
            if holding { endSlice(applied: inSlice) }
            throw .log(error)
        }
        if holding { endSlice(applied: inSlice) }
        changes.bump()
        if let failure { throw failure }
        return applied
    }

    /// The share of the files' arenas that is garbage (for tests of the replica's reclaim).
    var replicatedGarbageRatio: Double {
        lock.withReadLock { tree.files.arenaGarbageRatio }
    }

    /// Lock held: attaches what the slice freed, counts, and releases the lock.
    private func endSlice(applied: Int) {
        tree.retryPending(&pendingEntries)
        replicatedRecords += applied
        lock.unlock()
    }

    /// Removes the ids of one kind that `live` does not hold, in slices.
    private func removeAbsent(from live: [UInt64: Bool], containers: Bool) throws(NamespaceError) -> Int {
        let absent: [UInt64] = lock.withReadLock {
            var out: [UInt64] = []
            if containers {
                tree.containers.forEachLive { row in
                    let id = tree.containers.rows[row].id
                    if live[id] == nil && id != ContainerID.root.rawValue { out.append(id) }
                }
            } else {
                tree.files.forEachLive { row in
                    let id = tree.files.rows[row].id
                    if live[id] == nil { out.append(id) }
                }
            }
            return out
        }
        var at = 0
        while at < absent.count {
            let chunk = absent[at..<min(at + 1024, absent.count)]
            lock.withWriteLock {
                for id in chunk {
                    tree.removeReplicated(id, containers: containers, pending: &pendingEntries)
                }
                tree.retryPending(&pendingEntries)
            }
            at += chunk.count
        }
        return absent.count
    }
}

extension Namespace {
    /// Creates `<live log>.oc`, an empty log with the master's `header`, into which a new master log
    /// (a compacted one, or one this replica does not share a history with) is fetched alongside the
    /// live one before `adopt` switches to it. A leftover one is removed at boot.
    public func createReplacement(_ kind: ContentKind, header: [UInt8]) throws(NamespaceError) -> Changelog {
        let live = kind == .files ? configuration.filesLogPath : configuration.directoriesLogPath
        do {
            return try Changelog.createReplica(at: live + ".oc", header: header,
                                               configuration: configuration.changelogConfiguration(kind))
        } catch {
            throw .log(error)
        }
    }
}
