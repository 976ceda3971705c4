import BerylTestSupport
import Foundation
import Glibc
import MGM
import Synchronization
import Testing
import XRootD

/// One `beryl-mgm serve` process of a master/slave pair on loopback (free ports, its own data
/// directory), for the multi-process replication tests.
final class MGMNode: @unchecked Sendable {
    // @unchecked: used from one test thread (load threads only use their own clients).
    let directory: String
    let port: Int
    let syncPort: Int
    var process: Process?
    var environment: [String: String] = [:]
    /// Further `serve` options (`--max-connections`, `--min-free`, `--sync-replication`, ...).
    var extraArguments: [String] = []
    var durability = "batch"
    var secretFile: String
    var peers: (Endpoint, Endpoint)!

    var endpoint: Endpoint { Endpoint(host: "127.0.0.1", port: port) }
    var url: String { "root://127.0.0.1:\(port)" }

    init(secretFile: String) throws {
        directory = TestServer.temporaryDirectory()
        port = try ExecutableTests.freePort()
        syncPort = try ExecutableTests.freePort()
        self.secretFile = secretFile
    }

    func tag(_ role: String) throws {
        let mgm = try #require(ChildProcess.sibling("beryl-mgm"))
        let run = try ProgramRun.run(mgm, ["tag", role, "--data", directory])
        precondition(run.status == 0, run.stderr)
    }

    /// Starts the process and waits until it answers.
    func start() throws {
        let mgm = try #require(ChildProcess.sibling("beryl-mgm"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: mgm)
        p.arguments = ["serve", "--data", directory, "--listen", "127.0.0.1:\(port)", "--durability", durability,
                       "--master1", peers.0.description, "--master2", peers.1.description,
                       "--sync-listen", "127.0.0.1:\(syncPort)", "--secret-file", secretFile, "--log-level", "error"]
            + extraArguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        // Never the test runner's own stdout/stderr: a child that outlived a failed test would hold
        // them open and `swift test` would wait for it forever.
        p.standardOutput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: directory + "/serve.log", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: directory + "/serve.log") ?? FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if (try? XRootDClient(endpoint, options: .init(user: "root", connectTimeout: .seconds(1)))) != nil { return }
            guard p.isRunning else { throw XRootDError.connectionFailed("beryl-mgm exited with \(p.terminationStatus)", errno: 0) }
            usleep(50_000)
        }
        throw XRootDError.connectionFailed("beryl-mgm did not answer on \(port)", errno: 0)
    }

    func kill9() {
        guard let p = process else { return }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        process = nil
    }

    /// Sends `signal` (SIGSTOP, SIGCONT) to the running process.
    func send(_ signal: Int32) {
        guard let p = process, p.isRunning else { return }
        kill(p.processIdentifier, signal)
    }

    /// The role tag file's text.
    var roleTag: String { (try? String(contentsOfFile: directory + "/beryl.role", encoding: .utf8)) ?? "" }

    func terminate() {
        guard let p = process else { return }
        if p.isRunning { kill(p.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(15)
        while p.isRunning, ContinuousClock.now < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        process = nil
    }

    /// A client that follows nothing: a redirect or a stall is an error (to see what this node answers).
    func directClient(user: String = "root") throws -> XRootDClient {
        try XRootDClient(endpoint, options: .init(user: user, connectTimeout: .seconds(5), requestTimeout: .seconds(20),
                                                  maximumRedirects: 0, maximumTotalWait: .zero))
    }

    /// A client that follows redirects and waits (as xrdfs does).
    func client(user: String = "root") throws -> XRootDClient {
        try XRootDClient(endpoint, options: .init(user: user, connectTimeout: .seconds(5), requestTimeout: .seconds(30),
                                                  maximumTotalWait: .seconds(30)))
    }

    func admin(_ words: [String]) throws -> AdminResult {
        let root = try directClient(user: "root")
        defer { root.disconnect() }
        let text = String(decoding: try root.readFile(AdminRequest.path(for: words)), as: UTF8.self)
        return try #require(AdminResult(encoded: text))
    }

    /// `kXR_Qconfig state`: master-rw, master-ro or slave-ro (nil when down).
    func state() -> String? {
        guard let c = try? directClient(user: "root") else { return nil }
        defer { c.disconnect() }
        return (try? c.queryConfig(["state"]))?.first
    }

    /// A value of `ns stat -m`.
    func monitoring(_ key: String) throws -> String? {
        let out = try admin(["ns", "stat", "-m"]).stdout
        for line in out.split(separator: "\n") {
            for pair in line.split(separator: " ") where pair.hasPrefix(key + "=") {
                return String(pair.dropFirst(key.count + 1))
            }
        }
        return nil
    }

    func stop() {
        terminate()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A master and a slave with a shared secret.
final class PairFixture: @unchecked Sendable {
    let master: MGMNode
    let slave: MGMNode
    let secretFile: String

    /// Starts a tagged master and slave. Their ports were free a moment before; if another test took
    /// one meanwhile (a process then fails to bind and exits), the pair starts over on new ports.
    /// With `slaveSecret` (a wrong one) the master's probes of its slave fail, so it stays read-only
    /// (the safe start trusts only an authenticated answer); it is then opened with `--force`.
    /// `slaveArguments`: the slave's options instead of `extraArguments` (a node-specific `--coordinator`).
    init(masterDurability: String = "batch", masterEnvironment: [String: String] = [:], slaveSecret: String? = nil,
         extraArguments: [String] = [], slaveArguments: [String]? = nil) throws {
        let dir = TestServer.temporaryDirectory()
        secretFile = dir + "/secret"
        try "pair-secret\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        chmod(secretFile, 0o600)
        var attempt = 0
        while true {
            attempt += 1
            let master = try MGMNode(secretFile: secretFile)
            let slave = try MGMNode(secretFile: secretFile)
            if let slaveSecret {
                slave.secretFile = dir + "/other-secret"
                try slaveSecret.write(toFile: slave.secretFile, atomically: true, encoding: .utf8)
                chmod(slave.secretFile, 0o600)
            }
            master.peers = (master.endpoint, slave.endpoint)
            slave.peers = (master.endpoint, slave.endpoint)
            master.durability = masterDurability
            master.environment = masterEnvironment
            master.extraArguments = extraArguments
            slave.extraArguments = slaveArguments ?? extraArguments
            do {
                try master.tag("master")
                try slave.tag("slave")
                try master.start()
                try slave.start()
                // A master tag with a remote opens for writes once the remote answered (safe start).
                if slaveSecret != nil {
                    let forced = try master.admin(["ns", "master", master.endpoint.description, "--force"])
                    precondition(forced.returnCode == 0, forced.stderr)
                }
                guard PairFixture.eventually(20, { master.state() == "master-rw" }) else {
                    throw XRootDError.connectionFailed("the master did not open for writes after its slave started", errno: 0)
                }
                self.master = master
                self.slave = slave
                return
            } catch {
                master.stop()
                slave.stop()
                if attempt >= 3 { throw error }
            }
        }
    }

    func stop() {
        master.stop()
        slave.stop()
        try? FileManager.default.removeItem(atPath: FileSystemPath.directory(of: secretFile))
    }

    /// Waits until `condition` holds (bounded), returning whether it did.
    static func eventually(_ seconds: Double = 15, _ condition: () throws -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if (try? condition()) == true { return true }
            usleep(20_000)
        }
        return (try? condition()) == true
    }
}

enum FileSystemPath {
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }
}

/// Every path under `/` as a node answers it (directories end with "/"), sorted.
func tree(_ client: XRootDClient) throws -> [String] {
    var out: [String] = []
    var stack = ["/"]
    while let dir = stack.popLast() {
        for name in try client.dirlist(dir).names {
            let path = dir == "/" ? "/" + name : dir + "/" + name
            if try client.stat(path).isDirectory {
                out.append(path + "/")
                stack.append(path)
            } else {
                out.append(path)
            }
        }
    }
    return out.sorted()
}

/// A value shared with a load thread.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value { storage.withLock { $0 } }
    func update(_ change: (inout Value) -> Void) { storage.withLock { change(&$0) } }
}
