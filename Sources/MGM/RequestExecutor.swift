import Glibc
import Logging
import Namespace
import Replication
import XRootD

/// What executing one request produced, handed back to its connection.
enum Execution: Sendable {
    /// The answer: zero or more `okSoFar` bodies, then one final body.
    case responses([ResponseBody])
    /// A stat answer, formatted by the connection straight into its outbound buffer.
    case stat(StatInfo)
    /// A listing's bodies back to back in one array (`ends`: where each body ends): `kXR_oksofar` for
    /// all but the last, `kXR_ok` for the last; the connection frames them into one buffer.
    case parts(bytes: [UInt8], ends: [Int])
    /// An open succeeded: the connection assigns the handle and answers.
    case opened(OpenedFile, stat: StatInfo?)

    static func ok(_ body: [UInt8] = []) -> Execution { .responses([.ok(body)]) }
    static func error(_ code: XRootDErrorCode, _ message: String) -> Execution {
        .responses([.error(ServerError(code: code, message: message))])
    }

    var isError: Bool {
        if case .responses(let bodies) = self, case .error? = bodies.last { return true }
        return false
    }

    var isNotFound: Bool {
        if case .responses(let bodies) = self, case .error(let error)? = bodies.last { return error.code == .notFound }
        return false
    }
}

/// A file open on one connection.
enum OpenedFile: Sendable {
    /// The output of an admin command, read back by the client.
    case admin([UInt8])
    /// A namespace entry: metadata only, no data is stored. `writable`: opened for writing (writes are refused).
    /// `created`: the file this handle's open created (a refused upload removes it while it is empty).
    case metadata(path: String, size: Int64, writable: Bool, created: FileID? = nil)
}

/// Executes the namespace requests of the subset against the server state: access rules first,
/// then the operation. Runs on the server's thread pool (namespace calls may block on the logs).
struct RequestExecutor: Sendable {
    let state: ServerState
    var logger = Logger(label: "beryl.mgm")
    /// The request-path metrics (nil without `--metrics`).
    var metrics: RequestMetrics? = nil

    var namespace: Namespace { state.namespace }

    func execute(_ request: XRootDRequest, client: ClientIdentity, as identity: VirtualIdentity) -> Execution {
        if let refusal = Self.relativePathRefusal(request) { return refusal }
        let governed = Self.isGovernedByAccessRules(request)
        if request.isMutation, state.replication == nil {
            // The port answers before the replication node has decided whether this node may write
            // (a stale or fenced master must not take a write in that window).
            return .responses([.wait(Wait(seconds: 1, message: "the server is starting; retry in 1 s"))])
        }
        if request.isMutation, let stall = state.replication?.writeStall {
            // The pair's own reason (safe start, fence, no slave under `required`) before any rule.
            return .responses([.wait(Wait(seconds: Int32(clamping: stall.seconds), message: stall.reason))])
        }
        if governed {
            let rules = state.access.rules
            switch rules.decision(isWrite: request.isMutation) {
            case .stall(let seconds, let rule)?:
                return .responses([.wait(Wait(seconds: Int32(clamping: seconds),
                                              message: "request stalled by access rule \(rule.rawValue); retry in \(seconds) s"))])
            case .redirect(let target, _)?:
                return .responses([.redirect(Redirect(host: target.host, port: Int32(target.port)))])
            case nil:
                break
            }
            if request.isMutation, let space = state.access.diskShortage {
                // Refused before it runs: nothing is written while the data disk is below --min-free.
                return .error(.noSpace, "Unable to \(Self.action(request)); no space left on device: the data disk has "
                              + "\(space.free) bytes free, below the minimum of \(space.minimum) bytes (--min-free); "
                              + "writes are refused until space returns, reads go on")
            }
        }
        let walk: PathAccess?
        switch authorize(request, as: identity) {
        case .refused(let refusal): return refusal
        case .allowed(let walked): walk = walked
        }
        let result = perform(request, client: client, identity: identity, walk: walk)
        if request.isMutation, !result.isError, let node = state.replication, let refusal = node.awaitReplication() {
            // `--sync-replication`: answered only once the slave holds the change (or as the mode allows).
            logger.warning("mutation not acknowledged", metadata: ["reason": "\(refusal)"])
            return .error(.serverError, refusal)
        }
        if governed, result.isNotFound, let target = state.access.rules.redirects[.notFound] {
            return .responses([.redirect(Redirect(host: target.host, port: Int32(target.port)))])
        }
        return result
    }

    /// `kXR_locate`: the location when `path` exists (or is empty or "/"), else ENOENT; governed by the
    /// read rules like a stat.
    func locate(_ path: String, location: String, client: ClientIdentity, as identity: VirtualIdentity) -> Execution {
        if !path.isEmpty, let refusal = Self.relativePathRefusal(path, verb: "Locating") { return refusal }
        let plainPath = Self.plain(path)
        let probe = XRootDRequest.stat(StatRequest(path: plainPath.isEmpty ? "/" : plainPath))
        switch execute(probe, client: client, as: identity) {
        case .responses(let bodies):
            if case .ok? = bodies.last { return .ok(Array(location.utf8) + [0]) }
            return .responses(bodies)
        case .stat, .parts:
            return .ok(Array(location.utf8) + [0])
        case .opened:
            return .error(.serverError, "locate: unexpected open")
        }
    }

    /// The stock server's `rpCheck`: a path that is relative or has a `..` component is refused with
    /// `kXR_NotAuthorized`, "<verb> relative path '<path>' is disallowed.", before anything else
    /// (access rules included). A handle stat (empty path) has no path to check.
    static func relativePathRefusal(_ request: XRootDRequest) -> Execution? {
        switch request {
        case .stat(let r): return r.path.isEmpty ? nil : relativePathRefusal(r.path, verb: "Stating")
        case .dirlist(let r): return relativePathRefusal(r.path, verb: "Listing")
        case .mkdir(let r): return relativePathRefusal(r.path, verb: "Creating")
        case .rmdir(let path), .rm(let path): return relativePathRefusal(path, verb: "Removing")
        case .mv(let r):
            return relativePathRefusal(r.source, verb: "Renaming") ?? relativePathRefusal(r.destination, verb: "Renaming to")
        case .chmod(let r): return relativePathRefusal(r.path, verb: "Modifying")
        case .fattr(let r): return r.path.isEmpty ? nil : relativePathRefusal(r.path, verb: "Modifying")
        case .data(let r): return r.path.isEmpty ? nil : relativePathRefusal(r.path, verb: "Truncating")
        case .open(let r): return relativePathRefusal(r.path, verb: "Opening")
        default: return nil
        }
    }

    static func relativePathRefusal(_ path: String, verb: String) -> Execution? {
        // As rpCheck: a relative path is quoted whole; a `..` is looked for (and quoted) without the opaque.
        guard path.utf8.first == UInt8(ascii: "/") else {
            return .error(.notAuthorized, "\(verb) relative path '\(path)' is disallowed.")
        }
        guard hasParentComponent(path) else { return nil }
        return .error(.notAuthorized, "\(verb) relative path '\(plain(path))' is disallowed.")
    }

    /// Whether the path before its opaque (`?...`) has a `..` component; one pass over the bytes
    /// (splitting into substrings cost more than the namespace lookup of a stat).
    static func hasParentComponent(_ path: String) -> Bool {
        var length = 0  // bytes of the current component, and how many of them are dots
        var dots = 0
        for byte in path.utf8 {
            if byte == UInt8(ascii: "?") { break }
            if byte == UInt8(ascii: "/") {
                if length == 2 && dots == 2 { return true }
                length = 0
                dots = 0
            } else {
                length += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return length == 2 && dots == 2
    }

    /// Namespace requests are; admin opens, session requests and handle operations are not (an admin
    /// must be able to remove a `*` stall).
    static func isGovernedByAccessRules(_ request: XRootDRequest) -> Bool {
        switch request {
        case .stat(let r): return !r.path.isEmpty
        case .dirlist, .mkdir, .rmdir, .rm, .mv, .chmod, .query, .fattr: return true
        case .data(let r): return !r.path.isEmpty
        case .open(let r): return !AdminRequest.isAdminPath(r.path)
        default: return false
        }
    }

    private func perform(_ request: XRootDRequest, client: ClientIdentity, identity: VirtualIdentity,
                         walk: PathAccess?) -> Execution {
        do throws(NamespaceError) {
            switch request {
            case .stat(let r):
                if r.options.contains(.fileSystem) { return .ok(SpaceReport(directory: state.configuration.dataDirectory).vfsStatBody()) }
                if let attributes = walk?.attributes { return .stat(StatMapping.stat(attributes)) }
                return try .stat(StatMapping.stat(namespace.attributes(at: Self.plain(r.path))))
            case .dirlist(let r):
                return try dirlist(r)
            case .mkdir(let r):
                let owner = Self.newEntryOwner(identity, parent: walk?.parent)
                let mode = 0o040000 | UInt32(r.mode.rawValue & 0o7777) | 0o700 | (owner.setgid ? 0o2000 : 0)
                let attributes = CreationAttributes(uid: owner.uid, gid: owner.gid, mode: mode)
                try namespace.createContainer(Self.plain(r.path), attributes: attributes,
                                              missingParents: r.options.contains(.makePath) ? .create : .fail)
                return .ok()
            case .rmdir(let path):
                try namespace.removeContainer(Self.plain(path))
                return .ok()
            case .rm(let path):
                try namespace.removeFile(Self.plain(path))
                return .ok()
            case .mv(let r):
                try namespace.rename(Self.plain(r.source), to: Self.plain(r.destination))
                return .ok()
            case .chmod(let r):
                try chmod(Self.plain(r.path), permissions: UInt32(r.mode.rawValue & 0o7777))
                return .ok()
            case .query(let r):
                return query(r)
            case .open(let r):
                if AdminRequest.isAdminPath(r.path) { return admin(r, client: client, identity: identity) }
                let owner = Self.newEntryOwner(identity, parent: walk?.parent)
                return try FileOpening(namespace: namespace).open(r, owner: (owner.uid, owner.gid))
            case .fattr(let r):
                return try attributes(r, identity: identity)
            case .data(let r) where !r.path.isEmpty:
                return try truncate(r)
            case .prepare(let r):
                return prepare(r)
            case .set(let r):
                return set(r)
            default:
                return .error(.unsupported, "\(request.requestID.name) is not supported by this server")
            }
        } catch {
            guard case .log(let failure) = error else { return .responses([.error(Self.serverError(error, request: request))]) }
            // A changelog write or sync failed (nothing changed), or an earlier one poisoned the log.
            let poisoned = namespace.logWriteFailure != nil
            if failure.code != .poisoned {
                logger.error("changelog write failed: \(failure)", metadata: [
                    "request": "\(request.requestID.name)",
                    "consequence": "\(poisoned ? "the log refuses writes until beryl-mgm is restarted" : "this request only")",
                ])
            }
            return .responses([.error(Self.serverError(error, request: request, logRefusesWrites: poisoned))])
        }
    }

    // MARK: Operations

    private func dirlist(_ r: DirlistRequest) throws(NamespaceError) -> Execution {
        let path = Self.plain(r.path)
        let withStat = r.options.contains(.withStat) || r.options.contains(.withChecksum)
        guard withStat else { return try plainListing(path) }
        let children = try namespace.list(path)
        var entries: [XRootD.DirectoryEntry] = []
        entries.reserveCapacity(children.count)
        for child in children {
            var stat: StatInfo?
            if withStat {
                if child.kind == .container, let c = namespace.container(ContainerID(child.id)) {
                    stat = StatMapping.stat(container: c)
                } else if child.kind != .container, let f = namespace.file(FileID(child.id)) {
                    stat = StatMapping.stat(file: f)
                } else {
                    continue  // removed between the listing and its stat
                }
            }
            let checksum = r.options.contains(.withChecksum) ? listingChecksum(isContainer: child.kind == .container, id: child.id) : nil
            entries.append(XRootD.DirectoryEntry(name: child.name, stat: stat, checksum: checksum))
        }
        let bodies = DirectoryListing(entries: entries).encodeBodies(options: r.options,
                                                                     maximumBodyLength: withStat ? 8192 : 4096)
        return .responses(bodies.enumerated().map { index, body in index == bodies.count - 1 ? .ok(body) : .okSoFar(body) })
    }

    /// A plain listing straight from the namespace into wire bodies: names separated by "\n", at most
    /// 4 KiB per `kXR_oksofar` part (ending at an entry boundary), the last part ending with a NUL. All
    /// parts go into one array (no array per part), framed by the connection into one buffer.
    private func plainListing(_ path: String) throws(NamespaceError) -> Execution {
        let limit = 4096
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 * limit)
        var ends: [Int] = []
        var start = 0
        try namespace.forEachEntryName(in: path) { name, _ in
            if bytes.count > start, bytes.count - start + name.count + 1 > limit {
                ends.append(bytes.count)
                start = bytes.count
            }
            bytes.append(contentsOf: name)
            bytes.append(0x0A)
        }
        if bytes.count > start { bytes[bytes.count - 1] = 0 }
        ends.append(bytes.count)
        return .parts(bytes: bytes, ends: ends)
    }

    private func chmod(_ path: String, permissions: UInt32) throws(NamespaceError) {
        // The mode and a new ctime in one record, as chmod(2) and the EOS MGM.
        let now = Timestamp.now()
        switch try namespace.stat(path) {
        case .file(let f):
            try namespace.updateFile(f.id) { m in
                m.mode = (m.mode & ~0o7777) | permissions
                m.ctime = now
            }
        case .container(let c):
            // kXR_chmod carries only the 0o777 bits: a directory keeps its setgid bit (as GNU chmod keeps it).
            try namespace.updateContainer(c.id) { m in
                m.mode = (m.mode & ~0o7777) | permissions | (m.mode & 0o2000)
                m.ctime = now
            }
        }
    }

    private func query(_ r: QueryRequest) -> Execution {
        switch r.kind {
        case .config:
            // One line per key; unknown keys are echoed back, as the stock server does.
            let keys = r.arguments.split(whereSeparator: { $0 == " " || $0 == "\n" })
            let lines = keys.map { key -> String in
                switch key {
                case "version": return MGMVersion.string
                case "role": return (state.roleState == .masterReadWrite ? Role.masterReadWrite : .slaveReadOnly).tagWord
                case "state": return state.roleState.rawValue
                case "epoch": return "\(state.replication?.currentEpoch ?? 0)"
                case "sync": return state.replication?.syncEndpoint.description ?? ""
                default: return String(key)
                }
            }
            return .ok(Array(lines.map { $0 + "\n" }.joined().utf8))
        case .space:
            return .ok(SpaceReport(directory: state.configuration.dataDirectory).querySpaceBody())
        default:
            return surfaceQuery(r)
        }
    }

    private func admin(_ r: OpenRequest, client: ClientIdentity, identity: VirtualIdentity) -> Execution {
        guard Permission.mayAdminister(client, identity, allowing: state.configuration.adminAllow) else {
            logger.notice("admin command refused", metadata: ["user": "\(client.user)", "identity": "\(identity)",
                                                             "protocol": "\(client.protocolName)"])
            return .error(.notAuthorized, "admin commands need uid 0, authenticated (sss, krb5) or from loopback or an "
                          + "--admin-allow address (you are '\(client.user)', uid \(identity.uid), by \(client.protocolName) "
                          + "from \(client.address))")
        }
        guard !r.options.isWrite else { return .error(.notAuthorized, "admin paths are read-only") }
        guard let command = AdminRequest(path: r.path) else {
            return .error(.argMissing, "no admin command: open /proc/admin/?mgm.cmd=<command>&...")
        }
        if command.words.starts(with: ["ns", "master"]), state.replication == nil {
            // The port answers before the replication node exists: a role change waits for it, as mutations do.
            return .responses([.wait(Wait(seconds: 1, message: "the server is starting; retry in 1 s"))])
        }
        let output = Array(AdminCommands(state: state, logger: logger).run(command).encoded().utf8)
        let stat = r.options.contains(.returnStat)
            ? StatInfo(id: 0, size: Int64(output.count), flags: [.readable], modificationTime: Int64(time(nil))) : nil
        return .opened(.admin(output), stat: stat)
    }

    // MARK: Helpers

    /// The path without its opaque (`?key=value...`) part: up to the first `?` byte, as the stock
    /// server cuts its C strings (and without walking grapheme clusters).
    static func plain(_ path: String) -> String {
        guard let question = path.utf8.firstIndex(of: UInt8(ascii: "?")) else { return path }
        return String(path[..<question])
    }

    /// The stock server's error text (`XrdOfs`): "Unable to <action> <path>; <strerror in lower case>",
    /// so that stock clients print the same and recognise ENOTEMPTY and ENOTDIR behind `kXR_FSError`.
    /// The actions are the stock server's words: a stat is "locate", a mv names only its source, an
    /// open that may create is "create" (checked by Tests/Differential). When the changelog refuses writes
    /// (`logRefusesWrites`: a write or sync failed, see `Namespace.logWriteFailure`) the text says so and
    /// what the operator does: restart the server.
    static func serverError(_ error: NamespaceError, request: XRootDRequest, logRefusesWrites: Bool = false) -> ServerError {
        let code = error.errno
        var text = String(cString: strerror(code)).lowercased()
        if logRefusesWrites {
            text += " (the namespace changelog refuses writes since a write or sync failed; restart the server)"
        }
        return ServerError(code: XRootDErrorCode(errno: code), message: "Unable to \(action(request)); \(text)")
    }

    /// What a refused request was doing, as the stock server's messages say it (`mkdir /a`, `create /f`).
    static func action(_ request: XRootDRequest) -> String {
        let action: String
        switch request {
        case .stat(let r): action = "locate \(plain(r.path))"
        case .dirlist(let r): action = "open directory \(plain(r.path))"
        case .mkdir(let r): action = "mkdir \(plain(r.path))"
        case .rmdir(let path): action = "remove \(plain(path))"
        case .rm(let path): action = "remove \(plain(path))"
        case .mv(let r): action = "rename \(plain(r.source))"
        case .chmod(let r): action = "change \(plain(r.path))"
        case .fattr(let r): action = "\(r.kind == .list ? "list fattrs" : "change fattrs of") \(plain(r.path))"
        case .data(let r): action = "truncate \(plain(r.path))"
        case .open(let r):
            let creates = r.options.contains(.new) || r.options.contains(.delete)
            action = (creates ? "create " : "open ") + plain(r.path)
        default: action = request.requestID.name
        }
        return action
    }
}
