import XRootD

/// What a master's acknowledgement promises about its slave (`--sync-replication`).
public enum SyncReplicationMode: String, Sendable, CaseIterable {
    /// A mutation is answered only once the slave holds it durably. With no slave in sync, writes
    /// stall (new ones are told to wait, with the reason) until one is, or an operator runs
    /// `ns master --sync preferred`.
    case required
    /// As `required` while the slave keeps up; a slave that does not acknowledge within
    /// `replicaAcknowledgementTimeout` makes the master *degrade* (persisted, logged, announced in
    /// heartbeats) and answer without it until the slave is in sync again.
    case preferred
    /// Never wait for the slave (asynchronous shipping).
    case off

    /// The byte on the wire (stable: never renumber).
    public var code: UInt8 {
        switch self {
        case .required: return 1
        case .preferred: return 2
        case .off: return 3
        }
    }

    public init?(code: UInt8) {
        guard let mode = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = mode
    }
}

/// How a node takes part in a master/slave pair (`beryl-mgm serve --master1 --master2 ...`).
public struct ReplicationConfiguration: Sendable {
    /// The data directory (role tag, logs).
    public var dataDirectory: String
    /// The `serve --config` file the server was started with, nil without one: the `config=` field of
    /// `ns` (the legacy MGM named its autoloaded configuration there).
    public var configFile: String? = nil
    /// This node's XRootD address: whichever of `master1`/`master2` equals it is this node.
    public var listen: Endpoint
    public var master1: Endpoint?
    public var master2: Endpoint?
    /// The sync listener (default: the listen host, port + 2, as 1096 beside 1094 in the legacy layout).
    public var syncListen: Endpoint?
    /// The shared secret (mode 0600); a pair refuses to start without one, a single master has no sync listener.
    public var secretFile: String?
    /// Seconds between supervisor probes (the legacy 1 Hz).
    public var supervisorInterval: Double
    /// How long a promotion waits for the follower to apply everything the old master wrote.
    public var catchUpTimeout: Double
    /// `--sync-replication`; nil: `required` under durability `always`, `preferred` otherwise (the
    /// server fills it in). Only a pair uses it: a single master has nobody to wait for.
    public var syncReplication: SyncReplicationMode?
    /// Under `preferred`: how long a mutation waits for the slave before the master degrades.
    public var replicaAcknowledgementTimeout: Double
    /// Under `required`: how long one mutation in flight waits for the slave before it is answered
    /// with an error (the change is on this master but unconfirmed; new writes are stalled meanwhile).
    public var requiredAcknowledgementLimit: Double
    /// Below this many free bytes on the data disk, mutations are refused with `kXR_NoSpace`
    /// (`--min-free`); nil: the smaller of 100 MiB and 5 % of the file system (`DiskSpace`).
    public var minimumFreeBytes: UInt64?
    /// Seconds between heartbeats of an idle sync stream.
    public var heartbeatInterval: Double
    /// The seconds a stalled write is told to wait.
    public var stallSeconds: Int
    /// `--coordinator`: elect the master through a lease in etcd (nil: manual role changes only).
    public var coordinator: CoordinatorConfiguration?

    public init(dataDirectory: String, listen: Endpoint, master1: Endpoint? = nil, master2: Endpoint? = nil,
                syncListen: Endpoint? = nil, secretFile: String? = nil, supervisorInterval: Double = 1.0,
                catchUpTimeout: Double = 60, syncReplication: SyncReplicationMode? = nil,
                replicaAcknowledgementTimeout: Double = 5, requiredAcknowledgementLimit: Double = 60,
                minimumFreeBytes: UInt64? = nil, heartbeatInterval: Double = 0.1, stallSeconds: Int = 60) {
        self.dataDirectory = dataDirectory
        self.listen = listen
        self.master1 = master1
        self.master2 = master2
        self.syncListen = syncListen
        self.secretFile = secretFile
        self.supervisorInterval = supervisorInterval
        self.catchUpTimeout = catchUpTimeout
        self.syncReplication = syncReplication
        self.replicaAcknowledgementTimeout = replicaAcknowledgementTimeout
        self.requiredAcknowledgementLimit = requiredAcknowledgementLimit
        self.minimumFreeBytes = minimumFreeBytes
        self.heartbeatInterval = heartbeatInterval
        self.stallSeconds = stallSeconds
    }

    /// Where the sync listener listens.
    public var syncEndpoint: Endpoint { syncListen ?? Endpoint(host: listen.host, port: listen.port + 2) }

    /// The other node of the pair; nil for a single master (no `--master1/--master2`, or both equal).
    public func remote() throws(ReplicationError) -> Endpoint? {
        guard let m1 = master1, let m2 = master2, !Self.same(m1, m2) else { return nil }
        if Self.same(m1, listen) { return m2 }
        if Self.same(m2, listen) { return m1 }
        throw .configuration("--listen \(listen) is neither --master1 \(m1) nor --master2 \(m2)")
    }

    /// Whether two endpoints name the same node (`localhost` and `127.0.0.1` count as one).
    public static func same(_ a: Endpoint, _ b: Endpoint) -> Bool {
        func normal(_ h: String) -> String { h == "localhost" ? "127.0.0.1" : h }
        return a.port == b.port && normal(a.host) == normal(b.host)
    }
}
