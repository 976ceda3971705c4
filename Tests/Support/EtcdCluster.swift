import Coordination
import Glibc

/// A real etcd cluster (3 members by default) on free 127.0.0.1 ports, its data and logs in a
/// temporary directory (under /dev/shm when there is one, so fsyncs do not wait for a disk shared
/// with the other tests). Members can be stopped, killed, restarted and paused (SIGSTOP) one by one.
/// `shutdown()` (also run by `deinit`, so a test that throws or fails an expectation still stops
/// its cluster) kills every member and removes the directory. For the coordinated-failover tests;
/// where etcd is not installed, those skip with `skipReason`.
public final class EtcdCluster: @unchecked Sendable {
    // @unchecked: driven by one test thread.

    public struct Member: Sendable {
        public var name: String
        public var clientPort: Int
        public var peerPort: Int
        public var endpoint: EtcdEndpoint { EtcdEndpoint(host: "127.0.0.1", port: clientPort) }
    }

    public struct ClusterError: Error, CustomStringConvertible {
        public var description: String
    }

    /// `etcd` on the PATH (Debian's `etcd-server` installs /usr/bin/etcd), or nil.
    public static let executable: String? = {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where access("\(directory)/etcd", X_OK) == 0 {
            return "\(directory)/etcd"
        }
        return nil
    }()

    public static var available: Bool { executable != nil }
    /// The one line a skipped coordinated test prints.
    public static let skipReason = "etcd is not installed (Debian: apt install etcd-server): coordinated tests skipped"

    public let directory: String
    public private(set) var members: [Member]
    private var pids: [pid_t?]
    private var paused: Set<Int> = []

    /// `etcd://127.0.0.1:P1,127.0.0.1:P2,...`
    public var url: String { "etcd://" + members.map { $0.endpoint.description }.joined(separator: ",") }
    public var endpoints: [EtcdEndpoint] { members.map(\.endpoint) }

    /// Starts `size` members and waits (up to `timeout`) until the cluster accepts a write.
    public init(size: Int = 3, timeout: Duration = .seconds(20)) throws {
        guard let executable = Self.executable else { throw ClusterError(description: Self.skipReason) }
        var base = "/tmp"
        if let tmp = getenv("TMPDIR") { base = String(cString: tmp) }
        if access("/dev/shm", W_OK) == 0 { base = "/dev/shm" }
        var template = Array("\(base)/beryl-etcd-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ClusterError(description: "mkdtemp in \(base): errno \(errno)")
        }
        directory = String(cString: made)
        self.executable = executable
        members = []
        pids = Array(repeating: nil, count: size)
        // A port found free can be taken by another test's server before etcd binds it (the member
        // then exits at once): such a start is tried again on new ports, up to three times.
        var attempt = 0
        while true {
            attempt += 1
            var chosen: [Member] = []
            for i in 0..<size {
                guard let client = freeLoopbackPort(), let peer = freeLoopbackPort() else {
                    shutdown()
                    throw ClusterError(description: "no free loopback port")
                }
                chosen.append(Member(name: "m\(i)", clientPort: client, peerPort: peer))
            }
            members = chosen
            do {
                for i in 0..<size { try start(i) }
                try waitUntilWritable(timeout: timeout)
                return
            } catch {
                for i in pids.indices { kill(i) }
                for m in chosen { removeTree("\(directory)/\(m.name)") }
                if attempt >= 3 {
                    shutdown()
                    throw error
                }
            }
        }
    }

    private let executable: String

    /// The command line of member `i` (its data directory survives restarts, so a restarted member
    /// rejoins with its state; the initial-cluster flags are then ignored by etcd).
    func arguments(_ i: Int) -> [String] {
        let m = members[i]
        let cluster = members.map { "\($0.name)=http://127.0.0.1:\($0.peerPort)" }.joined(separator: ",")
        return ["--name", m.name, "--data-dir", "\(directory)/\(m.name)",
                "--listen-client-urls", "http://127.0.0.1:\(m.clientPort)",
                "--advertise-client-urls", "http://127.0.0.1:\(m.clientPort)",
                "--listen-peer-urls", "http://127.0.0.1:\(m.peerPort)",
                "--initial-advertise-peer-urls", "http://127.0.0.1:\(m.peerPort)",
                "--initial-cluster", cluster, "--initial-cluster-state", "new",
                "--initial-cluster-token", "beryl-test-\(getpid())-\(members[0].clientPort)",
                // Faster elections than the defaults (100 ms, 1 s) would flap on a loaded test machine.
                "--heartbeat-interval", "100", "--election-timeout", "1000",
                "--logger", "zap", "--log-outputs", "stderr"]
    }

    /// Starts member `i` (again), its output appended to `<directory>/<name>.log`.
    public func start(_ i: Int) throws {
        guard pids[i] == nil else { return }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let log = "\(directory)/\(members[i].name).log"
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments(i)).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard rc == 0 else { throw ClusterError(description: "cannot start \(executable): errno \(rc)") }
        pids[i] = pid
    }

    /// SIGTERM, waited for (SIGKILL after 2 s): a clean stop.
    public func stop(_ i: Int) { end(i, signal: SIGTERM) }

    /// SIGKILL, reaped: a crash.
    public func kill(_ i: Int) { end(i, signal: SIGKILL) }

    /// SIGSTOP: the member holds its connections and answers nothing.
    public func pause(_ i: Int) {
        guard let pid = pids[i] else { return }
        _ = Glibc.kill(pid, SIGSTOP)
        paused.insert(i)
    }

    /// SIGCONT after `pause`.
    public func resume(_ i: Int) {
        guard let pid = pids[i] else { return }
        _ = Glibc.kill(pid, SIGCONT)
        paused.remove(i)
    }

    public func isRunning(_ i: Int) -> Bool { pids[i] != nil }

    private func end(_ i: Int, signal: Int32) {
        guard let pid = pids[i] else { return }
        _ = Glibc.kill(pid, signal)
        if paused.contains(i) { _ = Glibc.kill(pid, SIGCONT) }
        paused.remove(i)
        // A leader stopped with SIGTERM first hands its leadership over, which can take seconds:
        // SIGKILL after 2 s. The test process may not be the one that reaps (a runtime can set
        // SIGCHLD to be ignored): then the pid is polled until it is gone.
        var status: Int32 = 0
        var deadline = ContinuousClock.now + .seconds(2)
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped == -1 && Glibc.kill(pid, 0) != 0) { break }
            if ContinuousClock.now > deadline {
                _ = Glibc.kill(pid, SIGKILL)
                deadline = ContinuousClock.now + .seconds(3600)
            }
            usleep(10_000)
        }
        pids[i] = nil
    }

    /// Waits until the cluster accepts a write (it has a leader and quorum) and every member that
    /// runs and is not paused answers a linearizable read on its own client port (a restarted
    /// member serves clients only once it has rejoined).
    public func waitUntilWritable(timeout: Duration = .seconds(20)) throws {
        let client = EtcdClient(endpoints: endpoints, attemptTimeout: .milliseconds(500))
        let deadline = ContinuousClock.now + timeout
        var last = "no attempt"
        var written = false
        while ContinuousClock.now < deadline {
            do {
                if !written {
                    try client.put(Array("/beryl-test/ready".utf8), Array("1".utf8))
                    written = true
                }
                for i in pids.indices where pids[i] != nil && !paused.contains(i) {
                    let member = EtcdClient(endpoints: [members[i].endpoint], attemptTimeout: .milliseconds(500))
                    _ = try member.get(Array("/beryl-test/ready".utf8))
                }
                return
            } catch {
                last = error.description
            }
            for i in pids.indices where pids[i] != nil {
                var status: Int32 = 0
                if let pid = pids[i], waitpid(pid, &status, WNOHANG) == pid {
                    pids[i] = nil
                    throw ClusterError(description: "etcd member \(members[i].name) exited (status \(status)); see \(directory)/\(members[i].name).log")
                }
            }
            usleep(100_000)
        }
        throw ClusterError(description: "etcd cluster in \(directory) not writable within \(timeout): \(last)")
    }

    /// The index of the member that is the raft leader now (asked of each running, unpaused member
    /// in turn; waits up to `timeout` while there is none).
    public func leader(timeout: Duration = .seconds(10)) throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            for i in pids.indices where pids[i] != nil && !paused.contains(i) {
                let member = EtcdClient(endpoints: [members[i].endpoint], attemptTimeout: .milliseconds(500))
                if let status = try? member.status(), status.member == status.leader { return i }
            }
            usleep(100_000)
        }
        throw ClusterError(description: "no etcd member in \(directory) says it is the leader within \(timeout)")
    }

    /// Kills every member and removes the directory.
    public func shutdown() {
        for i in pids.indices { kill(i) }
        removeTree(directory)
    }

    deinit { shutdown() }

    private func removeTree(_ path: String) {
        guard let dir = opendir(path) else {
            unlink(path)
            return
        }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            let child = "\(path)/\(name)"
            if entry.pointee.d_type == UInt8(DT_DIR) { removeTree(child) } else { unlink(child) }
        }
        closedir(dir)
        rmdir(path)
    }
}
