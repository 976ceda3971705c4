import Glibc

/// A child process with its stdout on a pipe, for crash tests (kill at a chosen moment, then read
/// what it acknowledged) and for benchmarks that start a server. Shared by the test targets and
/// `beryl-bench`.
public final class ChildProcess {
    public struct SpawnError: Error, CustomStringConvertible {
        public var executable: String
        public var errno: Int32
        public var description: String { "cannot start \(executable): errno \(errno)" }
    }

    public let pid: pid_t
    let output: Int32
    var buffer: [UInt8] = []
    private var reaped = false

    /// An executable next to the running binary (SwiftPM puts all products in one folder).
    public static func sibling(_ name: String) -> String? {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count)
        guard n > 0 else { return nil }
        var directory = String(decoding: buf[0..<n], as: UTF8.self)
        while let last = directory.last, last != "/" { directory.removeLast() }
        let path = directory + name
        return access(path, X_OK) == 0 ? path : nil
    }

    public init(_ executable: String, _ arguments: [String]) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SpawnError(executable: executable, errno: errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        posix_spawn_file_actions_destroy(&actions)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw SpawnError(executable: executable, errno: rc)
        }
        self.pid = pid
        self.output = fds[0]
    }

    /// The next line of output, or nil at end of output.
    public func readLine() -> String? {
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(output, &chunk, chunk.count)
            if n <= 0 { return nil }
            buffer += chunk[0..<n]
        }
    }

    /// SIGKILL and reap; the pipe stays open so `readLine` returns what is left, then nil.
    public func kill() {
        guard !reaped else { return }
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        reaped = true
    }

    deinit {
        kill()
        close(output)
    }
}

/// Deterministic random numbers (SplitMix64), so failures and benchmark damage reproduce.
public struct SeededRandom: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    public mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

/// A TCP socket bound to 127.0.0.1 on a free port (not listening yet): the descriptor, which the
/// caller closes, and the port.
public func boundLoopbackSocket() -> (descriptor: Int32, port: Int)? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else {
        close(fd)
        return nil
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, released).
public func freeLoopbackPort() -> Int? {
    guard let (fd, port) = boundLoopbackSocket() else { return nil }
    close(fd)
    return port
}

/// How many rounds a crash test runs: `normal` in `make test`, multiplied by the environment
/// variable `BERYL_SOAK_FACTOR` under `make soak`.
public func crashRounds(_ normal: Int) -> Int {
    guard let raw = getenv("BERYL_SOAK_FACTOR"), let factor = Int(String(cString: raw)), factor > 1 else { return normal }
    return normal * factor
}

/// The configuration that serves `directory/data` with the stock XRootD server on 127.0.0.1:`port`
/// (used by the stock-server tests and the `xrootd` benchmark; admin and pid files in `directory/admin`).
public func stockXRootDConfiguration(directory: String, port: Int) -> String {
    """
    all.export /
    oss.localroot \(directory)/data
    xrd.port \(port)
    all.adminpath \(directory)/admin
    all.pidpath \(directory)/admin
    xrd.network nodnr
    xrd.allow host 127.0.0.1

    """
}
