import Changelog
import Glibc
import Namespace
import Synchronization
import XRootD
import Platform

/// One node of a master/slave pair: its role state and fencing epoch, the sync server (always
/// listening; it streams only while this node is a master), the follower (while a slave), the
/// supervisor, and the three-step role change `ns master <host:port>`.
///
/// Fencing: the epoch, persisted in the role tag, grows with every promotion and is written
/// before the promoted node accepts a write. A node that sees a higher epoch than its own (in a
/// sync handshake, a heartbeat or a supervisor probe) writes that fence to its role tag, stops
/// accepting writes and never accepts them again, across restarts, until it has become a slave of
/// that epoch; a slave refuses records from a master of a lower epoch; a master with a remote
/// starts read-only and opens for writes only once the remote has answered as a non-writable node
/// of an older (or, for a slave, the same) epoch, or an operator forces it (see docs/REPLICATION.md).
public final class ReplicationNode: SyncRoleSource, @unchecked Sendable {
    // @unchecked: mutable state is guarded by `lock`.
    public let configuration: ReplicationConfiguration
    public let remote: Endpoint?
    let namespace: Namespace
    /// The server's access rules, where the node installs what its role requires.
    let access: any AccessRuleSink
    let masterLog: MasterLog
    let secret: SyncSecret
    let lock = ConditionLock()
    var state: Role
    /// The role of the tag (what a restart comes back as: `masterReadWrite` or `slaveReadOnly`).
    var role: Role
    var epoch: UInt64
    /// Set when a higher epoch was seen: no writes until this node is a slave of it (persisted).
    var fencedBy: UInt64?
    /// A slave that has once caught up with its master (persisted; see `RoleTag.synced`).
    var synced: Bool
    /// A master that stopped waiting for its slave under `preferred` (persisted).
    var degraded: Bool
    /// A master tag waiting, read-only, for the remote to answer before it opens for writes.
    var awaitingRemote = false
    /// Why it still awaits (logged once per distinct reason).
    var awaitingReason: String?
    /// A slave under a coordinator: whether it has seen a node hold the lease since it started, and
    /// when it first found the lease free without that (and without an epoch recorded in etcd: a
    /// fresh pair), for the grace it gives the tagged master.
    var leaseHolderSeen = false
    var freshLeaseSeenAt: Double?
    /// What an acknowledgement promises (`ns master --sync` changes it).
    var syncMode: SyncReplicationMode
    var follower: Follower?
    var syncServer: SyncServer?
    var supervisorEnabled: Bool
    var supervisorThread: BackgroundThread<Void>?
    var stopped = false
    var remoteStatus: RemoteStatus?
    /// The supervisor's probe of the remote (one kept connection).
    let probe: RemoteProbe?
    /// A role change is in progress (refuses a second one).
    var changing = false
    /// What the supervisor last installed (so it changes only its own rules, and logs changes).
    var supervisorRules = SupervisorRules()
    /// The data disk is below `minimumFreeBytes` (mutations refused with kXR_NoSpace).
    var diskStall = false
    /// When (monotonic seconds) the remote last answered without a newer epoch (supervisor probes
    /// and `confirmNoNewerMaster`): a degraded master asks again before answering when this is old.
    var lastNoNewerMaster = 0.0
    /// Serializes role-tag writes (they share one temporary file name).
    let tagWriter = Mutex<Void>(())
    /// `--coordinator`: this node's side of the election in etcd (CoordinatedFailover.swift).
    let coordinator: Coordinator?
    var coordinatorThread: BackgroundThread<Void>?

    public var currentEpoch: UInt64 { lock.withLock { epoch } }
    public var currentState: Role { lock.withLock { state } }
    public var isMaster: Bool { currentState == .masterReadWrite }
    public var currentSyncMode: SyncReplicationMode { lock.withLock { syncMode } }
    public var isDegraded: Bool { lock.withLock { degraded } }
    /// The sync listener's address (answered to the XRootD query `sync`); a single master has none
    /// and answers the configured address, where nothing listens.
    public var syncEndpoint: Endpoint {
        Endpoint(host: configuration.syncEndpoint.host, port: lock.withLock { syncServer?.port } ?? configuration.syncEndpoint.port)
    }

    init(configuration: ReplicationConfiguration, remote: Endpoint?, namespace: Namespace, access: any AccessRuleSink,
         masterLog: MasterLog, secret: SyncSecret, tag: RoleTag) {
        self.configuration = configuration
        self.remote = remote
        self.namespace = namespace
        self.access = access
        self.masterLog = masterLog
        self.secret = secret
        self.role = tag.role
        self.epoch = tag.epoch
        self.fencedBy = tag.fencedBy.flatMap { $0 > tag.epoch ? $0 : nil }
        self.synced = tag.synced
        self.degraded = tag.degraded
        self.state = tag.role.isMaster ? .masterReadOnly : .slaveReadOnly
        self.supervisorEnabled = remote != nil
        self.probe = remote.map { RemoteProbe($0, secret: secret) }
        self.syncMode = remote == nil ? .off : (configuration.syncReplication ?? .preferred)
        self.coordinator = configuration.coordinator.map { Coordinator($0, name: configuration.listen.description) }
    }

    /// Starts the node on a booted namespace (`masterReadWrite` for a master tag, `slaveReadOnly` for a slave):
    /// decides the starting state, starts the sync server, the follower and the supervisor.
    /// `role` overrides the data directory's role tag (its epoch is kept).
    public static func start(_ configuration: ReplicationConfiguration, namespace: Namespace, access: any AccessRuleSink,
                             masterLog: MasterLog, role: Role? = nil) throws(ReplicationError) -> ReplicationNode {
        let remote = try configuration.remote()
        if configuration.coordinator != nil, remote == nil {
            throw .configuration("--coordinator elects the master of a pair: it needs --master1 and --master2")
        }
        var tag = RoleFile.readTag(in: configuration.dataDirectory)
        if let role { tag.role = role }
        // A pair authenticates its sync channel with a shared secret; a single master has no sync
        // listener at all (nobody may pull its logs).
        let secret: SyncSecret
        if remote != nil {
            guard let file = configuration.secretFile else {
                throw .configuration("a master/slave pair needs --secret-file (a file of mode 0600 holding the shared "
                                     + "secret): without it anybody who reaches the sync port could pull the namespace")
            }
            secret = try SyncSecret.load(from: file)
        } else {
            secret = SyncSecret(bytes: [])
        }
        let node = ReplicationNode(configuration: configuration, remote: remote, namespace: namespace, access: access,
                                   masterLog: masterLog, secret: secret, tag: tag)
        if tag.role.isMaster {
            node.startAsMaster()
        } else {
            node.startFollowing()
        }
        if remote != nil {
            let server: SyncServer
            do {
                server = try SyncServer.start(host: configuration.syncEndpoint.host, port: configuration.syncEndpoint.port,
                                              namespace: namespace, secret: secret, role: node, masterLog: masterLog,
                                              heartbeatInterval: configuration.heartbeatInterval)
            } catch {
                node.stop()
                throw error
            }
            node.lock.withLock { node.syncServer = server }
        }
        do {
            let supervisor = try BackgroundThread.start(named: "supervisor") { node.superviseLoop() }
            node.lock.withLock { node.supervisorThread = supervisor }
            if node.coordinator != nil {
                let thread = try BackgroundThread.start(named: "coordinator") { node.coordinateLoop() }
                node.lock.withLock { node.coordinatorThread = thread }
            }
        } catch {
            node.stop()
            throw .resources(error)
        }
        masterLog.log(.info, "replication: \(node.currentState.rawValue) epoch=\(node.currentEpoch)"
                      + (remote.map { " sync=\(node.syncEndpoint) remote=\($0) sync-replication=\(node.currentSyncMode.rawValue)" }
                         ?? " (single master: no sync listener)")
                      + (node.coordinator.map { " coordinator=\($0.configuration.url) prefix=\($0.configuration.prefix) ttl=\($0.configuration.ttl)s" } ?? ""))
        return node
    }

    /// Applies the master states to the namespace and the write stall.
    func setWritable(_ writable: Bool) {
        do {
            if writable { try namespace.promote() } else { try namespace.demote() }
        } catch {
            masterLog.log(.error, "replication: cannot \(writable ? "open" : "close") the namespace for writes: \(error)")
        }
        lock.withLock { state = writable ? .masterReadWrite : .masterReadOnly }
        access.setWriteStall(seconds: writable ? nil : configuration.stallSeconds)
        // Wake the sync senders: an idle one would otherwise tell its slave the new state only
        // at its next heartbeat, and a promotion on the slave waits for `master-ro`.
        namespace.changeNotifier.bump()
    }

    /// Follows the remote. `discardDivergent`: records of ours that the master lacks are saved
    /// beside the logs and then discarded (else following stops and reports them).
    func startFollowing(discardDivergent: Bool = false) {
        lock.withLock {
            state = .slaveReadOnly
            role = .slaveReadOnly
        }
        namespace.role = .slaveReadOnly
        guard let remote else {
            masterLog.log(.warning, "replication: a slave without --master1/--master2 serves read-only and follows nobody")
            return
        }
        let policy: Follower.DivergencePolicy = discardDivergent
            ? .saveAndDiscard(directory: configuration.dataDirectory, epoch: currentEpoch) : .refuse
        let follower = Follower(namespace: namespace, remote: remote, secret: secret, masterLog: masterLog,
                                epoch: { [weak self] in self?.currentEpoch ?? 0 },
                                observedEpoch: { [weak self] e in self?.adoptEpoch(e) },
                                caughtUp: { [weak self] in self?.noteSynced() },
                                divergence: policy)
        lock.withLock { self.follower = follower }
        follower.start()
    }

    /// The role tag as the node's state says it now.
    var tag: RoleTag {
        lock.withLock { RoleTag(role: role, epoch: epoch, fencedBy: fencedBy, synced: synced, degraded: degraded) }
    }

    /// Writes the role tag from the node's state (durably, replacing the file atomically). One
    /// writer at a time, each writing the state as it is when it gets its turn.
    func persistTag() throws(ReplicationError) {
        try tagWriter.withLock { _ throws(ReplicationError) in try RoleFile.write(tag, in: configuration.dataDirectory) }
    }

    public func stop() {
        let (server, follower, supervisor, coordinating) = lock.withLock {
            () -> (SyncServer?, Follower?, BackgroundThread<Void>?, BackgroundThread<Void>?) in
            stopped = true
            lock.broadcast()
            return (syncServer, self.follower, supervisorThread, coordinatorThread)
        }
        supervisor?.join()
        coordinating?.join()
        follower?.stop()
        server?.stop()
        // The server and the follower hold this node (as their role source, their epoch): let go.
        lock.withLock {
            syncServer = nil
            self.follower = nil
            supervisorThread = nil
            coordinatorThread = nil
        }
    }

    public var supervisorIsEnabled: Bool {
        get { lock.withLock { supervisorEnabled } }
        set {
            lock.withLock { supervisorEnabled = newValue }
            masterLog.log(.info, "remotecheck=\(newValue ? "enabled" : "disabled")")
        }
    }
}
