import BenchSupport
import BerylTestSupport
import Foundation
import Glibc
import XRootD

/// A server process for `beryl-bench xrootd`: `beryl-mgm` (the sibling binary) or the stock `xrootd`
/// (as `nobody` when run as root), on a free loopback port over a scratch directory.
struct BenchServer {
    var name: String
    var pid: pid_t
    var port: Int
    var directory: String
    /// Set for a server that requires authentication (`--auth sss`): the clients' side of the exchange.
    var authenticator: (any XRootDAuthenticator)? = nil

    /// The login name of bench clients: the user running the bench, who owns a fresh namespace's root
    /// (root passes every permission check; another user owns "/" of the scratch namespace it serves).
    static let user: String = getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "root"

    func client(user: String = BenchServer.user) throws -> XRootDClient {
        var options = XRootDClient.Options(user: user, requestTimeout: .seconds(30))
        options.authenticator = authenticator
        return try XRootDClient(host: "127.0.0.1", port: port, options: options)
    }

    /// User and system CPU seconds of the server process so far: utime and stime from /proc/<pid>/stat
    /// (fields 14 and 15, in clock ticks).
    func cpuTimes() -> (user: Double, system: Double) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return (.nan, .nan) }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command name: field 3 (state) is fields[0], so utime (14) is fields[11], stime (15) fields[12].
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return (.nan, .nan) }
        let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user / tick, system / tick)
    }

    func stop() {
        kill(pid, SIGTERM)
        for _ in 0..<100 where kill(pid, 0) == 0 { usleep(50_000) }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `seed`: writes to the data directory after tagging, before the server starts (entries the
    /// protocol cannot make, e.g. stored checksums).
    static func beryl(durability: String, arguments more: [String] = [], seed: ((String) throws -> Void)? = nil) throws -> BenchServer {
        guard let binary = sibling("beryl-mgm") else { throw BenchError("beryl-mgm is not built next to beryl-bench") }
        // Two servers of one durability may run at once (suite xrootd: plain and --auth sss): their own folders.
        let directory = scratchDirectory("mgm-\(durability)" + (more.isEmpty ? "" : "-" + (more.first { !$0.hasPrefix("-") } ?? "extra")))
        let port = try freePort()
        guard shell("\(binary) tag master --data \(directory) >/dev/null 2>&1; echo $?") == "0" else {
            throw BenchError("beryl-mgm tag failed")
        }
        try seed?(directory)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        // BERYL_BENCH_SERVE_ARGS: more `serve` options, e.g. "--metrics 127.0.0.1:19094" to measure their cost.
        let extra = ProcessInfo.processInfo.environment["BERYL_BENCH_SERVE_ARGS"]?.split(separator: " ").map(String.init) ?? []
        process.arguments = ["serve", "--data", directory, "--listen", "127.0.0.1:\(port)", "--durability", durability,
                             "--log-level", "warning"] + more + extra
        try process.run()
        let server = BenchServer(name: "beryl-mgm(\(durability))", pid: process.processIdentifier, port: port,
                                 directory: directory)
        try waitUntilListening(server)
        return server
    }

    /// `extraConfiguration`: lines appended to the tests' configuration (e.g. `xrootd.chksum adler32`).
    static func stock(extraConfiguration: String = "") throws -> BenchServer {
        let candidates: [String] = ["/usr/bin/xrootd", "/usr/local/bin/xrootd"]
        guard let binary = candidates.first(where: { (path: String) in access(path, X_OK) == 0 }) else {
            throw BenchError("the stock xrootd (Debian xrootd-server) is not installed")
        }
        let directory = scratchDirectory("xrootd")
        let port = try freePort()
        let asRoot = getuid() == 0
        for sub in ["data", "admin"] { try FileManager.default.createDirectory(atPath: "\(directory)/\(sub)", withIntermediateDirectories: true) }
        let config = stockXRootDConfiguration(directory: directory, port: port) + extraConfiguration
        try config.write(toFile: "\(directory)/xrootd.cfg", atomically: true, encoding: .utf8)
        if asRoot { _ = shell("chown -R nobody \(directory)") }
        let command = "\(binary) -b -c \(directory)/xrootd.cfg -l \(directory)/xrootd.log"
        _ = shell(asRoot ? "su nobody -s /bin/sh -c '\(command)' >/dev/null 2>&1" : command + " >/dev/null 2>&1")
        var pid: pid_t = 0
        for _ in 0..<100 where pid == 0 {
            pid = pid_t((try? String(contentsOfFile: "\(directory)/admin/xrootd.pid", encoding: .utf8))?
                .filter(\.isNumber) ?? "") ?? 0
            if pid == 0 { usleep(100_000) }
        }
        guard pid != 0 else { throw BenchError("xrootd did not start (see \(directory)/xrootd.log)") }
        let server = BenchServer(name: "xrootd", pid: pid, port: port, directory: directory)
        try waitUntilListening(server)
        return server
    }

    private static func waitUntilListening(_ server: BenchServer) throws {
        for _ in 0..<200 {
            do {
                _ = try server.client()
                return
            } catch {
                // A server that asks the login to authenticate (`--auth sss`) is listening too.
                if case .authenticationRequired? = error as? XRootDError { return }
            }
            usleep(50_000)
        }
        server.stop()
        throw BenchError("\(server.name) is not answering on port \(server.port)")
    }

    static func sibling(_ name: String) -> String? { ChildProcess.sibling(name) }

    static func freePort() throws -> Int {
        guard let port = freeLoopbackPort() else { throw BenchError("no free port") }
        return port
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
