import BerylTestSupport
import Glibc

/// The stock XRootD server (Debian `xrootd-server`) serving a fresh temporary directory on a free port.
/// It binds the port on every interface but, with `xrd.allow host 127.0.0.1`, accepts loopback clients only.
/// It refuses to run as root, so as root it is started as `nobody`; `stop()` kills it and removes the directory.
struct StockServer {
    static let binary: String? = ["/usr/bin/xrootd", "/usr/local/bin/xrootd"].first { (path: String) in access(path, X_OK) == 0 }
    static var isInstalled: Bool { binary != nil }

    let directory: String
    let port: Int
    let pid: pid_t
    var dataDirectory: String { directory + "/data" }

    enum Failure: Error { case setup(String) }

    static func start() throws -> StockServer {
        guard let binary else { throw Failure.setup("xrootd is not installed") }
        var template = Array("/tmp/beryl-xrootd-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw Failure.setup("mkdtemp failed")
        }
        let directory = String(cString: made)
        let asRoot = getuid() == 0
        let owner: (uid_t, gid_t) = asRoot ? (getpwnam("nobody")?.pointee.pw_uid ?? 65534, getpwnam("nobody")?.pointee.pw_gid ?? 65534)
                                           : (getuid(), getgid())
        for sub in ["", "/data", "/admin"] {
            let path = directory + sub
            if !sub.isEmpty { mkdir(path, 0o755) }
            chmod(path, 0o755)
            chown(path, owner.0, owner.1)
        }
        let port = try freePort()
        let config = stockXRootDConfiguration(directory: directory, port: port)
        try write(config, to: directory + "/xrootd.cfg")
        let command = "\(binary) -b -c \(directory)/xrootd.cfg -l \(directory)/xrootd.log"
        let launch = asRoot ? "su nobody -s /bin/sh -c '\(command)'" : command
        guard system(launch + " >/dev/null 2>&1") == 0 else {
            _ = system("rm -rf '\(directory)'")
            throw Failure.setup("could not start: \(launch)")
        }
        // Wait (bounded) for the pid file and the listening port.
        var pid: pid_t = 0
        for _ in 0..<100 {
            if pid == 0, let text = read(directory + "/admin/xrootd.pid"), let value = pid_t(text.filter(\.isNumber)) {
                pid = value
            }
            if pid != 0, canConnect(port: port) { return StockServer(directory: directory, port: port, pid: pid) }
            usleep(100_000)
        }
        if pid != 0 { kill(pid, SIGKILL) }
        let log = read(directory + "/xrootd.log") ?? ""
        _ = system("rm -rf '\(directory)'")
        throw Failure.setup("xrootd did not come up on port \(port): \(log.suffix(2000))")
    }

    /// Kills the server (TERM, then KILL after 5 s) and removes its directory.
    func stop() {
        kill(pid, SIGTERM)
        for _ in 0..<50 where kill(pid, 0) == 0 { usleep(100_000) }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        _ = system("rm -rf '\(directory)'")
    }

    /// Creates a file in the served directory directly (owned by the server's user).
    func createFile(_ relative: String, contents: String) throws {
        let path = dataDirectory + relative
        try StockServer.write(contents, to: path)
        let owner = getuid() == 0 ? getpwnam("nobody")?.pointee.pw_uid ?? 65534 : getuid()
        chown(path, owner, gid_t(bitPattern: -1))
    }

    static func write(_ text: String, to path: String) throws {
        guard let file = fopen(path, "w") else { throw Failure.setup("cannot write \(path)") }
        defer { fclose(file) }
        _ = text.withCString { fputs($0, file) }
    }

    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A port the kernel just handed out on 127.0.0.1 (closed again, so the server can take it).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Failure.setup("bind failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
