import Namespace
import Replication
import Synchronization
import XRootD

/// What every connection shares: the namespace, the replication node (role, epoch, sync, supervisor),
/// the access rules and the master log.
public final class ServerState: Sendable {
    public let configuration: MGMConfiguration
    public let namespace: Namespace
    public let access: AccessControl
    public let masterLog: MasterLog
    /// The `ns compact` schedule (persisted in the data directory; runs only on a master).
    public let compactionScheduler: CompactionScheduler?
    /// Login names to uid, gid and groups (`--idmap`, the system user database).
    public let identities: IdentityResolver
    /// Role, fencing epoch, changelog shipping and the supervisor (set once at start).
    let replicationNode = Mutex<ReplicationNode?>(nil)
    let listenAddress = Mutex<String>("")
    /// Requests by type and connections, for `kXR_Qstats` (always on).
    let counters = RequestCounters()

    init(configuration: MGMConfiguration, namespace: Namespace, access: AccessControl,
         masterLog: MasterLog, compactionScheduler: CompactionScheduler? = nil, identities: IdentityResolver? = nil) {
        self.identities = identities ?? IdentityResolver(checksPermissions: configuration.authentication != ["none"],
                                                         adminAllow: configuration.adminAllow)
        self.compactionScheduler = compactionScheduler
        self.configuration = configuration
        self.namespace = namespace
        self.access = access
        self.masterLog = masterLog
    }

    public var replication: ReplicationNode? { replicationNode.withLock { $0 } }

    /// The node's state now; `transition` while the server starts (before its replication node
    /// decided whether it may write).
    var roleState: Role { replication?.currentState ?? .transition }

    /// The `Replication` value of `ns`.
    var replicationStatus: String {
        replication?.replicationLine ?? "mode=\(roleState.mode.rawValue) state=\(roleState.rawValue) active=false"
    }
}
