import Changelog
import Glibc
import Namespace

/// What a master's acknowledgement waits for (`--sync-replication required|preferred|off`), and
/// the degradation of `preferred`. See docs/DURABILITY.md for the table of what each mode can lose.
extension ReplicationNode {
    /// `replicationMode` for the sync senders (announced to slaves).
    public var replicationMode: (mode: SyncReplicationMode, degraded: Bool) {
        lock.withLock { () -> (mode: SyncReplicationMode, degraded: Bool) in (syncMode, degraded) }
    }

    /// The ends of both logs that a mutation answered now must be covered by.
    func acknowledgeableEnds() -> [LogEnd] {
        LogKind.allCases.compactMap { kind -> LogEnd? in
            guard let log = namespace.changelog(kind.contentKind) else { return nil }
            return LogEnd(kind: kind, identity: log.identity.rawValue, end: log.shippableEnd.rawValue)
        }
    }

    /// Called after a mutation, before it is answered: waits as the mode says. Returns nil when the
    /// mutation may be acknowledged, or the text of the error to answer instead (the change is on
    /// this node, but nothing promises that it survives a failover).
    public func awaitReplication() -> String? {
        guard remote != nil, let server = lock.withLock({ syncServer }) else { return nil }
        let mode = currentSyncMode
        let ends = acknowledgeableEnds()
        switch mode {
        case .off:
            return notWritableReason()
        case .preferred:
            if isDegraded {
                if server.isAcknowledged(ends) || server.slavesInSync > 0 {
                    recover()
                } else if MonotonicTime.now - lock.withLock({ lastNoNewerMaster }) > 2 * configuration.supervisorInterval {
                    // No recent word that no newer master exists (this process may have been paused
                    // past a promotion): ask before answering without the slave.
                    confirmNoNewerMaster()
                }
                return notWritableReason()
            }
            let timeout = configuration.replicaAcknowledgementTimeout
            let acknowledged = waitForSlave(server, ends, until: MonotonicTime.now + timeout) {
                currentSyncMode != .preferred || isDegraded || notWritableReason() != nil
            }
            if acknowledged || currentSyncMode != .preferred || isDegraded { return notWritableReason() }
            if let refusal = notWritableReason() { return refusal }
            // Before answering without the slave, make sure no newer master exists (a master that
            // was paused past a promotion must not acknowledge anything).
            confirmNoNewerMaster()
            if let refusal = notWritableReason() { return refusal }
            server.markLagging(ends, timeout: timeout)
            degrade(after: timeout)
            return notWritableReason()
        case .required:
            let start = MonotonicTime.now
            let limit = configuration.requiredAcknowledgementLimit
            let giveUp = { self.currentSyncMode != .required || self.notWritableReason() != nil }
            var acknowledged = waitForSlave(server, ends, until: start + min(limit, configuration.replicaAcknowledgementTimeout),
                                            stop: giveUp)
            if !acknowledged && !giveUp() {
                // A slave that stopped acknowledging no longer counts as in sync: new writes are told
                // to wait (with the reason) instead of piling up here; this one waits on.
                server.markLagging(ends, timeout: configuration.replicaAcknowledgementTimeout)
                acknowledged = waitForSlave(server, ends, until: start + limit, stop: giveUp)
            }
            if let refusal = notWritableReason() { return refusal }
            if acknowledged || currentSyncMode != .required { return nil }
            return "sync-replication required: the slave did not confirm this change within \(Int(limit)) s; it is "
                + "applied on this master but may be lost in a failover"
        }
    }

    /// Waits until a slave acknowledged `ends`, `deadline` passes or `stop` says so. When a
    /// compaction replaced a log meanwhile, the slave acknowledges only the new one (after adopting
    /// it), which holds every live record of the old: the wait then goes on for the new log's end.
    private func waitForSlave(_ server: SyncServer, _ ends: [LogEnd], until deadline: Double, stop: () -> Bool) -> Bool {
        var ends = ends
        while true {
            let replaced = { () -> Bool in
                !ends.allSatisfy { self.namespace.changelog($0.kind.contentKind)?.identity.rawValue == $0.identity }
            }
            if server.waitForAcknowledgement(of: ends, until: deadline, giveUp: { stop() || replaced() }) { return true }
            guard !stop(), MonotonicTime.now < deadline, replaced() else { return false }
            ends = acknowledgeableEnds()
        }
    }

    /// Probes the remote now: fenced when it shows a newer epoch; an answer without one is noted
    /// (`lastNoNewerMaster`). No answer changes nothing (the exposure of `preferred`).
    func confirmNoNewerMaster() {
        guard let remote, let probe = RemoteProbe.status(of: remote, secret: secret) else { return }
        if probe.epoch > currentEpoch {
            fence(byEpoch: probe.epoch, reason: "\(remote) is \(probe.state.rawValue) at epoch \(probe.epoch)")
        } else {
            lock.withLock { lastNoNewerMaster = MonotonicTime.now }
        }
    }

    /// Why this node may no longer acknowledge a mutation (fenced, demoted), or nil.
    private func notWritableReason() -> String? {
        let (state, fenced) = lock.withLock { () -> (Role, UInt64?) in (self.state, self.fencedBy) }
        if let fenced {
            return "fenced by epoch \(fenced) while the change was in flight: it is not acknowledged"
        }
        guard state == .masterReadWrite else {
            return "this node became \(state.rawValue) while the change was in flight: it is not acknowledged"
        }
        return coordinatorRefusal().map { $0 + " (the change is applied here, not acknowledged)" }
    }

    /// `preferred`: the slave missed the bound; answer without it from now on (persisted, logged,
    /// announced to slaves) until it is in sync again.
    private func degrade(after seconds: Double) {
        let changed = lock.withLock { () -> Bool in
            guard !degraded else { return false }
            degraded = true
            return true
        }
        guard changed else { return }
        do { try persistTag() } catch { masterLog.log(.error, "sync-replication: cannot persist the degradation: \(error)") }
        namespace.changeNotifier.bump()
        masterLog.log(.error, "sync-replication preferred: no slave acknowledged within \(seconds) s: DEGRADED, "
                      + "writes are answered without the slave (they may be lost in a failover) until it is in sync again")
    }

    /// `preferred`: a slave is in sync again.
    func recover() {
        let changed = lock.withLock { () -> Bool in
            guard degraded else { return false }
            degraded = false
            return true
        }
        guard changed else { return }
        do { try persistTag() } catch { masterLog.log(.error, "sync-replication: cannot persist the recovery: \(error)") }
        namespace.changeNotifier.bump()
        masterLog.log(.info, "sync-replication preferred: a slave is in sync again; writes wait for it again")
    }

    /// `ns master --sync required|preferred|off`: the operator changes what acknowledgements promise.
    public func setSyncMode(_ mode: SyncReplicationMode) -> RoleChangeResult {
        guard remote != nil else {
            return .failure(errno: ENOTSUP, "ns master --sync: not configured: a single master has no slave to wait for")
        }
        let before = lock.withLock { () -> SyncReplicationMode in
            defer { syncMode = mode }
            return syncMode
        }
        if mode != .preferred { recover() }
        namespace.changeNotifier.bump()
        // Writes waiting for the slave re-read the mode.
        lock.withLock { syncServer }?.acknowledgementArrived()
        masterLog.log(.warning, "ns master --sync \(mode.rawValue): sync-replication \(before.rawValue) -> \(mode.rawValue)")
        return .success("success: sync-replication \(before.rawValue) -> \(mode.rawValue)\n")
    }
}
