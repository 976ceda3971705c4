import Namespace
import XRootD

/// What `ns` prints about replication.
extension ReplicationNode {
    /// The value of the `Replication` line: first the legacy fields in the legacy order,
    /// `mode=<master-rw|master-ro|slave-ro> state=<state> master=<host:port> configdir=<data directory>
    /// config=<--config file|none> active=<true|false> mgm:<remote>=<ok|down> mgm:mode=<remote's state>`, then
    /// Beryl's own: `epoch= sync= remotecheck=`, and when they apply `fenced-by-epoch= sync-replication=
    /// degraded= awaiting-remote= diverged-records= slaves=`. `active` is true once the node runs in a
    /// settled role (false in `transition`), as the legacy master's activated flag.
    public var replicationLine: String {
        let (state, epoch, probe) = lock.withLock { (self.state, self.epoch, remoteStatus) }
        let (enabled, fenced) = lock.withLock { (supervisorEnabled, fencedBy) }
        let mode = state.mode.rawValue
        let master: String
        if state == .masterReadWrite {
            master = configuration.listen.description
        } else if let remote, probe?.state == .masterReadWrite {
            master = remote.description
        } else {
            master = "<none>"
        }
        var line = "mode=\(mode) state=\(state.rawValue) master=\(master) configdir=\(configuration.dataDirectory)"
            + " config=\(configuration.configFile ?? "none") active=\(state == .transition || state == .invalid ? "false" : "true")"
        if let remote {
            line += " mgm:\(remote)=\(probe == nil ? "down" : "ok") mgm:mode=\(probe?.state.rawValue ?? "unknown")"
        }
        line += " epoch=\(epoch) sync=\(remote == nil ? "none" : syncEndpoint.description) remotecheck=\(enabled ? "enabled" : "disabled")"
        if let fenced { line += " fenced-by-epoch=\(fenced)" }
        if remote != nil {
            let (mode, degraded, awaiting) = lock.withLock { () -> (SyncReplicationMode, Bool, Bool) in
                (self.syncMode, self.degraded, self.awaitingRemote)
            }
            line += " sync-replication=\(mode.rawValue)" + (degraded ? " degraded=1" : "") + (awaiting ? " awaiting-remote=1" : "")
            if let divergence = lock.withLock({ follower })?.currentStatus.divergence {
                line += " diverged-records=\(divergence.records)"
            }
        }
        if let server = lock.withLock({ syncServer }), state == .masterReadWrite || state == .masterReadOnly {
            line += " slaves=\(server.connectedSlaves)"
        }
        if let coordinator { line += coordinator.statusFields }
        return line
    }

    /// On a slave: `Namespace Latency Files`, `Namespace Latency Directories` and
    /// `Namespace Pending Updates` (label, value), for the `ns` table.
    public var slaveLines: [(label: String, value: String)] {
        guard currentState == .slaveReadOnly || currentState == .transition, let follower = lock.withLock({ follower }) else { return [] }
        let s = follower.currentStatus
        let replica = namespace.replicaStatus
        func latency(_ p: Follower.LogProgress) -> String {
            "bytes=\(p.bytesBehind) records=\(p.recordsBehind) age=\(Decimal.fixed(s.ageMilliseconds, places: 1))ms"
        }
        return [
            ("Namespace Latency Files", latency(s.files)),
            ("Namespace Latency Directories", latency(s.directories)),
            ("Namespace Pending Updates", "\(replica.pendingFiles + replica.pendingContainers)"),
        ]
    }

    /// `ns stat -m` pairs.
    public var monitoringPairs: [(String, String)] {
        var pairs: [(String, String)] = [
            ("ns.master.mode", currentState.mode.rawValue),
            ("ns.master.state", currentState.rawValue),
            ("ns.master.epoch", "\(currentEpoch)"),
            ("ns.master.sync_replication", currentSyncMode.rawValue),
            ("ns.master.degraded", isDegraded ? "1" : "0"),
            ("ns.master.fenced_by", "\(lock.withLock { fencedBy } ?? 0)"),
            ("ns.sync.listening", lock.withLock { syncServer } == nil ? "0" : "1"),
        ]
        if let follower = lock.withLock({ follower }) {
            let s = follower.currentStatus
            pairs += [
                ("ns.latency.files", "\(s.files.bytesBehind)"),
                ("ns.latency.files.records", "\(s.files.recordsBehind)"),
                ("ns.latency.dirs", "\(s.directories.bytesBehind)"),
                ("ns.latency.dirs.records", "\(s.directories.recordsBehind)"),
                ("ns.latency.age_ms", Decimal.fixed(s.ageMilliseconds, places: 1)),
                ("ns.latency.pending", "\(namespace.replicaStatus.pendingFiles + namespace.replicaStatus.pendingContainers)"),
                ("ns.sync.connected", s.connected ? "1" : "0"),
                ("ns.sync.reconnects", "\(s.reconnects)"),
                ("ns.sync.corrupt_chunks", "\(s.corruptChunks)"),
            ]
        }
        return pairs
    }
}

/// Fixed-point text for figures (no Foundation in the library modules).
enum Decimal {
    static func fixed(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled) - whole * Int(scale)
        var digits = String(fraction)
        while digits.count < places { digits = "0" + digits }
        return (value < 0 && scaled > 0 ? "-" : "") + "\(whole)" + (places > 0 ? "." + digits : "")
    }
}
