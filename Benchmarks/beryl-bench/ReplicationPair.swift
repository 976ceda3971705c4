import BenchSupport
import BerylTestSupport
import Foundation
import Glibc
import XRootD

/// A master/slave pair of `beryl-mgm serve` processes on loopback for `beryl-bench replication`:
/// two data directories, a shared secret, free ports for both XRootD listeners and both sync
/// listeners. Each process logs (level info) to `<scratch>/<name>.log`; `stopAll()` ends both (also
/// on error paths: the suite calls it in a `defer`), `remove()` deletes the scratch directory.
final class ReplicationPair {
    final class Node {
        let name: String
        let directory: String
        let endpoint: Endpoint
        let syncPort: Int
        let logPath: String
        var process: ChildProcess?

        init(name: String, directory: String, port: Int, syncPort: Int, logPath: String) {
            self.name = name
            self.directory = directory
            self.endpoint = Endpoint(host: "127.0.0.1", port: port)
            self.syncPort = syncPort
            self.logPath = logPath
        }

        /// A client of this node. `redirects: 0` makes a redirect (a slave's answer for a write or a
        /// missing path) throw `tooManyRedirects` instead of asking the master.
        func client(user: String = BenchServer.user, redirects: Int = 8, wait: Duration = .seconds(1)) throws -> XRootDClient {
            try XRootDClient(endpoint, options: XRootDClient.Options(user: user, connectTimeout: .seconds(2), requestTimeout: .seconds(30),
                                                                     maximumRedirects: redirects, maximumTotalWait: wait))
        }

        /// Runs an admin command (`/proc/admin`, user root) on this node and returns its stdout; a
        /// non-zero return code throws with the command's stderr.
        func admin(_ query: String, client: XRootDClient? = nil) throws -> String {
            let c = try client ?? self.client(user: "root", redirects: 0)
            let text = String(decoding: try c.readFile("/proc/admin/?" + query), as: UTF8.self)
            var values: [String: String] = [:]
            for pair in text.split(separator: "&", omittingEmptySubsequences: false) {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if kv.count == 2 { values[String(kv[0])] = kv[1].replacingOccurrences(of: "#AND#", with: "&") }
            }
            guard values["mgm.proc.retc"] == "0" else {
                throw BenchError("\(name): admin \(query): retc \(values["mgm.proc.retc"] ?? "?"): \(values["mgm.proc.stderr"] ?? text)")
            }
            return values["mgm.proc.stdout"] ?? ""
        }

        /// `ns stat -m` as a dictionary (namespace counts, and on a slave `ns.latency.*`, `ns.sync.*`).
        func monitoring(client: XRootDClient? = nil) throws -> [String: String] {
            var values: [String: String] = [:]
            for line in try admin("mgm.cmd=ns&mgm.subcmd=stat&mgm.option=m", client: client).split(separator: "\n") {
                let kv = line.split(separator: "=", maxSplits: 1)
                if kv.count == 2 { values[String(kv[0])] = String(kv[1]) }
            }
            return values
        }

        /// `ns master <target>` on this node.
        func master(_ target: Endpoint) throws -> String {
            try admin("mgm.cmd=ns&mgm.subcmd=master&mgm.args=" + target.description)
        }

        /// The role state from `kXR_Qconfig state`: master-rw, master-ro, slave-ro.
        func state() throws -> String { try client(redirects: 0).queryConfig(["state"]).first ?? "" }

        var isRunning: Bool {
            guard let pid = process?.pid,
                  let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = text.lastIndex(of: ")") else { return false }
            return !text[text.index(after: close)...].hasPrefix(" Z")
        }

        /// SIGTERM, up to 10 s for a clean exit, then SIGKILL (and reap).
        func stop() {
            guard let process else { return }
            Glibc.kill(process.pid, SIGTERM)
            for _ in 0..<200 where isRunning { usleep(50_000) }
            process.kill()
            self.process = nil
        }
    }

    let scratch: String
    let secretFile: String
    let a: Node
    let b: Node
    let durability: String
    /// `--sync-replication` of both nodes (`off`: asynchronous shipping, what the lag probe measures).
    var syncReplication = "off"
    /// Further `serve` options of both nodes (`--coordinator ...`).
    var extraArguments: [String] = []

    init(name: String, durability: String = "batch") throws {
        scratch = scratchDirectory(name)
        secretFile = scratch + "/secret"
        self.durability = durability
        var ports: Set<Int> = []
        while ports.count < 4 { ports.insert(try BenchServer.freePort()) }
        let p = Array(ports)
        a = Node(name: "a", directory: scratch + "/a", port: p[0], syncPort: p[1], logPath: scratch + "/a.log")
        b = Node(name: "b", directory: scratch + "/b", port: p[2], syncPort: p[3], logPath: scratch + "/b.log")
        for node in [a, b] { try FileManager.default.createDirectory(atPath: node.directory, withIntermediateDirectories: true) }
        try "bench-secret\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        chmod(secretFile, 0o600)
    }

    /// Writes the role tag of `node`'s data directory (`beryl-mgm tag master|slave`).
    func tag(_ node: Node, _ role: String) throws {
        guard let binary = BenchServer.sibling("beryl-mgm") else { throw BenchError("beryl-mgm is not built next to beryl-bench") }
        guard shell("'\(binary)' tag \(role) --data '\(node.directory)' >/dev/null 2>&1; echo $?") == "0" else {
            throw BenchError("beryl-mgm tag \(role) --data \(node.directory) failed")
        }
    }

    /// Starts `node` (`beryl-mgm serve` as a pair member) and waits until it answers, at most `timeout` s.
    /// `single`: as a single master (no `--master1/--master2`), for the same workload without a pair.
    func start(_ node: Node, timeout: Double = 60, single: Bool = false) throws {
        guard let binary = BenchServer.sibling("beryl-mgm") else { throw BenchError("beryl-mgm is not built next to beryl-bench") }
        let pair = single ? [] : ["--master1", a.endpoint.description, "--master2", b.endpoint.description,
                                  "--sync-replication", syncReplication]
        let arguments = ["serve", "--data", node.directory, "--listen", node.endpoint.description] + pair
            + ["--sync-listen", "127.0.0.1:\(node.syncPort)", "--secret-file", secretFile,
               "--durability", durability, "--log-level", "info"] + extraArguments
        let command = "exec '\(binary)' " + arguments.map { "'\($0)'" }.joined(separator: " ") + " >>'\(node.logPath)' 2>&1"
        node.process = try ChildProcess("/bin/sh", ["-c", command])
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let c = try? node.client(redirects: 0), (try? c.ping()) != nil { return }
            guard node.isRunning else { throw BenchError("\(node.name) exited at start (see \(node.logPath))") }
            usleep(10_000)
        }
        throw BenchError("\(node.name) did not answer within \(timeout) s (see \(node.logPath))")
    }

    /// Waits until `slave` follows a master and holds all it has (connected, no bytes behind, no
    /// pending entries), at most `timeout` seconds.
    func waitUntilFollowing(_ slave: Node, timeout: Double = 60) throws {
        let client = try slave.client(user: "root", redirects: 0)
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String: String] = [:]
        while Date() < deadline {
            last = try slave.monitoring(client: client)
            if last["ns.sync.connected"] == "1", last["ns.latency.files"] == "0", last["ns.latency.dirs"] == "0",
               last["ns.latency.pending"] == "0" { return }
            usleep(20_000)
        }
        throw BenchError("\(slave.name) does not follow within \(timeout) s: \(last.filter { $0.key.hasPrefix("ns.latency") || $0.key.hasPrefix("ns.sync") })")
    }

    func stopAll() {
        a.stop()
        b.stop()
    }

    func remove() { try? FileManager.default.removeItem(atPath: scratch) }

    /// The last lines of both logs (for error reports).
    func logTails(_ lines: Int = 15) -> String {
        [a, b].map { "--- \($0.logPath)\n" + shell("tail -n \(lines) '\($0.logPath)'") }.joined(separator: "\n")
    }
}
