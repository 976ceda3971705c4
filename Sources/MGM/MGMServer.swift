import Glibc
import Logging
import Namespace
import NIOCore
import NIOPosix
import Prometheus
import Replication
import Synchronization
import XRootD

/// The MGM: the namespace of a data directory served over XRootD.
///
/// `start` boots the namespace (read-write for a master, read-only for a slave), listens, and serves
/// until `shutdown`, which stops accepting, lets requests in flight finish (within
/// `MGMConfiguration.shutdownGrace`), closes the connections and closes the namespace (its logs are
/// synced). The changelogs' `flock` keeps a second server off the same data directory.
public final class MGMServer: Sendable {
    public let state: ServerState
    /// The port actually bound (useful with port 0).
    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let pool: NIOThreadPool
    private let serverChannel: any Channel
    private let connections: ConnectionRegistry
    private let tracker: InFlightTracker
    private let stopped = Atomic<Bool>(false)
    private let logger: Logger
    /// The `--metrics` registry and endpoint (set once at start).
    private let metricsParts = Mutex<(metrics: ServerMetrics, listener: MetricsListener)?>(nil)

    public var namespace: Namespace { state.namespace }
    public var access: AccessControl { state.access }
    public var masterLog: MasterLog { state.masterLog }
    public var endpoint: Endpoint { Endpoint(host: state.configuration.host, port: port) }
    public var connectionCount: Int { connections.count }
    /// The metrics (nil without `MGMConfiguration.metrics`).
    public var metrics: ServerMetrics? { metricsParts.withLock { $0?.metrics } }
    /// Where `/metrics` is served (the port actually bound).
    public var metricsEndpoint: Endpoint? { metricsParts.withLock { $0?.listener.endpoint } }

    private init(state: ServerState, port: Int, group: MultiThreadedEventLoopGroup, pool: NIOThreadPool,
                 serverChannel: any Channel, connections: ConnectionRegistry,
                 tracker: InFlightTracker, logger: Logger) {
        self.state = state
        self.port = port
        self.group = group
        self.pool = pool
        self.serverChannel = serverChannel
        self.connections = connections
        self.tracker = tracker
        self.logger = logger
    }

    /// Boots the namespace and starts listening.
    public static func start(_ configuration: MGMConfiguration,
                             logger: Logger = Logger(label: "beryl.mgm")) throws(MGMError) -> MGMServer {
        let role = configuration.role ?? RoleFile.read(in: configuration.dataDirectory)
        let identities = try IdentityResolver(configuration: configuration)
        // Client security first: a bad --auth / --keytab is refused before anything boots.
        let authentication = try AuthenticationService.make(configuration.authentication, keytab: configuration.keytab,
                                                            krb5Keytab: configuration.krb5Keytab,
                                                            krb5Principal: configuration.krb5Principal)
        // The nodes of a pair ask each other for their sync listener over this port, logged in by unix
        // (the sync channel itself is authenticated by the secret); a process that serves sss cannot be
        // an sss client of the library, so a pair offers unix (`unix * uid=nobody` in --idmap keeps
        // every other client to sss or krb5 in effect).
        let isPair = configuration.replication.master1 != nil && configuration.replication.master2 != nil
            && !ReplicationConfiguration.same(configuration.replication.master1!, configuration.replication.master2!)
        if isPair, authentication != nil, !configuration.authentication.contains("unix") {
            throw .security("--auth \(configuration.authentication.joined(separator: ",")): a master/slave pair needs unix among "
                            + "--auth (the nodes ask each other for the sync address as unix users); to admit only "
                            + "sss or krb5 clients, map unix to nobody in --idmap ('unix * uid=nobody')")
        }
        let declaredProtocol = configuration.authentication == ["none"] ? "none" : "unix"
        let tls = try configuration.tls.map { files throws(MGMError) in try ClientTLS.load(files) }
        // A slave is a replica: its logs are byte copies of its master's, written only by the follower.
        // The master log persists in the data directory and goes to the service log (`logger`) as well.
        let masterLog = MasterLogOptions(file: configuration.dataDirectory + "/" + NamespaceConfiguration.masterLogName,
                                         sink: MasterLogRouting.sink(to: logger))
        let namespaceConfiguration = NamespaceConfiguration(directory: configuration.dataDirectory,
                                                            durability: configuration.durability,
                                                            role: role.isMaster ? .masterReadWrite : .slaveReadOnly,
                                                            allowMissingLog: configuration.allowMissingLog, masterLog: masterLog)
        let namespace: Namespace
        do throws(NamespaceError) {
            namespace = try Namespace.boot(namespaceConfiguration)
        } catch {
            throw MGMError.boot(error, directory: configuration.dataDirectory)
        }
        // The persisted `ns compact` schedule resumes; it stays `blocked` unless this is a master.
        let scheduler = try? CompactionScheduler(namespace: namespace)
        scheduler?.start()
        let state = ServerState(configuration: configuration, namespace: namespace,
                                access: AccessControl(), masterLog: namespace.masterLog, compactionScheduler: scheduler,
                                identities: identities)
        FreshNamespaceOwner.adopt(namespace, role: role, logger: logger)
        if !identities.checksPermissions {
            logger.warning("--auth none: no permission checks are made; every request runs as the user the client declares (development only)")
        }
        let report = namespace.bootReport
        for warning in report.logWarnings { logger.warning("changelog: \(warning)") }

        let pool = NIOThreadPool(numberOfThreads: max(1, configuration.poolThreads))
        pool.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
        let tracker = InFlightTracker()
        let connections = ConnectionRegistry()
        let limits = configuration.connectionLimits
        let budget = RequestBufferBudget(limit: limits.serverWide)
        let metrics = configuration.metrics.map { _ in ServerMetrics(registry: PrometheusCollectorRegistry(), state: state) }
        let executor = RequestExecutor(state: state, logger: logger, metrics: metrics?.requests)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // An IPPROTO_TCP option: `.socketOption(.tcp_nodelay)` set SOL_SOCKET option 1, SO_DEBUG, which
            // only root may set; every connection to a server run by another user was closed at accept.
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let address = channel.remoteAddress?.ipAddress ?? "unknown"
                guard connections.add(channel, limit: limits.maximumConnections) else {
                    let message = "too many connections: this server serves at most \(limits.maximumConnections) "
                        + "(--max-connections); retry later"
                    logger.warning("refusing connection: \(limits.maximumConnections) connections open (--max-connections)",
                                   metadata: ["peer": "\(address)"])
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ConnectionRefuser(message: message, maximumPayload: limits.preLoginPayload))
                    }
                }
                return channel.eventLoop.makeCompletedFuture {
                    // One handler frames and answers (no decoder stage: each stage costs a type-erased hop per message).
                    let handler = ConnectionHandler(executor: executor, pool: pool, tracker: tracker, logger: logger,
                                                    address: address, limits: limits, budget: budget,
                                                    maximumQueued: configuration.maximumQueuedRequests,
                                                    maximumOpenFiles: configuration.maximumOpenFiles,
                                                    idleTimeout: configuration.idleTimeout,
                                                    readsInline: configuration.runsReadsInline,
                                                    mutationsInline: configuration.runsMutationsInline,
                                                    authentication: authentication, declaredProtocol: declaredProtocol,
                                                    tls: tls)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let channel: any Channel
        do {
            channel = try bootstrap.bind(host: configuration.host, port: configuration.port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            try? pool.syncShutdownGracefully()
            namespace.close()
            throw .bind("\(configuration.host):\(configuration.port): \(error)")
        }
        let port = channel.localAddress?.port ?? configuration.port
        let listen = Endpoint(host: configuration.host, port: port)
        state.listenAddress.withLock { $0 = listen.description }
        var metricsListener: MetricsListener?
        if let address = configuration.metrics, let metrics {
            do throws(MGMError) {
                metricsListener = try MetricsListener.start(address, logger: logger, scrape: metrics.scrape)
            } catch {
                try? channel.close().wait()
                try? group.syncShutdownGracefully()
                try? pool.syncShutdownGracefully()
                scheduler?.stop()
                namespace.close()
                throw error
            }
        }
        do throws(ReplicationError) {
            var replication = configuration.replication
            replication.dataDirectory = configuration.dataDirectory
            replication.listen = listen
            replication.syncReplication = replication.syncReplication ?? (configuration.durability == .always ? .required : .preferred)
            let node = try ReplicationNode.start(replication, namespace: namespace, access: state.access,
                                                 masterLog: namespace.masterLog, role: role)
            state.replicationNode.withLock { $0 = node }
        } catch {
            metricsListener?.close()
            try? channel.close().wait()
            try? group.syncShutdownGracefully()
            try? pool.syncShutdownGracefully()
            scheduler?.stop()
            namespace.close()
            throw .replication(error)
        }
        state.masterLog.append("booted namespace in \(configuration.dataDirectory): \(report.files) files, "
                               + "\(report.containers) directories in \(Int(report.seconds * 1000)) ms (role \(role.tagWord)); "
                               + "serving \(state.roleState.rawValue) on " + Endpoint(host: configuration.host, port: port).description)
        logger.info("listening", metadata: ["address": "\(configuration.host):\(port)",
                                            "durability": "\(configuration.durability.rawValue)",
                                            "auth": "\(configuration.authentication.joined(separator: ","))",
                                            "tls": "\(tls == nil ? "off" : "offered")"])
        let server = MGMServer(state: state, port: port, group: group, pool: pool, serverChannel: channel,
                               connections: connections, tracker: tracker, logger: logger)
        if let metrics, let metricsListener { server.metricsParts.withLock { $0 = (metrics, metricsListener) } }
        return server
    }

    /// Graceful shutdown: stop accepting, finish requests in flight, close connections, close the
    /// namespace. Idempotent; call it from outside the server's event loops.
    public func shutdown() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        logger.info("shutting down", metadata: ["connections": "\(connectionCount)"])
        try? serverChannel.close().wait()
        metricsParts.withLock { $0?.listener }?.close()
        if !tracker.waitUntilIdle(timeout: state.configuration.shutdownGrace) {
            logger.warning("requests still in flight after the grace period", metadata: ["count": "\(tracker.current)"])
        }
        let open = connections.all
        for channel in open { try? channel.close().wait() }
        try? group.syncShutdownGracefully()
        try? pool.syncShutdownGracefully()
        state.replication?.stop()
        state.compactionScheduler?.stop()
        state.masterLog.flush()
        namespace.close()
        logger.info("stopped: namespace closed")
    }
}

/// The open client connections, so shutdown can close them.
final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    var count: Int { channels.withLock { $0.count } }
    var all: [any Channel] { channels.withLock { Array($0.values) } }

    /// Registers `channel` unless `limit` connections are open already; false then (not registered).
    func add(_ channel: any Channel, limit: Int = .max) -> Bool {
        let key = ObjectIdentifier(channel)
        let admitted = channels.withLock { open -> Bool in
            guard open.count < limit else { return false }
            open[key] = channel
            return true
        }
        guard admitted else { return false }
        channel.closeFuture.whenComplete { _ in self.channels.withLock { _ = $0.removeValue(forKey: key) } }
        return true
    }
}
