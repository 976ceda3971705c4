import Glibc
import Namespace
import XRootD

/// The `kXR_query` kinds beyond config and space: checksums from the namespace, the stock server's
/// `statxa` answer, its XML statistics with Beryl's figures, and the stock answers for prepare ids and visas.
extension RequestExecutor {
    func surfaceQuery(_ r: QueryRequest) -> Execution {
        switch r.kind {
        case .checksum, .checksumScan:
            // No file data here, so a scan has nothing else to read: both answer the stored checksum.
            return checksum(Self.plain(r.arguments))
        case .extendedAttributes:
            return statxa(Self.plain(r.arguments))
        case .statistics:
            return .ok(statistics(selecting: r.arguments))
        case .prepare:
            return .error(.argInvalid, "Prepare requestid owned by an unknown server")
        case .visa:
            return .error(.argInvalid, "Invalid information query type code")
        default:
            return .error(.unsupported, "kXR_query type \(r.kind.rawValue) is not supported by this server")
        }
    }

    /// `<type> <hex>` and a NUL, as the stock server answers (`adler32 0fc80271`): the type named by the
    /// file's layout id, the value stored in the namespace.
    func checksum(_ path: String) -> Execution {
        let entry: NamespaceEntry
        do throws(NamespaceError) {
            entry = try namespace.stat(path)
        } catch {
            return .responses([.error(ServerError(code: XRootDErrorCode(errno: error.errno),
                                                  message: "Unable to checksum \(path); \(String(cString: strerror(error.errno)).lowercased())"))])
        }
        guard case .file(let f) = entry else {
            return .error(.isDirectory, "Unable to checksum \(path); is a directory")
        }
        let type = LayoutID(f.layoutID).checksumType
        guard type != .none, let hex = LayoutID.checksumHex(f.checksum, type: type) else {
            // The stock server's answer when it has no checksum to give.
            return .error(.unsupported, "query chksum is not supported for \(path): it has no stored checksum "
                          + "(layout \(LayoutID(f.layoutID).hex), checksum \(f.checksum.isEmpty ? "empty" : type.name))")
        }
        return .ok(Array("\(type.name) \(hex)".utf8) + [0])
    }

    /// An entry's checksum in a `kXR_dcksm` listing: `adler32:0fc80271`; `<type>:none` for a file
    /// without one and for a directory (adler32, EOS's default type, when the layout names none).
    func listingChecksum(isContainer: Bool, id: UInt64) -> String {
        guard !isContainer, let f = namespace.file(FileID(id)) else { return "adler32:none" }
        let type = LayoutID(f.layoutID).checksumType
        guard type != .none else { return "adler32:none" }
        return "\(type.name):\(LayoutID.checksumHex(f.checksum, type: type) ?? "none")"
    }

    /// The stock server's `kXR_Qxattr` answer (its `statxa`): the entry's type, size, times and
    /// whether the file system takes writes (`oss.fs=w`, `r` on a read-only node), as CGI text.
    func statxa(_ path: String) -> Execution {
        let entry: NamespaceEntry
        do throws(NamespaceError) {
            entry = try namespace.stat(path)
        } catch {
            return .responses([.error(ServerError(code: XRootDErrorCode(errno: error.errno),
                                                  message: "Unable to statxa \(path); \(String(cString: strerror(error.errno)).lowercased())"))])
        }
        let (type, used, mtime, ctime): (String, UInt64, Int64, Int64)
        switch entry {
        case .file(let f): (type, used, mtime, ctime) = ("f", f.size, f.mtime.seconds, f.ctime.seconds)
        case .container(let c): (type, used, mtime, ctime) = ("d", 4096, c.mtime.seconds, c.ctime.seconds)
        }
        let writable = state.roleState == .masterReadWrite ? "w" : "r"
        let text = "oss.cgroup=public&oss.type=\(type)&oss.used=\(used)&oss.mt=\(mtime)&oss.ct=\(ctime)"
            + "&oss.at=\(mtime)&oss.u=*&oss.g=*&oss.fs=\(writable)&ofs.ap=a"
        return .ok(Array(text.utf8) + [0])
    }

    /// The stock server's `<statistics>` document for the sections named by the letters of
    /// `selection` (`a` all; `i` info, `l` link, `p` protocol requests, `u` process CPU, `n` Beryl's
    /// namespace): empty when no letter names a section, as the stock server answers.
    func statistics(selecting selection: String) -> [UInt8] {
        let letters = Set(selection.lowercased())
        let all = letters.contains("a")
        let counters = state.counters
        var sections = ""
        if all || letters.contains("i") {
            let listen = state.listenAddress.withLock { $0 }
            let port = listen.split(separator: ":").last.map(String.init) ?? ""
            sections += "<stats id=\"info\"><host>\(Self.xmlEscaped(Self.hostName))</host><port>\(port)</port>"
                + "<name>anon</name></stats>"
        }
        if all || letters.contains("l") {
            sections += "<stats id=\"link\"><num>\(counters.openConnections)</num><tot>\(counters.totalConnections)</tot></stats>"
        }
        if all || letters.contains("p") {
            let requests = counters.requestsByType
            let total = requests.reduce(0) { $0 + $1.count }
            sections += "<stats id=\"xrootd\"><num>\(total)</num><ops>"
                + requests.map { "<\($0.name)>\($0.count)</\($0.name)>" }.joined() + "</ops></stats>"
        }
        if all || letters.contains("u") {
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            sections += "<stats id=\"proc\"><usr><s>\(usage.ru_utime.tv_sec)</s><u>\(usage.ru_utime.tv_usec)</u></usr>"
                + "<sys><s>\(usage.ru_stime.tv_sec)</s><u>\(usage.ru_stime.tv_usec)</u></sys></stats>"
        }
        if all || letters.contains("n") {
            let statistics = namespace.statistics()
            sections += "<stats id=\"ns\"><files>\(statistics.files)</files><dirs>\(statistics.directories)</dirs>"
                + "<state>\(state.roleState.rawValue)</state></stats>"
        }
        guard !sections.isEmpty else { return [] }
        let listen = state.listenAddress.withLock { $0 }
        let head = "<statistics tod=\"\(time(nil))\" ver=\"\(MGMVersion.string)\" src=\"\(Self.xmlEscaped(listen))\" "
            + "tos=\"\(counters.started)\" pgm=\"beryl-mgm\" ins=\"anon\" pid=\"\(getpid())\" site=\"\">"
        return Array((head + sections + "</statistics>").utf8) + [0]
    }

    static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    static func xmlEscaped(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
