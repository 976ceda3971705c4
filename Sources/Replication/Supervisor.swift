import Glibc
import Namespace
import XRootD

/// The supervisor (1 Hz, `ns master --enable|--disable`): probes the remote and installs the
/// access rules a pair needs.
/// - slave, remote is a reachable read-write master: redirect `w:*` and `ENOENT:*` to it;
/// - slave, master down: no redirects, stall `w:*` (clients retry until a master is back);
/// - master that sees a second read-write master: stall `w:*` and log it (fence if its epoch is newer),
///   unless it holds a valid coordinator lease and the other's epoch is older (the other's lease has
///   expired, so it acknowledges nothing: it is a paused or partitioned old master about to follow);
/// - any node, every round (a single master too, with the remote checks disabled): measures the data
///   disk (`checkDiskSpace`, in DiskSpace.swift); below `--min-free` mutations get `kXR_NoSpace`.
extension ReplicationNode {
    func superviseLoop() {
        while true {
            let enabled = lock.withLock { () -> Bool? in stopped ? nil : supervisorEnabled }
            guard let enabled else { return }
            if enabled { supervise() } else { checkDiskOnly() }
            lock.withLock { if !stopped { _ = lock.wait(seconds: configuration.supervisorInterval) } }
        }
    }

    /// One supervisor round.
    func supervise() {
        let probe = self.probe?.status()
        let (state, ourEpoch, previous) = lock.withLock { () -> (Role, UInt64, RemoteStatus?) in
            let before = remoteStatus
            remoteStatus = probe
            if let probe, probe.epoch <= epoch { lastNoNewerMaster = MonotonicTime.now }
            return (self.state, epoch, before)
        }
        if let remote, (probe == nil) != (previous == nil) {
            masterLog.log(probe == nil ? .warning : .info, "supervisor: \(remote) is \(probe.map { "up (\($0.state.rawValue) epoch \($0.epoch))" } ?? "down")")
        }
        var rules = SupervisorRules()
        switch state {
        case .slaveReadOnly:
            if let remote, let probe, probe.state == .masterReadWrite {
                rules.redirectWrites = remote
                rules.redirectMissing = remote
            } else if remote != nil {
                rules.stallWrites = configuration.stallSeconds
            }
        case .masterReadWrite:
            if let probe, probe.epoch > ourEpoch {
                // Whatever its state: a newer epoch means a newer master exists (it may be down or
                // read-only now, but it was promoted after us).
                fence(byEpoch: probe.epoch, reason: "supervisor: \(remote!) is \(probe.state.rawValue) at epoch \(probe.epoch)")
                rules.stallWrites = configuration.stallSeconds
            } else if let probe, probe.state == .masterReadWrite {
                if probe.epoch < ourEpoch, let coordinator, coordinator.isValid(at: MonotonicTime.now) {
                    // We hold the etcd lease at a newer epoch: the remote's lease ran out before ours was
                    // granted, so it acknowledges nothing (it refuses writes on its own monotonic clock)
                    // and follows us once its coordinator thread reads etcd. Stalling our clients for
                    // `stallSeconds` would only delay the one master that may write.
                    masterLog.log(.info, "supervisor: \(remote!) still reports master-rw at older epoch \(probe.epoch); "
                                  + "this node holds the coordinator lease at epoch \(ourEpoch): not stalling")
                } else {
                    masterLog.log(.error, "supervisor: dual read-write master detected (\(remote!) at epoch \(probe.epoch)); stalling writes")
                    rules.stallWrites = configuration.stallSeconds
                }
            }
            if isDegraded, let server = lock.withLock({ syncServer }), server.slavesInSync > 0 { recover() }
        case .masterReadOnly:
            if let probe, probe.epoch > ourEpoch {
                fence(byEpoch: probe.epoch, reason: "supervisor: \(remote!) is \(probe.state.rawValue) at epoch \(probe.epoch)")
            } else {
                reconsiderStart(after: probe)
            }
            if lock.withLock({ fencedBy }) != nil, let remote, let probe, probe.state == .masterReadWrite {
                // Fenced, and the newer master answers: send writes and misses there instead of stalling them.
                rules.redirectWrites = remote
                rules.redirectMissing = remote
            } else if currentState == .masterReadOnly {
                rules.stallWrites = configuration.stallSeconds
            }
        case .transition, .invalid:
            return
        }
        checkDiskSpace()
        install(rules, computedFor: state)
    }

    /// With the remote checks disabled (a single master, or `ns master --disable`), only the disk
    /// check runs (as in the legacy MGM): mutations are refused while space is low, accepted again
    /// when it returns.
    func checkDiskOnly() {
        checkDiskSpace()
    }

    /// Removes the supervisor's redirects (after a promotion).
    func clearSupervisorRules() {
        install(SupervisorRules())
    }

    /// `computedFor`: the state the rules were decided in; a stall is not installed when the state
    /// changed meanwhile (the coordinator thread opened the node), the next round decides again.
    private func install(_ rules: SupervisorRules, computedFor decided: Role? = nil) {
        let old = lock.withLock { () -> SupervisorRules in
            let old = supervisorRules
            supervisorRules = rules
            return old
        }
        guard old != rules else { return }
        // A master-ro node keeps its stall whatever the supervisor decides (unless it redirects writes);
        // a stall decided in a state the node has left meanwhile (the coordinator opened it) is not installed.
        let stale = rules.stallWrites != nil && decided != nil && currentState != decided
        var installed = rules
        if stale { installed.stallWrites = nil }
        access.install(installed, keepingWriteStall: stale || (currentState == .masterReadOnly && rules.redirectWrites == nil))
        masterLog.log(.info, "supervisor: rules " + describe(rules))
    }

    private func describe(_ r: SupervisorRules) -> String {
        var parts: [String] = []
        if let e = r.redirectWrites { parts.append("redirect w:* => \(e)") }
        if let e = r.redirectMissing { parts.append("redirect ENOENT:* => \(e)") }
        if let s = r.stallWrites { parts.append("stall w:* \(s) s") }
        return parts.isEmpty ? "cleared" : parts.joined(separator: ", ")
    }
}
