import Changelog
import Glibc
import Namespace
import XRootD

/// The answer to `ns master <host:port>`: text for stdout, or an errno and a message.
public enum RoleChangeResult: Sendable, Equatable {
    case success(String)
    case failure(errno: Int32, String)
}

/// The legacy three-step role change, `ns master <new master>` given on each node in turn:
/// 1. on the old master: master-rw -> master-ro (no more writes; compaction blocked);
/// 2. on the new master: slave-ro -> master-rw (refused while the remote is master-rw; waits until
///    the follower applied everything the old master wrote, up to `catchUpTimeout`; new epoch);
/// 3. on the old master: master-ro -> slave-ro (follows the new master; refused until it is master-rw).
/// Every step is logged in the master log with its duration.
/// Options of `ns master <host:port>`.
public struct RoleChangeOptions: Sendable, Equatable {
    /// `--force`: promote (step 2) or open (a master awaiting its remote) while the remote does not answer.
    public var force = false
    /// `--discard-divergent`: follow (step 3) even when this node holds records the new master lacks,
    /// after saving them beside the logs.
    public var discardDivergent = false

    public init(force: Bool = false, discardDivergent: Bool = false) {
        self.force = force
        self.discardDivergent = discardDivergent
    }
}

extension ReplicationNode {
    public func changeMaster(to target: Endpoint, options: RoleChangeOptions = RoleChangeOptions()) -> RoleChangeResult {
        guard let remote else {
            return .failure(errno: ENOTSUP, "ns master \(target): not configured: this node is a single master "
                            + "(start it with --master1 and --master2 naming two different nodes)")
        }
        let toSelf = ReplicationConfiguration.same(target, configuration.listen)
        guard toSelf || ReplicationConfiguration.same(target, remote) else {
            return .failure(errno: EINVAL, "ns master \(target): the master must be \(configuration.listen) or \(remote)")
        }
        if options.discardDivergent && toSelf {
            return .failure(errno: EINVAL, "ns master \(target): --discard-divergent is for following the other node (ns master \(remote) --discard-divergent)")
        }
        let busy = lock.withLock { () -> Bool in
            if changing { return true }
            changing = true
            return false
        }
        guard !busy else { return .failure(errno: EBUSY, "ns master: a role change is already in progress") }
        defer { lock.withLock { changing = false } }
        let start = MonotonicTime.now
        let before = currentState
        let result: RoleChangeResult
        switch (before, toSelf) {
        case (.masterReadWrite, false): result = becomeReadOnlyMaster()
        case (.masterReadWrite, true): result = .success("success: this node is already the master (master-rw)\n")
        case (.masterReadOnly, false): result = becomeSlave(of: remote, discardDivergent: options.discardDivergent)
        case (.masterReadOnly, true): result = resumeAsMaster(remote: remote, force: options.force)
        case (.slaveReadOnly, true): result = promote(remote: remote, force: options.force)
        case (.slaveReadOnly, false): result = followAgain(remote: remote, discardDivergent: options.discardDivergent)
        default: result = .failure(errno: EBUSY, "ns master: this node is \(before.rawValue)")
        }
        let seconds = Decimal.fixed(MonotonicTime.now - start, places: 3)
        let flags = (options.force ? " --force" : "") + (options.discardDivergent ? " --discard-divergent" : "")
        switch result {
        case .success:
            masterLog.log(.info, "ns master \(target)\(flags): \(before.rawValue) -> \(currentState.rawValue) in \(seconds) s (epoch \(currentEpoch))")
        case .failure(_, let message):
            masterLog.log(.warning, "ns master \(target)\(flags): refused after \(seconds) s: \(message)")
        }
        return result
    }

    /// Step 1: stop accepting writes. Compaction is blocked first (the scheduler starts no new run
    /// on a non-master) and a run in progress is waited for (up to `catchUpTimeout`), so the slave
    /// about to take over follows a log that no longer changes under it.
    private func becomeReadOnlyMaster() -> RoleChangeResult {
        namespace.compactionHeld = true
        defer { namespace.compactionHeld = false }
        let deadline = MonotonicTime.now + configuration.catchUpTimeout
        while namespace.isCompacting && MonotonicTime.now < deadline { usleep(20_000) }
        if namespace.isCompacting {
            return .failure(errno: EBUSY, "ns master: a compaction is still running after \(Int(configuration.catchUpTimeout)) s; "
                            + "this node stays master-rw")
        }
        setWritable(false)
        // With a coordinator, the lease goes too, so that step 2 on the slave can take it.
        coordinator?.resign(standDown: true)
        return .success("success: master-rw -> master-ro: writes are stalled; now run `ns master <new master>` on the new master\n")
    }

    /// Back to read-write after step 1 when the operator changes their mind (the remote must not
    /// be a read-write master, and no newer epoch must have been seen), or a master awaiting its
    /// remote at start (safe start). With the remote unreachable, only `--force` opens it.
    private func resumeAsMaster(remote: Endpoint, force: Bool) -> RoleChangeResult {
        if let fenced = lock.withLock({ fencedBy }) {
            return .failure(errno: EPERM, "ns master: fenced by epoch \(fenced): this node must become a slave first (ns master \(remote))")
        }
        guard let probe = RemoteProbe.status(of: remote, secret: secret) else {
            if force { return forceOpen() }
            return .failure(errno: EHOSTUNREACH, "ns master: \(remote) does not answer, so nothing proves it is not a newer "
                            + "master; this node stays master-ro. If \(remote) is really down, `ns master \(configuration.listen) --force`")
        }
        if probe.state == .masterReadWrite || probe.epoch > currentEpoch {
            return .failure(errno: EPERM, "ns master: \(remote) is \(probe.state.rawValue) at epoch \(probe.epoch); refusing a second master")
        }
        if let refusal = coordinatedOpenRefusal() { return .failure(errno: EPERM, refusal) }
        lock.withLock {
            awaitingRemote = false
            awaitingReason = nil
        }
        setWritable(true)
        return .success("success: master-ro -> master-rw\n")
    }

    /// What this slave knows of its master, for step 2's answers (refused or forced).
    func promotionKnowledge(remote: Endpoint) -> String {
        let (synced, follower) = lock.withLock { () -> (Bool, Follower?) in (self.synced, self.follower) }
        var lines = ["what this node knows of \(remote):"]
        guard let follower else { return lines[0] + " nothing (not following)\n" }
        let s = follower.currentStatus
        lines.append("  last contact: " + (s.secondsSinceContact.map { "\(Decimal.fixed($0, places: 1)) s ago" } ?? "none since this node started"))
        for (kind, p) in [("directories", s.directories), ("files", s.files)] {
            let announced = p.masterEnd > 0 ? "\(p.masterEnd)" : "unknown"
            lines.append("  \(kind) log: master announced \(announced) bytes, this node holds \(p.localEnd)"
                         + (p.masterEnd > 0 ? " (\(p.bytesBehind) behind\(p.sameIdentity ? "" : ", another log"))" : ""))
        }
        lines.append("  in sync at last contact: \(s.inSync ? "yes" : "no"); ever completed a sync: \(synced ? "yes" : "no")")
        if let mode = s.masterMode {
            lines.append("  master's sync-replication: \(mode.rawValue)" + (s.masterDegraded
                ? " DEGRADED (it answered writes without this node: those may be missing here)" : ""))
        } else {
            lines.append("  master's sync-replication: unknown (not announced since this node started)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Step 2, on the slave. With the master reachable, it must be read-only and this node catches
    /// up to its final ends. With the master unreachable, only `--force` promotes, and never a node
    /// that has not once completed a sync.
    private func promote(remote: Endpoint, force: Bool) -> RoleChangeResult {
        let probe = RemoteProbe.status(of: remote, secret: secret)
        if let probe, probe.state == .masterReadWrite {
            return .failure(errno: EPERM, "ns master: the remote \(remote) is still running as a read-write master: "
                            + "first run `ns master \(configuration.listen)` on it")
        }
        let follower = lock.withLock { self.follower }
        let knowledge = promotionKnowledge(remote: remote)
        var note = ""
        if let probe, probe.state == .masterReadOnly, let follower {
            lock.withLock { state = .transition }
            // The old master is read-only now: its heartbeats carry its final log ends.
            let deadline = MonotonicTime.now + configuration.catchUpTimeout
            var caughtUp = false
            while MonotonicTime.now < deadline {
                let status = follower.currentStatus
                let ends = follower.masterEnds
                if status.masterState == .masterReadOnly, !ends.isEmpty,
                   follower.waitUntilApplied(ends, timeout: min(1, deadline - MonotonicTime.now)) {
                    caughtUp = true
                    break
                }
                usleep(20_000)
            }
            guard caughtUp else {
                lock.withLock { state = .slaveReadOnly }
                return .failure(errno: ETIMEDOUT, "ns master: the follower did not apply everything \(remote) wrote within "
                                + "\(Int(configuration.catchUpTimeout)) s; promotion aborted (still slave-ro)\n" + knowledge)
            }
        } else {
            let why = probe.map { "\(remote) answers as \($0.state.rawValue) at epoch \($0.epoch), not as a read-only master" }
                ?? "\(remote) does not answer"
            guard lock.withLock({ synced }) else {
                return .failure(errno: EPERM, "ns master: \(why), and this node never completed a sync with it: it cannot be "
                                + "promoted, even with --force (it may lack any part of the namespace)\n" + knowledge)
            }
            guard force else {
                return .failure(errno: EHOSTUNREACH, "ns master: \(why): nothing proves this node holds everything it "
                                + "acknowledged; promotion refused. `ns master \(configuration.listen) --force` promotes with "
                                + "what this node has\n" + knowledge)
            }
            note = " (forced: \(why))"
            masterLog.log(.warning, "ns master --force: \(why); promoting with what this node has. " + knowledge)
        }
        let masterEpoch = follower?.currentStatus.masterEpoch ?? 0
        // With a coordinator: the lease first, and the epoch moved in etcd (by compare-and-swap)
        // before it is written here.
        let newEpoch: UInt64
        switch coordinatedEpoch(atLeast: max(currentEpoch, probe?.epoch ?? 0, masterEpoch) + 1) {
        case .success(let epoch): newEpoch = epoch
        case .failure(let failure):
            lock.withLock { state = .slaveReadOnly }
            return .failure(errno: EPERM, "ns master: \(failure.message); still slave-ro\n" + knowledge)
        }
        lock.withLock { state = .transition }
        follower?.stop()
        // The new role and epoch, in memory first and then in the tag (one writer at a time), before
        // any write is accepted; a failed write restores the slave.
        let before = lock.withLock { () -> (UInt64, Bool) in
            defer {
                epoch = newEpoch
                role = .masterReadWrite
                fencedBy = nil
                synced = false
                degraded = false
                awaitingRemote = false
                self.follower = nil
            }
            return (epoch, synced)
        }
        do { try persistTag() } catch {
            lock.withLock {
                epoch = before.0
                role = .slaveReadOnly
                synced = before.1
            }
            startFollowing()
            return .failure(errno: EIO, "ns master: cannot persist the new epoch: \(error)")
        }
        clearSupervisorRules()
        setWritable(true)
        return .success("success: slave-ro -> master-rw at epoch \(newEpoch)\(note); now run `ns master \(configuration.listen)` "
                        + "on the old master\n" + (note.isEmpty ? "" : knowledge))
    }

    /// Step 3, on the old master.
    private func becomeSlave(of remote: Endpoint, discardDivergent: Bool) -> RoleChangeResult {
        guard let probe = RemoteProbe.status(of: remote, secret: secret), probe.state == .masterReadWrite else {
            return .failure(errno: EAGAIN, "ns master: \(remote) is not a read-write master yet; run `ns master \(remote)` "
                            + "on it first (this node stays master-ro)")
        }
        // In memory first (a concurrent fence then sees a slave and writes nothing), then the tag.
        let before = lock.withLock { () -> RoleTag in
            let tag = RoleTag(role: role, epoch: epoch, fencedBy: fencedBy, synced: synced, degraded: degraded)
            epoch = max(probe.epoch, epoch)
            role = .slaveReadOnly
            fencedBy = nil
            synced = false
            degraded = false
            awaitingRemote = false
            remoteStatus = probe
            return tag
        }
        coordinator?.standingDown = false
        do { try persistTag() } catch {
            lock.withLock {
                epoch = before.epoch
                role = before.role
                fencedBy = before.fencedBy
                synced = before.synced
                degraded = before.degraded
            }
            return .failure(errno: EIO, "ns master: cannot write the role tag: \(error)")
        }
        startFollowing(discardDivergent: discardDivergent)
        supervise()
        return .success("success: master-ro -> slave-ro following \(remote) (epoch \(currentEpoch))"
                        + (discardDivergent ? "; records the master lacks are saved beside the logs, then discarded" : "")
                        + "\n")
    }

    /// `ns master <remote>` on a slave: nothing to do while it follows; after following stopped on
    /// a divergent tail, says so, or (`--discard-divergent`) saves the tail and follows again.
    private func followAgain(remote: Endpoint, discardDivergent: Bool) -> RoleChangeResult {
        let follower = lock.withLock { self.follower }
        guard let divergence = follower?.currentStatus.divergence else {
            return .success("success: this node already follows \(remote) (slave-ro)\n")
        }
        guard discardDivergent else {
            return .failure(errno: EEXIST, "ns master: not following \(remote): this node holds \(divergence.summary). "
                            + "`ns master \(remote) --discard-divergent` saves them beside the logs and follows")
        }
        follower?.stop()
        lock.withLock { self.follower = nil }
        startFollowing(discardDivergent: true)
        return .success("success: following \(remote) again; \(divergence.records) divergent records are saved beside "
                        + "the logs, then discarded\n")
    }
}
