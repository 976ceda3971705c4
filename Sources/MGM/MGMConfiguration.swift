import Changelog
import Namespace
import Replication
import XRootD

/// Everything `beryl-mgm serve` is configured with.
public struct MGMConfiguration: Sendable {
    /// The directory holding `files.mdlog`, `directories.mdlog` and the role file.
    public var dataDirectory: String
    /// Address to listen on (an IP literal: 127.0.0.1 by default) and port (0: any free port).
    public var host: String
    public var port: Int
    public var durability: Durability
    /// nil: read the role from the data directory (a fresh directory is a slave). A master role
    /// (`masterReadWrite` or `masterReadOnly`) runs as a master tag, any other as a slave tag.
    public var role: Role?
    /// Client addresses, besides loopback ones, whose `root` logins may run admin commands.
    public var adminAllow: Set<String>
    /// The largest request payload accepted after login; a longer frame closes the connection.
    public var maximumPayload: Int
    /// The largest request payload accepted before login (a login needs a few hundred bytes); a
    /// longer frame closes the connection as soon as its header arrives.
    public var maximumPreLoginPayload: Int
    /// Request bytes one connection may hold (a partial frame and complete ones waiting) before it
    /// is no longer read until its queue drains (never less than one `maximumPayload` frame).
    public var maximumBufferedPerConnection: Int
    /// Request bytes all connections together may hold beyond 64 KiB each; a partial request that
    /// would pass it is refused with `kXR_Overloaded`, its payload skipped unbuffered.
    public var maximumBufferedTotal: Int
    /// Open connections (`--max-connections`); a further one is answered with `kXR_Overloaded`
    /// ("too many connections") and closed, and the service log says so.
    public var maximumConnections: Int
    /// Event-loop threads (network I/O) and pool threads (namespace calls, which may block on the logs).
    public var eventLoopThreads: Int
    public var poolThreads: Int
    /// Requests buffered per connection while one executes; beyond that the connection is not read.
    public var maximumQueuedRequests: Int
    /// Files (handles) one connection may hold open; a further open is refused with EMFILE
    /// (`kXR_FSError`, "too many open files") before it runs, so a client that never closes cannot grow
    /// the server without bound.
    public var maximumOpenFiles: Int
    /// A connection with no request arriving and none in progress for this long is closed (as the
    /// stock server's `xrd.timeout idle`); nil: never. Clients reconnect transparently.
    public var idleTimeout: Duration?
    /// How long a graceful shutdown waits for requests in flight.
    public var shutdownGrace: Duration
    /// Where namespace requests run (see `RequestPlacement`).
    public var placement: RequestPlacement
    /// Boot even when one log of the pair is missing or empty while the other holds records
    /// (`--allow-missing-log`; see `NamespaceConfiguration.allowMissingLog`).
    public var allowMissingLog = false
    /// The master/slave pair (`--master1`, `--master2`, `--sync-listen`, `--secret-file`); its data
    /// directory and listen address are filled in from this configuration at start.
    public var replication: ReplicationConfiguration
    /// Where `/metrics` is served in Prometheus text format (`--metrics`); nil: no metrics are kept.
    public var metrics: Endpoint? = nil
    /// Client authentication (`--auth`), in order of preference: `unix` (the declared name, default),
    /// `sss`, `krb5`, ..., or `none` alone (development: every request as the declared user, no checks).
    public var authentication: [String] = ["unix"]
    /// The sss keytab (`--keytab`), needed when `authentication` contains `sss`.
    public var keytab: String? = nil
    /// krb5's service keytab (`--krb5-keytab`; nil: /etc/krb5.keytab) and principal (`--krb5-principal`;
    /// nil: `xrootd/<host>`), used when `authentication` contains `krb5`.
    public var krb5Keytab: String? = nil
    public var krb5Principal: String? = nil
    /// TLS on the client port (`--tls-cert`, `--tls-key`: PEM files): offered to clients (`kXR_haveTLS`),
    /// switched to when they ask (`roots://`); nil: no TLS.
    public var tls: TLSFiles? = nil
    /// The identity map (`--idmap`): per protocol and name, the uid/gid/groups that override the system database.
    public var idmap: String? = nil

    public init(dataDirectory: String, host: String = "127.0.0.1", port: Int = 1094, durability: Durability = .batch,
                role: Role? = nil, adminAllow: Set<String> = [],
                maximumPayload: Int = XRootDProtocol.defaultMaximumPayload, maximumPreLoginPayload: Int = 8 << 10,
                maximumBufferedPerConnection: Int = 17 << 20, maximumBufferedTotal: Int = 256 << 20,
                maximumConnections: Int = 4096, eventLoopThreads: Int = 2,
                poolThreads: Int = 8, maximumQueuedRequests: Int = 16, maximumOpenFiles: Int = 16_384,
                idleTimeout: Duration? = .seconds(900), shutdownGrace: Duration = .seconds(10),
                placement: RequestPlacement = .automatic, replication: ReplicationConfiguration? = nil) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
        self.durability = durability
        self.role = role
        self.adminAllow = adminAllow
        self.maximumPayload = maximumPayload
        self.maximumPreLoginPayload = maximumPreLoginPayload
        self.maximumBufferedPerConnection = maximumBufferedPerConnection
        self.maximumBufferedTotal = maximumBufferedTotal
        self.maximumConnections = maximumConnections
        self.eventLoopThreads = eventLoopThreads
        self.poolThreads = poolThreads
        self.maximumQueuedRequests = maximumQueuedRequests
        self.maximumOpenFiles = maximumOpenFiles
        self.idleTimeout = idleTimeout
        self.shutdownGrace = shutdownGrace
        self.placement = placement
        self.replication = replication ?? ReplicationConfiguration(dataDirectory: dataDirectory,
                                                                   listen: Endpoint(host: host, port: port))
    }

    var connectionLimits: ConnectionLimits {
        ConnectionLimits(maximumConnections: maximumConnections, preLoginPayload: maximumPreLoginPayload,
                         maximumPayload: maximumPayload, perConnection: maximumBufferedPerConnection,
                         serverWide: maximumBufferedTotal)
    }

    /// True when namespace mutations (and admin opens) run on the event loop rather than the thread pool.
    var runsMutationsInline: Bool {
        switch placement {
        case .automatic: return durability == .none
        case .eventLoop: return true
        case .threadPool: return false
        }
    }

    /// True when reads (stat, dirlist, query, locate) run on the event loop: they take the namespace's
    /// read lock, which no mutation holds while it waits for the disk.
    var runsReadsInline: Bool { placement != .threadPool }
}

/// Where a connection's namespace requests execute.
public enum RequestPlacement: String, Sendable, CaseIterable {
    /// Reads on the event loop; mutations there too when durability is `none` (no namespace call then
    /// waits for the disk: an append is a copy into the mapped log), on the thread pool otherwise.
    case automatic
    /// Always on the event loop (no thread hop; a call waiting for an fdatasync stalls the loop's connections).
    case eventLoop
    /// Always on the thread pool (a call waiting for the log never stalls the loop; concurrent
    /// mutations from different connections can share one group commit).
    case threadPool
}

/// The software version answered to `kXR_Qconfig version`.
public enum MGMVersion {
    public static let string = "beryl-0.6.0"
}
