import Glibc
import Namespace
import XRootD

/// Fencing and the safe start: when a node tagged master may accept writes, and what stops it.
///
/// - A fence (a newer epoch seen anywhere) is written to the role tag before the node answers
///   anything else, and holds across restarts until the node follows that epoch (step 3).
/// - A master tag with a remote starts `master-ro` and *awaits* the remote: it opens for writes
///   only when the remote answers as a slave of the same or an older epoch, or as a read-only
///   master of an older epoch. An unreachable remote keeps it read-only (writes are told why)
///   until the operator runs `ns master <this node> --force`.
extension ReplicationNode {
    /// A master tag at start.
    func startAsMaster() {
        if let fenced = lock.withLock({ fencedBy }) {
            setWritable(false)
            masterLog.log(.error, "fenced: the role tag records epoch \(fenced), newer than ours (\(currentEpoch)): "
                          + "no writes until this node follows that master (ns master <remote>)")
            return
        }
        guard let remote else {
            setWritable(true)
            return
        }
        lock.withLock { awaitingRemote = true }
        setWritable(false)
        let probe = RemoteProbe.status(of: remote, secret: secret)
        lock.withLock { remoteStatus = probe }
        reconsiderStart(after: probe)
    }

    /// While a master tag awaits its remote (at start, then every supervisor round): opens for
    /// writes when the remote's answer allows it, fences when the remote is newer.
    func reconsiderStart(after probe: RemoteStatus?) {
        guard let remote else { return }
        let (awaiting, ours) = lock.withLock { () -> (Bool, UInt64) in (awaitingRemote && !stopped, epoch) }
        guard awaiting else { return }
        guard let probe else {
            noteAwaiting("\(remote) does not answer: this master stays read-only until it does "
                         + "(or `ns master \(configuration.listen) --force`)")
            return
        }
        if probe.epoch > ours {
            fence(byEpoch: probe.epoch, reason: "\(remote) is \(probe.state.rawValue) at epoch \(probe.epoch)")
            return
        }
        let allowed: Bool
        switch probe.state {
        case .slaveReadOnly: allowed = true
        case .masterReadOnly, .transition, .invalid: allowed = probe.epoch < ours
        case .masterReadWrite: allowed = false
        }
        if coordinator != nil {
            // With a coordinator, the lease opens a master (the coordinator thread), never a probe.
            return
        }
        guard allowed else {
            noteAwaiting("\(remote) is \(probe.state.rawValue) at epoch \(probe.epoch) (ours \(ours)): this master stays "
                         + "read-only; make one node the master with `ns master` (or `--force` on this one)")
            return
        }
        let opened = lock.withLock { () -> Bool in
            guard awaitingRemote else { return false }
            awaitingRemote = false
            awaitingReason = nil
            return true
        }
        guard opened else { return }
        setWritable(true)
        masterLog.log(.info, "safe start: \(remote) is \(probe.state.rawValue) at epoch \(probe.epoch): open for writes "
                      + "(master-rw, epoch \(ours))")
    }

    /// A slave authenticated on the sync port and follows us: the remote is a slave of that epoch.
    public func followerConnected(epoch peerEpoch: UInt64) {
        guard lock.withLock({ awaitingRemote }) else { return }
        let sync = lock.withLock { remoteStatus?.sync }
        reconsiderStart(after: RemoteStatus(state: .slaveReadOnly, epoch: peerEpoch, sync: sync))
    }

    /// Logs why the node still waits, once per distinct reason.
    private func noteAwaiting(_ reason: String) {
        let changed = lock.withLock { () -> Bool in
            defer { awaitingReason = reason }
            return awaitingReason != reason
        }
        if changed { masterLog.log(.warning, "safe start: \(reason)") }
    }

    /// `ns master <this node> --force` on a master awaiting its remote, or demoted by step 1 while
    /// the remote cannot be asked: opens for writes without the remote's answer. Never past a fence.
    func forceOpen() -> RoleChangeResult {
        if let fenced = lock.withLock({ fencedBy }) {
            return .failure(errno: EPERM, "ns master: fenced by epoch \(fenced) (ours \(currentEpoch)): a newer master "
                            + "exists; this node must follow it (ns master \(remote?.description ?? "<remote>"))")
        }
        if let remote, let probe = RemoteProbe.status(of: remote, secret: secret),
           probe.state == .masterReadWrite || probe.epoch > currentEpoch {
            return .failure(errno: EPERM, "ns master: \(remote) answers as \(probe.state.rawValue) at epoch \(probe.epoch): "
                            + "refusing a second master even with --force")
        }
        if let refusal = coordinatedOpenRefusal() { return .failure(errno: EPERM, refusal) }
        lock.withLock {
            awaitingRemote = false
            awaitingReason = nil
        }
        setWritable(true)
        masterLog.log(.warning, "ns master --force: opened for writes without an answer from "
                      + "\(remote?.description ?? "the remote") (epoch \(currentEpoch))")
        return .success("success: master-ro -> master-rw (forced: \(remote?.description ?? "the remote") did not answer)\n")
    }

    /// A peer showed a newer epoch: stop writes, persist the fence, then log it. Called before the
    /// caller answers the peer.
    public func fence(byEpoch newer: UInt64, reason: String) {
        let changed = lock.withLock { () -> Bool in
            guard newer > epoch, role.isMaster, newer > (fencedBy ?? 0) else { return false }
            fencedBy = newer
            awaitingRemote = false
            awaitingReason = nil
            return true
        }
        guard changed else { return }
        setWritable(false)
        do { try persistTag() } catch {
            masterLog.log(.error, "fenced: cannot persist the fence in \(RoleFile.path(in: configuration.dataDirectory)): \(error)")
        }
        masterLog.log(.error, "fenced: \(reason); epoch \(newer) > ours (\(currentEpoch)): no writes until this node "
                      + "is a slave of the new master (ns master <remote>)")
    }

    /// A slave following a master of a newer epoch takes that epoch (persisted), so that an older
    /// master coming back is refused.
    func adoptEpoch(_ newer: UInt64) {
        let changed = lock.withLock { () -> Bool in
            guard state == .slaveReadOnly, newer > epoch else { return false }
            epoch = newer
            fencedBy = nil
            return true
        }
        guard changed else { return }
        do { try persistTag() } catch {
            masterLog.log(.error, "replication: cannot persist epoch \(newer): \(error)")
        }
        masterLog.log(.info, "replication: following epoch \(newer)")
    }

    /// The follower caught up with its master for the first time: this slave may be promoted even
    /// when the master is gone (persisted).
    func noteSynced() {
        let first = lock.withLock { () -> Bool in
            guard state == .slaveReadOnly, !synced else { return false }
            synced = true
            return true
        }
        guard first else { return }
        do { try persistTag() } catch {
            masterLog.log(.error, "replication: cannot persist the synced mark: \(error)")
        }
        masterLog.log(.info, "replication: in sync with \(remote?.description ?? "the master") for the first time")
    }

    /// Why mutations must wait now (answered with `kXR_wait` and this text), or nil.
    public var writeStall: (seconds: Int, reason: String)? {
        let (state, awaiting, reason, fenced, mode) = lock.withLock {
            () -> (Role, Bool, String?, UInt64?, SyncReplicationMode) in (self.state, self.awaitingRemote, self.awaitingReason, self.fencedBy, self.syncMode)
        }
        if let fenced {
            // With the newer master answering, the supervisor redirects writes to it instead.
            if lock.withLock({ supervisorRules.redirectWrites }) != nil { return nil }
            return (configuration.stallSeconds, "fenced: a master of epoch \(fenced) exists (ours \(currentEpoch)); "
                    + "this node accepts no writes until it follows it")
        }
        if awaiting {
            return (1, "safe start: " + (reason ?? "waiting for \(remote?.description ?? "the remote") to answer"))
        }
        if state == .masterReadWrite, let refusal = coordinatorRefusal() { return (1, refusal) }
        if state == .masterReadWrite, mode == .required, let server = lock.withLock({ syncServer }), server.slavesInSync == 0 {
            return (1, "sync-replication required: no slave is in sync, so no write can be acknowledged; writes wait "
                    + "until the slave catches up (or `ns master --sync preferred`)")
        }
        return nil
    }
}
