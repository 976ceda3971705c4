import Namespace
import Synchronization
import XRootD

/// What every connection shares: the namespace, the role, the access rules and the master log.
public final class ServerState: Sendable {
    public let configuration: MGMConfiguration
    public let namespace: Namespace
    public let role: MGMRole
    public let access: AccessControl
    public let masterLog: MasterLog
    /// The `ns compact` schedule (persisted in the data directory; runs only on a master).
    public let compactionScheduler: CompactionScheduler?
    /// Set by `ns master --enable|--disable` (the remote-master supervisor of the replication issue).
    let remoteCheck = Atomic<Bool>(false)
    let listenAddress = Mutex<String>("")

    init(configuration: MGMConfiguration, namespace: Namespace, role: MGMRole, access: AccessControl,
         masterLog: MasterLog, compactionScheduler: CompactionScheduler? = nil) {
        self.compactionScheduler = compactionScheduler
        self.configuration = configuration
        self.namespace = namespace
        self.role = role
        self.access = access
        self.masterLog = masterLog
    }

    /// The `Replication` value of `ns`: `mode=master-rw state=master-rw master=<this server>`.
    var replicationStatus: String {
        let address = listenAddress.withLock { $0 }
        let master = role == .master ? address : "<none>"
        return "mode=\(role.mode) state=\(role.mode) master=\(master) configdir=\(configuration.dataDirectory)"
            + " remotecheck=\(remoteCheck.load(ordering: .relaxed) ? "enabled" : "disabled")"
    }
}
