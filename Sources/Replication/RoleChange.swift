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
extension ReplicationNode {
    public func changeMaster(to target: Endpoint) -> RoleChangeResult {
        guard let remote else {
            return .failure(errno: ENOTSUP, "ns master \(target): not configured: this node is a single master "
                            + "(start it with --master1 and --master2 naming two different nodes)")
        }
        let toSelf = ReplicationConfiguration.same(target, configuration.listen)
        guard toSelf || ReplicationConfiguration.same(target, remote) else {
            return .failure(errno: EINVAL, "ns master \(target): the master must be \(configuration.listen) or \(remote)")
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
        case (.masterReadOnly, false): result = becomeSlave(of: remote)
        case (.masterReadOnly, true): result = resumeAsMaster(remote: remote)
        case (.slaveReadOnly, true): result = promote(remote: remote)
        case (.slaveReadOnly, false): result = .success("success: this node already follows \(remote) (slave-ro)\n")
        default: result = .failure(errno: EBUSY, "ns master: this node is \(before.rawValue)")
        }
        let seconds = Decimal.fixed(MonotonicTime.now - start, places: 3)
        switch result {
        case .success:
            masterLog.log(.info, "ns master \(target): \(before.rawValue) -> \(currentState.rawValue) in \(seconds) s (epoch \(currentEpoch))")
        case .failure(_, let message):
            masterLog.log(.warning, "ns master \(target): refused after \(seconds) s: \(message)")
        }
        return result
    }

    /// Step 1: stop accepting writes. Compaction is blocked first (the scheduler starts no new run
    /// on a non-master) and a run in progress is waited for (up to `catchUpTimeout`), so the slave
    /// about to take over follows a log that no longer changes under it.
    private func becomeReadOnlyMaster() -> RoleChangeResult {
        namespace.role = .replica
        let deadline = MonotonicTime.now + configuration.catchUpTimeout
        while namespace.isCompacting && MonotonicTime.now < deadline { usleep(20_000) }
        if namespace.isCompacting {
            namespace.role = .master
            return .failure(errno: EBUSY, "ns master: a compaction is still running after \(Int(configuration.catchUpTimeout)) s; "
                            + "this node stays master-rw")
        }
        setWritable(false)
        return .success("success: master-rw -> master-ro: writes are stalled; now run `ns master <new master>` on the new master\n")
    }

    /// Back to read-write after step 1 when the operator changes their mind (the remote must not
    /// be a read-write master, and no newer epoch must have been seen).
    private func resumeAsMaster(remote: Endpoint) -> RoleChangeResult {
        if let fenced = lock.withLock({ fencedBy }) {
            return .failure(errno: EPERM, "ns master: fenced by epoch \(fenced): this node must become a slave first (ns master \(remote))")
        }
        if let probe = RemoteProbe.status(of: remote), probe.state == .masterReadWrite || probe.epoch > currentEpoch {
            return .failure(errno: EPERM, "ns master: \(remote) is \(probe.state.rawValue) at epoch \(probe.epoch); refusing a second master")
        }
        setWritable(true)
        return .success("success: master-ro -> master-rw\n")
    }

    /// Step 2, on the slave.
    private func promote(remote: Endpoint) -> RoleChangeResult {
        let probe = RemoteProbe.status(of: remote)
        if let probe, probe.state == .masterReadWrite {
            return .failure(errno: EPERM, "ns master: the remote \(remote) is still running as a read-write master: "
                            + "first run `ns master \(configuration.listen)` on it")
        }
        lock.withLock { state = .transition }
        let follower = lock.withLock { self.follower }
        var note = ""
        if probe != nil, let follower {
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
                                + "\(Int(configuration.catchUpTimeout)) s; promotion aborted (still slave-ro)")
            }
        } else {
            note = " (the remote is down: promoted with everything received from it)"
            masterLog.log(.warning, "ns master: \(remote) does not answer; promoting with what this node has")
        }
        let masterEpoch = follower?.currentStatus.masterEpoch ?? 0
        follower?.stop()
        let newEpoch = max(currentEpoch, probe?.epoch ?? 0, masterEpoch) + 1
        do {
            try RoleFile.write(RoleTag(role: .master, epoch: newEpoch), in: configuration.dataDirectory)
        } catch {
            lock.withLock { self.follower = nil }
            startFollowing()
            return .failure(errno: EIO, "ns master: cannot persist the new epoch: \(error)")
        }
        lock.withLock {
            epoch = newEpoch
            fencedBy = nil
            self.follower = nil
        }
        clearSupervisorRules()
        setWritable(true)
        return .success("success: slave-ro -> master-rw at epoch \(newEpoch)\(note); now run `ns master \(configuration.listen)` "
                        + "on the old master\n")
    }

    /// Step 3, on the old master.
    private func becomeSlave(of remote: Endpoint) -> RoleChangeResult {
        guard let probe = RemoteProbe.status(of: remote), probe.state == .masterReadWrite else {
            return .failure(errno: EAGAIN, "ns master: \(remote) is not a read-write master yet; run `ns master \(remote)` "
                            + "on it first (this node stays master-ro)")
        }
        do {
            try RoleFile.write(RoleTag(role: .slave, epoch: max(probe.epoch, currentEpoch)), in: configuration.dataDirectory)
        } catch {
            return .failure(errno: EIO, "ns master: cannot write the role tag: \(error)")
        }
        lock.withLock {
            epoch = max(probe.epoch, epoch)
            fencedBy = nil
            remoteStatus = probe
        }
        startFollowing()
        supervise()
        return .success("success: master-ro -> slave-ro following \(remote) (epoch \(currentEpoch))\n")
    }
}
