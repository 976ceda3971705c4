import Coordination
import Glibc
import Namespace
import XRootD

/// Coordinated failover (`--coordinator`): the coordinator thread keeps this node's side of the
/// election in etcd (see docs/REPLICATION.md, "Coordinated failover"):
/// - a master-rw renews its lease every TTL/3; when its validity runs out (not renewed in time, by
///   its own monotonic clock, before etcd can expire the lease) it acknowledges nothing more and
///   becomes master-ro; it opens again only with the lease renewed and etcd's epoch still its own;
/// - a master-ro (at start, or after losing the lease) campaigns; with the lease and etcd's epoch
///   not newer than its own, it opens for writes; with a newer epoch in etcd, it is fenced and
///   follows the new master (the divergent-tail rules of manual mode apply);
/// - a slave reads the leader key every 0.2 s; when nobody holds it (the master's lease expired or
///   was given up), it takes the lease and promotes itself (`ns master <itself> --force` with the
///   lease: it catches up with a read-only master first, and never promotes without a completed sync).
extension ReplicationNode {
    func coordinateLoop() {
        while true {
            guard lock.withLock({ !stopped }) else { return }
            let pause = coordinatorStep()
            lock.withLock { if !stopped { _ = lock.wait(seconds: pause) } }
        }
    }

    /// One round; returns the seconds until the next.
    func coordinatorStep() -> Double {
        guard let coordinator else { return 1 }
        let (state, ours, fenced, changing) = lock.withLock { (self.state, epoch, fencedBy, self.changing) }
        if changing { return 0.1 }
        let interval = coordinator.configuration.renewInterval
        switch state {
        case .masterReadWrite:
            var gone = false, failed = false
            do { gone = !(try coordinator.renew()) } catch {
                failed = true
                noteCoordinatorTrouble("\(error)")
            }
            let now = MonotonicTime.now
            if gone || !coordinator.isValid(at: now) {
                leaseLost(gone ? "etcd says the lease expired" : "the lease was not renewed in time: "
                          + (coordinator.snapshot.lastError ?? "no answer"))
                return 0
            }
            // A failed renewal is tried again at once (0.1 s), not a renew interval later: an etcd
            // leader election (about one election timeout) then costs the validity only the time
            // until the new leader answers, not that plus up to a whole interval.
            let next = failed ? 0.1 : interval
            return min(next, max(0.01, coordinator.snapshot.validUntil - now))
        case .masterReadOnly:
            if coordinator.standingDown && fenced == nil { _ = try? coordinator.read(); return interval }
            do {
                let etcd = try coordinator.read()
                if etcd.epoch > ours {
                    fence(byEpoch: etcd.epoch, reason: "coordinator: etcd records epoch \(etcd.epoch) (holder \(etcd.holder ?? "none"))")
                }
                if lock.withLock({ fencedBy }) != nil {
                    followNewerMaster(holder: etcd.holder)
                    return interval
                }
                if etcd.holder == nil || etcd.holder == coordinator.name { openWithLease(ours: ours) }
                else if lock.withLock({ awaitingRemote }) {
                    noteAwaitingLease("the lease is held by \(etcd.holder ?? "?")")
                }
            } catch {
                noteCoordinatorTrouble("\(error)")
            }
            return interval
        case .slaveReadOnly:
            do {
                let etcd = try coordinator.read()
                if etcd.holder != nil {
                    lock.withLock { leaseHolderSeen = true }
                } else if mayTakeFreeLease(etcd, ttl: coordinator.configuration.ttl) {
                    promoteOnExpiredLease(etcd)
                }
            } catch {
                noteCoordinatorTrouble("\(error)")
            }
            return coordinator.configuration.standbyInterval
        case .transition, .invalid:
            return 0.1
        }
    }

    /// The master's validity ran out or etcd dropped its lease: no more acknowledgements (the write
    /// path already refuses them), master-ro until the lease is back.
    private func leaseLost(_ why: String) {
        let since = coordinator?.snapshot.validUntil ?? 0
        setWritable(false)
        lock.withLock {
            awaitingRemote = true
            awaitingReason = "coordinator: lease lost (\(why)); no write is acknowledged until this node holds it again"
        }
        masterLog.log(.error, "coordinator: lease lost (\(why)); master-rw -> master-ro, acknowledging nothing "
                      + "(validity ended \(Decimal.fixed(max(0, MonotonicTime.now - since), places: 3)) s ago)")
    }

    /// A master-ro that may hold the lease: campaigns, then opens for writes at its own epoch.
    private func openWithLease(ours: UInt64) {
        guard let coordinator else { return }
        let start = MonotonicTime.now
        do {
            let outcome = try coordinator.acquire()
            guard let won = outcome.won else {
                noteAwaitingLease("the lease is held by \(outcome.held?.holder ?? "?")")
                return
            }
            guard won.epoch <= ours, try coordinator.record(epoch: ours, from: won) else {
                if won.epoch > ours { fence(byEpoch: won.epoch, reason: "coordinator: etcd records epoch \(won.epoch)") }
                coordinator.resign(standDown: false)
                return
            }
            let opened = lock.withLock { () -> Bool in
                guard state == .masterReadOnly, fencedBy == nil, !changing else { return false }
                awaitingRemote = false
                awaitingReason = nil
                return true
            }
            guard opened else { return }
            setWritable(true)
            masterLog.log(.info, "coordinator: lease won in \(Decimal.fixed(MonotonicTime.now - start, places: 3)) s "
                          + "(TTL \(coordinator.configuration.ttl) s): master-ro -> master-rw at epoch \(ours)")
        } catch {
            noteCoordinatorTrouble("\(error)")
        }
    }

    /// A fenced master: follows the remote once it answers as the read-write master.
    private func followNewerMaster(holder: String?) {
        guard let remote, let probe = RemoteProbe.status(of: remote, secret: secret), probe.state == .masterReadWrite else { return }
        masterLog.log(.warning, "coordinator: \(holder ?? remote.description) holds the lease at epoch \(probe.epoch): "
                      + "following it")
        _ = changeMaster(to: remote)
    }

    /// Whether a slave may take a free lease now. After it saw a master hold it (its lease expired
    /// or was given up), or when etcd records an epoch past the first, at once. Otherwise (a pair
    /// started together, or a slave started while no master runs) only three TTLs after this slave
    /// first found it free: a pair started together would otherwise race for it, and the slave's
    /// faster polling (every 0.2 s) made it master before the node tagged master had taken the
    /// lease. If the tagged master never comes, the slave still takes over.
    private func mayTakeFreeLease(_ etcd: LeaderElection.State, ttl: Int64) -> Bool {
        guard etcd.epochRevision == 0 else { return true }
        let now = MonotonicTime.now
        let since = lock.withLock { () -> Double? in
            if leaseHolderSeen { return nil }
            if freshLeaseSeenAt == nil { freshLeaseSeenAt = now }
            return freshLeaseSeenAt!
        }
        guard let since else { return true }
        if since == now {
            masterLog.log(.info, "coordinator: nobody has held the lease yet (none seen, no epoch in etcd); waiting "
                          + "\(3 * ttl) s for the tagged master to take it before this slave may")
        }
        return now - since >= Double(3 * ttl)
    }

    /// A slave whose master's lease is gone: takes the lease and promotes itself.
    private func promoteOnExpiredLease(_ etcd: LeaderElection.State) {
        guard let coordinator else { return }
        let (synced, diverged) = lock.withLock { (self.synced, follower?.currentStatus.divergence != nil) }
        guard synced, !diverged else {
            noteCoordinatorTrouble("nobody holds the lease, but this slave "
                                   + (diverged ? "holds a divergent tail" : "never completed a sync") + ": not promoting")
            return
        }
        let start = MonotonicTime.now
        do {
            guard try coordinator.acquire().won != nil else { return }
        } catch {
            noteCoordinatorTrouble("\(error)")
            return
        }
        masterLog.log(.warning, "coordinator: the master's lease expired (etcd epoch \(etcd.epoch)); this node holds it "
                      + "and promotes itself")
        let result = changeMaster(to: configuration.listen, options: RoleChangeOptions(force: true))
        if case .failure(_, let message) = result {
            coordinator.resign(standDown: false)
            masterLog.log(.error, "coordinator: promotion failed after \(Decimal.fixed(MonotonicTime.now - start, places: 3)) s; "
                          + "lease given up: \(message)")
        } else {
            masterLog.log(.info, "coordinator: promoted in \(Decimal.fixed(MonotonicTime.now - start, places: 3)) s "
                          + "after taking the lease (epoch \(currentEpoch))")
        }
    }

    /// The etcd epoch a promotion (step 2) uses, with the lease taken first: nil with the reason
    /// when this node cannot hold it. Without a coordinator: `minimum`.
    func coordinatedEpoch(atLeast minimum: UInt64) -> Result<UInt64, RoleChangeFailure> {
        guard let coordinator else { return .success(minimum) }
        do {
            let outcome = try coordinator.acquire()
            guard let won = outcome.won else {
                return .failure(RoleChangeFailure("coordinator: the lease is held by \(outcome.held?.holder ?? "?") "
                                                  + "(it expires within \(coordinator.configuration.ttl) s unless renewed)"))
            }
            guard let epoch = try coordinator.claimEpoch(from: won, atLeast: minimum) else {
                coordinator.resign(standDown: false)
                return .failure(RoleChangeFailure("coordinator: etcd's epoch changed during the promotion"))
            }
            return .success(epoch)
        } catch {
            return .failure(RoleChangeFailure("coordinator: \(error)"))
        }
    }

    /// Holds the lease for a master opened by an operator (`ns master <itself>` after step 1, or
    /// `--force`): nil, or why not.
    func coordinatedOpenRefusal() -> String? {
        guard let coordinator else { return nil }
        do {
            let outcome = try coordinator.acquire()
            guard let won = outcome.won else {
                return "ns master: coordinator: the lease is held by \(outcome.held?.holder ?? "?"): refusing a second master"
            }
            guard won.epoch <= currentEpoch, try coordinator.record(epoch: currentEpoch, from: won) else {
                coordinator.resign(standDown: false)
                return "ns master: coordinator: etcd records epoch \(won.epoch), newer than ours (\(currentEpoch))"
            }
            return nil
        } catch {
            return "ns master: coordinator: \(error)"
        }
    }

    /// Why a master-rw may not acknowledge now (its lease validity ran out), or nil.
    func coordinatorRefusal() -> String? {
        guard let coordinator else { return nil }
        let now = MonotonicTime.now
        guard !coordinator.isValid(at: now) else { return nil }
        let s = coordinator.snapshot
        return "coordinator: this master's lease in etcd is not renewed (last answer "
            + "\(s.lastAnswer > 0 ? Decimal.fixed(now - s.lastAnswer, places: 1) + " s ago" : "never")"
            + (s.lastError.map { ": \($0)" } ?? "") + "): no write is acknowledged until it is"
    }

    private func noteAwaitingLease(_ why: String) {
        let changed = lock.withLock { () -> Bool in
            defer { awaitingReason = "coordinator: " + why }
            return awaitingReason != "coordinator: " + why
        }
        if changed { masterLog.log(.warning, "coordinator: master-ro: \(why)") }
    }

    /// Logs a coordinator problem once per distinct text.
    private func noteCoordinatorTrouble(_ text: String) {
        if coordinator?.noteTrouble(text) == true { masterLog.log(.warning, "coordinator: \(text)") }
    }
}

/// Why a role change step fails, as text for the operator.
struct RoleChangeFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
