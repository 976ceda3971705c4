import Changelog
import Glibc
import Namespace
import XRootD

/// One node of a master/slave pair: its role state and fencing epoch, the sync server (always
/// listening; it streams only while this node is a master), the follower (while a slave), the
/// supervisor, and the three-step role change `ns master <host:port>`.
///
/// Fencing: the epoch, persisted in the role tag, grows with every promotion and is written
/// before the promoted node accepts a write. A node that sees a higher epoch than its own (in a
/// sync handshake or a supervisor probe) stops accepting writes and never accepts them again
/// until it has become a slave of that epoch; a slave refuses records from a master of a lower
/// epoch; a master with a remote that could be read-write starts read-only until a probe says
/// otherwise. Two read-write masters at once thus need both the operator's mistake and a network
/// partition hiding the nodes from each other (see docs/REPLICATION.md).
public final class ReplicationNode: SyncRoleSource, @unchecked Sendable {
    // @unchecked: mutable state is guarded by `lock`.
    public let configuration: ReplicationConfiguration
    public let remote: Endpoint?
    let namespace: Namespace
    let access: AccessControl
    let masterLog: MasterLog
    let secret: SyncSecret
    let lock = ConditionLock()
    var state: RoleState
    var epoch: UInt64
    /// Set when a higher epoch was seen: no writes until this node is a slave of it.
    var fencedBy: UInt64?
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

    public var currentEpoch: UInt64 { lock.withLock { epoch } }
    public var currentState: RoleState { lock.withLock { state } }
    public var isMaster: Bool { currentState == .masterReadWrite }
    /// The sync listener's address (answered to the XRootD query `sync`).
    public var syncEndpoint: Endpoint {
        Endpoint(host: configuration.syncEndpoint.host, port: lock.withLock { syncServer?.port } ?? configuration.syncEndpoint.port)
    }

    init(configuration: ReplicationConfiguration, remote: Endpoint?, namespace: Namespace, access: AccessControl,
         masterLog: MasterLog, secret: SyncSecret, tag: RoleTag) {
        self.configuration = configuration
        self.remote = remote
        self.namespace = namespace
        self.access = access
        self.masterLog = masterLog
        self.secret = secret
        self.epoch = tag.epoch
        self.state = tag.role == .master ? .masterReadOnly : .slaveReadOnly
        self.supervisorEnabled = remote != nil
        self.probe = remote.map { RemoteProbe($0) }
    }

    /// Starts the node on a booted namespace (read-write for a master tag, `.replica` for a slave):
    /// decides the starting state, starts the sync server, the follower and the supervisor.
    /// `role` overrides the data directory's role tag (its epoch is kept).
    public static func start(_ configuration: ReplicationConfiguration, namespace: Namespace, access: AccessControl,
                             masterLog: MasterLog, role: MGMRole? = nil) throws(ReplicationError) -> ReplicationNode {
        let remote = try configuration.remote()
        var tag = RoleFile.readTag(in: configuration.dataDirectory)
        if let role { tag.role = role }
        let secret: SyncSecret
        if let file = configuration.secretFile {
            secret = try SyncSecret.load(from: file)
        } else {
            secret = SyncSecret(bytes: [])
            if remote != nil { masterLog.log(.warning, "sync: no --secret-file: slaves authenticate with an empty secret") }
        }
        let node = ReplicationNode(configuration: configuration, remote: remote, namespace: namespace, access: access,
                                   masterLog: masterLog, secret: secret, tag: tag)
        if tag.role == .master {
            node.startAsMaster()
        } else {
            node.startFollowing()
        }
        let server: SyncServer
        do {
            server = try startSyncServer(configuration, remote: remote, namespace: namespace, secret: secret, node: node,
                                         masterLog: masterLog)
        } catch {
            node.stop()
            throw error
        }
        node.lock.withLock { node.syncServer = server }
        do {
            let supervisor = try BackgroundThread.start(named: "supervisor") { node.superviseLoop() }
            node.lock.withLock { node.supervisorThread = supervisor }
        } catch {
            node.stop()
            throw .resources("\(error)")
        }
        masterLog.log(.info, "replication: \(node.currentState.rawValue) epoch=\(node.currentEpoch) sync=\(node.syncEndpoint)"
                      + (remote.map { " remote=\($0)" } ?? " (single master)"))
        return node
    }

    /// The sync listener. A single master's is a convenience (a slave may be added later): when its
    /// default port is taken, any free port will do.
    private static func startSyncServer(_ configuration: ReplicationConfiguration, remote: Endpoint?, namespace: Namespace,
                                        secret: SyncSecret, node: ReplicationNode,
                                        masterLog: MasterLog) throws(ReplicationError) -> SyncServer {
        let sync = configuration.syncEndpoint
        do {
            return try SyncServer.start(host: sync.host, port: sync.port, namespace: namespace, secret: secret, role: node,
                                        masterLog: masterLog, heartbeatInterval: configuration.heartbeatInterval)
        } catch {
            guard remote == nil, configuration.syncListen == nil else { throw error }
            masterLog.log(.warning, "sync: \(sync) is not free (\(error)); listening on another port")
            return try SyncServer.start(host: sync.host, port: 0, namespace: namespace, secret: secret, role: node,
                                        masterLog: masterLog, heartbeatInterval: configuration.heartbeatInterval)
        }
    }

    /// A master tag: read-write at once for a single master; with a remote, only after a probe
    /// shows that the remote is not a read-write master of the same or a newer epoch.
    private func startAsMaster() {
        guard let remote else {
            setWritable(true)
            return
        }
        let probe = RemoteProbe.status(of: remote)
        lock.withLock { remoteStatus = probe }
        if let probe, probe.state == .masterReadWrite || probe.epoch > epoch {
            if probe.epoch > epoch {
                fence(byEpoch: probe.epoch, reason: "at start, \(remote) is \(probe.state.rawValue) at epoch \(probe.epoch)")
            } else {
                masterLog.log(.error, "dual master: \(remote) is already master-rw at epoch \(probe.epoch); staying master-ro")
                setWritable(false)
            }
            return
        }
        setWritable(true)
    }

    /// Applies the master states to the namespace and the write stall.
    func setWritable(_ writable: Bool) {
        do {
            if writable { try namespace.promote() } else { try namespace.demote() }
        } catch {
            masterLog.log(.error, "replication: cannot \(writable ? "open" : "close") the namespace for writes: \(error)")
        }
        lock.withLock { state = writable ? .masterReadWrite : .masterReadOnly }
        if !writable { access.setStall(.write, seconds: configuration.stallSeconds) } else { access.removeStall(.write) }
        // Wake the sync senders: an idle one would otherwise tell its slave the new state only
        // at its next heartbeat, and a promotion on the slave waits for `master-ro`.
        namespace.changeNotifier.bump()
    }

    func startFollowing() {
        lock.withLock { state = .slaveReadOnly }
        guard let remote else {
            masterLog.log(.warning, "replication: a slave without --master1/--master2 serves read-only and follows nobody")
            return
        }
        let follower = Follower(namespace: namespace, remote: remote, secret: secret, masterLog: masterLog,
                                epoch: { [weak self] in self?.currentEpoch ?? 0 },
                                observedEpoch: { [weak self] e in self?.adoptEpoch(e) })
        lock.withLock { self.follower = follower }
        follower.start()
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
        do { try RoleFile.write(RoleTag(role: .slave, epoch: newer), in: configuration.dataDirectory) } catch {
            masterLog.log(.error, "replication: cannot persist epoch \(newer): \(error)")
        }
        masterLog.log(.info, "replication: following epoch \(newer)")
    }

    public func fence(byEpoch newer: UInt64, reason: String) {
        let wasWritable = lock.withLock { () -> Bool in
            guard newer > epoch, state == .masterReadWrite || state == .masterReadOnly else { return false }
            fencedBy = max(fencedBy ?? 0, newer)
            return true
        }
        guard wasWritable else { return }
        setWritable(false)
        masterLog.log(.error, "fenced: \(reason); epoch \(newer) > ours (\(currentEpoch)): no writes until this node "
                      + "is a slave of the new master (ns master <remote>)")
    }

    public func stop() {
        let (server, follower, supervisor) = lock.withLock { () -> (SyncServer?, Follower?, BackgroundThread<Void>?) in
            stopped = true
            lock.broadcast()
            return (syncServer, self.follower, supervisorThread)
        }
        supervisor?.join()
        follower?.stop()
        server?.stop()
        // The server and the follower hold this node (as their role source, their epoch): let go.
        lock.withLock {
            syncServer = nil
            self.follower = nil
            supervisorThread = nil
        }
    }

    /// Under durability `always`: waits until a connected slave holds what the namespace has
    /// acknowledged so far (semi-synchronous: without a slave, or after the timeout, it returns).
    public func waitForReplica() {
        guard currentState == .masterReadWrite, let server = lock.withLock({ syncServer }), server.slavesInSync > 0 else { return }
        let ends = LogKind.allCases.compactMap { kind -> LogEnd? in
            guard let log = namespace.changelog(kind.contentKind) else { return nil }
            return LogEnd(kind: kind, identity: log.identity.rawValue, end: log.shippableEnd.rawValue)
        }
        _ = server.waitForReplicas(covering: ends, timeout: configuration.replicaAcknowledgementTimeout)
    }

    public var supervisorIsEnabled: Bool {
        get { lock.withLock { supervisorEnabled } }
        set {
            lock.withLock { supervisorEnabled = newValue }
            masterLog.log(.info, "remotecheck=\(newValue ? "enabled" : "disabled")")
        }
    }
}
