import ArgumentParser
import Changelog
import Dispatch
import Glibc
import Logging
import Metrics
import MGM
import Namespace
import Prometheus
import Replication
import XRootD
import Platform

/// `beryl-mgm`: the MGM server, and the role tag of its data directory.
@main
struct BerylMGM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beryl-mgm",
        abstract: "The Beryl MGM: the namespace of a data directory served over the XRootD protocol.",
        subcommands: [Serve.self, Tag.self])

    /// `serve --config FILE` is expanded into the file's options before parsing (command-line
    /// options win), so ArgumentParser checks a file's values exactly as it checks the command line's.
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "serve" {
            do throws(ConfigFile.Failure) {
                arguments = ["serve"] + (try ConfigFile.expand(Array(arguments.dropFirst()), known: Serve.configKeys,
                                                               read: ConfigFile.text(of:)))
            } catch {
                exit(withError: error)
            }
        }
        main(arguments)
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Boot the namespace of --data and serve it until SIGTERM or SIGINT.",
        discussion: """
            A master serves read-write, a slave read-only (see `beryl-mgm tag`): --data must exist and be \
            tagged. Every request is checked against the mode bits and ACLs of the entries it touches, as \
            the identity its login name maps to (--idmap, then the system user database; docs/SECURITY.md). \
            Admin commands (/proc/admin/?mgm.cmd=...) need uid 0, authenticated (sss, krb5) or from loopback \
            or an --admin-allow address. The master log (`ns master`) is kept in <data>/master.log and also written \
            to this log (stderr).

            Exit status: 0 after a graceful stop (SIGTERM or SIGINT); 1 when the server cannot start (the \
            data directory does not exist, was never tagged or is in use; one log of the pair is missing \
            or empty while the other holds records; a log does not boot; the address cannot be bound; \
            replication cannot start), with one line saying why; 64 for a usage error.
            """)

    @Option(help: "A file of `key = value` lines setting any of these options (key: the option without --); an option on the command line replaces the file's.")
    var config: String?
    @Option(help: "Data directory (files.mdlog, directories.mdlog, beryl.role).") var data: String
    @Option(help: "Address and port to listen on (IP:PORT).") var listen = "127.0.0.1:1094"
    @Option(help: "When a mutation is answered: none, batch (group commit) or always.") var durability = "batch"
    @Option(name: .customLong("admin-allow"), parsing: .upToNextOption,
            help: "Client addresses, besides loopback, allowed to run admin commands as root.")
    var adminAllow: [String] = []
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"
    @Option(help: "The first MGM of a master/slave pair (HOST:PORT). This node is whichever of --master1/--master2 equals --listen.")
    var master1: String?
    @Option(help: "The second MGM of the pair. Equal to --master1 (or absent): a single master with no supervisor.")
    var master2: String?
    @Option(name: .customLong("sync-listen"), help: "Address of the changelog sync listener (default: the listen port + 2).")
    var syncListen: String?
    @Option(name: .customLong("secret-file"), help: "Shared secret of the pair (a file of mode 0600) for the sync handshake.")
    var secretFile: String?
    @Option(name: .customLong("sync-replication"),
            help: "What a pair's master waits for before answering a mutation: required (the slave holds it), preferred (as required, degrading after 5 s without the slave), off. Default: required under --durability always, preferred otherwise.")
    var syncReplication: String?
    @Option(help: ArgumentHelp("Elect the master of the pair through a lease in etcd: etcd://HOST:PORT[,HOST:PORT...] (the etcd members' client addresses).",
                               discussion: "Without it, roles change only by `ns master` (docs/REPLICATION.md)."))
    var coordinator: String?
    @Option(name: .customLong("coordinator-prefix"), help: "The etcd key prefix of this pair (default: /beryl/<master1>,<master2>).")
    var coordinatorPrefix: String?
    @Option(name: .customLong("coordinator-ttl"),
            help: ArgumentHelp("The lease's TTL in seconds (at least 2), renewed every TTL/3.", valueName: "seconds"))
    var coordinatorTtl: Int64 = 3
    @Option(name: .customLong("max-connections"),
            help: "Open client connections at most; a further one is refused with an error (kXR_Overloaded) and closed.")
    var maxConnections = 4096
    @Option(name: .customLong("min-free"),
            help: ArgumentHelp("Free bytes the data disk keeps: below, mutations are refused with kXR_NoSpace (reads go on).",
                               discussion: "Default: the smaller of 100 MiB and 5 % of the data file system."))
    var minFree: UInt64?
    @Flag(name: .customLong("allow-missing-log"),
          help: "Boot even when one log of the pair is missing or empty while the other holds records (its entries move to /lost+found).")
    var allowMissingLog = false
    @Option(name: .customLong("event-loops"),
            help: "Event-loop threads for client connections (network I/O, reads, and mutations under --durability none).")
    var eventLoops = 2
    @Option(help: "Serve Prometheus metrics at http://IP:PORT/metrics (e.g. 127.0.0.1:9094). Default: no metrics.")
    var metrics: String?
    @Option(help: "Identity map: lines `<protocol|*> <name|*> uid=<uid|user> [gid=<gid|group>] [groups=<g>,...]` that map login names to ids before the system user database (docs/SECURITY.md).")
    var idmap: String?
    @OptionGroup var security: SecurityOptions

    func run() throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let mode = Durability(rawValue: durability) else {
            throw ValidationError("--durability must be none, batch or always")
        }
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port) else {
            throw ValidationError("--listen must be IP:PORT, e.g. 127.0.0.1:1094")
        }
        let host = String(listen[..<colon]).trimmingCharacters(in: "[]")
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "beryl.mgm")
        do {
            try DataDirectory.checkServable(data)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        func endpoint(_ text: String?, _ option: String) throws -> Endpoint? {
            guard let text else { return nil }
            guard let e = Endpoint(parsing: text) else { throw ValidationError("\(option) must be HOST:PORT") }
            return e
        }
        var syncMode: SyncReplicationMode?
        if let syncReplication {
            guard let mode = SyncReplicationMode(rawValue: syncReplication) else {
                throw ValidationError("--sync-replication must be required, preferred or off")
            }
            syncMode = mode
        }
        var replication = ReplicationConfiguration(dataDirectory: data, listen: Endpoint(host: host, port: port),
                                                   master1: try endpoint(master1, "--master1"),
                                                   master2: try endpoint(master2, "--master2"),
                                                   syncListen: try endpoint(syncListen, "--sync-listen"), secretFile: secretFile,
                                                   minimumFreeBytes: minFree)
        replication.syncReplication = syncMode
        replication.configFile = config
        if let coordinator {
            guard let m1 = replication.master1, let m2 = replication.master2 else {
                throw ValidationError("--coordinator elects the master of a pair: it needs --master1 and --master2")
            }
            do {
                replication.coordinator = try CoordinatorConfiguration(url: coordinator, prefix: coordinatorPrefix,
                                                                       ttl: coordinatorTtl, masters: (m1, m2))
            } catch {
                throw ValidationError("\(error)")
            }
        }
        var configuration = MGMConfiguration(dataDirectory: data, host: host, port: port, durability: mode,
                                             adminAllow: Set(adminAllow), maximumConnections: maxConnections,
                                             replication: replication)
        configuration.allowMissingLog = allowMissingLog
        configuration.idmap = idmap
        guard (1...64).contains(eventLoops) else { throw ValidationError("--event-loops must be 1 to 64") }
        configuration.eventLoopThreads = eventLoops
        try security.apply(to: &configuration)
        if let metrics {
            guard let address = Endpoint(parsing: metrics), metrics.hasSuffix(":\(address.port)") else {
                throw ValidationError("--metrics must be IP:PORT, e.g. 127.0.0.1:9094")
            }
            configuration.metrics = address
        }
        let server: MGMServer
        do {
            server = try MGMServer.start(configuration, logger: logger)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        if let registry = server.metrics?.registry {
            // swift-metrics instruments (of any dependency) report through the same endpoint.
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        }
        Self.notifySystemd("READY=1\nSTATUS=serving \(server.endpoint) as \(RoleFile.read(in: data).rawValue)\nMAINPID=\(getpid())",
                           logger)
        Self.waitForTermination()
        Self.notifySystemd("STOPPING=1\nSTATUS=stopping: finishing requests in flight", logger)
        server.shutdown()
    }

    /// Tells systemd (`Type=notify`, `$NOTIFY_SOCKET`) about the service's state; nothing without the variable.
    static func notifySystemd(_ state: String, _ logger: Logger) {
        do throws(ServiceNotifier.Failure) {
            if try ServiceNotifier.notify(state) { logger.debug("sd_notify", metadata: ["state": "\(state)"]) }
        } catch {
            logger.warning("\(error)")
        }
    }

    /// Blocks until SIGTERM or SIGINT.
    static func waitForTermination() {
        let done = DispatchSemaphore(value: 0)
        var sources: [any DispatchSourceSignal] = []
        for signal in [SIGTERM, SIGINT] {
            Glibc.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler { done.signal() }
            source.resume()
            sources.append(source)
        }
        done.wait()
        for source in sources { source.cancel() }
    }
}

struct Tag: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mark the role of a data directory: master (read-write) or slave (read-only).",
        discussion: """
            Creates the directory if its parent exists (only the last path component) and writes \
            <data>/beryl.role, keeping its epoch. A directory whose server is running is refused: a running \
            pair changes roles with `ns master`.

            Exit status: 0 when the tag was written; 1 when it was refused (the parent does not exist, the \
            path is not a directory, a running server holds the directory, the tag cannot be written), with \
            one line saying why; 64 for a usage error.
            """)

    @Argument(help: "master or slave.") var role: String
    @Option(help: "Data directory.") var data: String

    func run() throws {
        guard let value = Role(tagWord: role) else { throw ValidationError("the role must be master or slave") }
        do {
            try DataDirectory.withTaggable(data) {
                // An untagged directory serves as a slave; say that it was untagged, not "slave".
                let tagged = FileSystem.exists(RoleFile.path(in: data))
                let before = RoleFile.read(in: data)
                try RoleFile.write(value, in: data)
                print("\(data): \(tagged ? before.tagWord : "untagged (a slave)") -> \(value.tagWord)")
            }
        } catch {
            var standardError = StandardError()
            print("beryl-mgm tag: \(error)", to: &standardError)
            throw ExitCode(1)
        }
    }
}

extension Serve {
    /// The keys a `--config` file may set: every option and flag of `serve` but `--config`, named as
    /// on the command line (the property's name in kebab case, which is how every long name here is
    /// spelled), with its kind from its property wrapper. (ArgumentParser's usage line, which listed
    /// them, collapses to `[<options>]` once a command has many options.) `ServiceTests` checks these
    /// keys against `serve --help`.
    static var configKeys: [String: ConfigFile.Kind] {
        // The option groups' options are keys too (their wrapped values cannot be reflected before parsing).
        keys(of: Serve()).merging(keys(of: SecurityOptions())) { first, _ in first }
    }

    private static func keys(of options: Any) -> [String: ConfigFile.Kind] {
        var keys: [String: ConfigFile.Kind] = [:]
        for child in Mirror(reflecting: options).children {
            guard let label = child.label, label.hasPrefix("_") else { continue }
            guard !String(describing: type(of: child.value)).hasPrefix("OptionGroup") else { continue }
            var name = ""
            for character in label.dropFirst() {
                if character.isUppercase { name += "-" + character.lowercased() } else { name.append(character) }
            }
            guard name != "config" else { continue }
            let wrapper = String(describing: type(of: child.value))
            keys[name] = wrapper.hasPrefix("Flag") ? .flag : wrapper.contains("Array<") ? .list : .single
        }
        return keys
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
