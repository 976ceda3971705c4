import Foundation
import Glibc
import Logging
import MGM
import Namespace
import Replication
import XRootD

/// An MGM server on 127.0.0.1 (a free port) over a fresh temporary data directory; `stop()` shuts it
/// down and removes the directory.
final class TestServer: Sendable {
    let server: MGMServer
    let directory: String

    var port: Int { server.port }
    var endpoint: Endpoint { Endpoint(host: "127.0.0.1", port: server.port) }
    var url: String { "root://127.0.0.1:\(server.port)" }
    var masterLog: MasterLog { server.masterLog }
    var namespace: Namespace { server.namespace }

    static let quietLogger = Logger(label: "beryl.mgm.test") { _ in SwiftLogNoOpLogHandler() }

    init(role: Role? = .masterReadWrite, directory: String? = nil, logger: Logger = TestServer.quietLogger,
         configure: (inout MGMConfiguration) -> Void = { _ in }) throws
    {
        let directory = directory ?? Self.temporaryDirectory()
        var configuration = MGMConfiguration(dataDirectory: directory, host: "127.0.0.1", port: 0, durability: .none,
                                             role: role, shutdownGrace: .seconds(5))
        configure(&configuration)
        self.directory = directory
        server = try MGMServer.start(configuration, logger: logger)
    }

    func stop(removing: Bool = true) {
        server.shutdown()
        if removing { try? FileManager.default.removeItem(atPath: directory) }
    }

    func client(user: String = "root", timeout: Duration = .seconds(10)) throws -> XRootDClient {
        let options = XRootDClient.Options(user: user, connectTimeout: .seconds(5), requestTimeout: timeout,
                                           maximumTotalWait: .seconds(20))
        return try XRootDClient(endpoint, options: options)
    }

    static func temporaryDirectory() -> String {
        var template = Array("/tmp/beryl-mgm-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return String(cString: made!)
    }
}

/// Runs an external program with `input` on stdin, bounded by `timeout`; returns its exit status and output.
struct ProgramRun {
    var status: Int32
    var stdout: String
    var stderr: String

    static func run(_ path: String, _ arguments: [String], input: String = "", timeout: Duration = .seconds(60))
        throws -> ProgramRun
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        // Drain both pipes while waiting, so a chatty program cannot block on a full pipe.
        let out = OutputCollector(stdout.fileHandleForReading), err = OutputCollector(stderr.fileHandleForReading)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            usleep(200_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        return ProgramRun(status: process.terminationStatus, stdout: out.finish(), stderr: err.finish())
    }
}

/// Reads a pipe to its end on a background thread.
final class OutputCollector: @unchecked Sendable {
    // @unchecked: `data` is written by the reader thread before `done` is signalled, read after.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: Foundation.FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func finish() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}

enum StockTools {
    static let xrdfs = "/usr/bin/xrdfs"
    static let python = "/usr/bin/python3"
    static var hasXrdfs: Bool { FileManager.default.isExecutableFile(atPath: xrdfs) }
    static var hasPythonBindings: Bool {
        FileManager.default.isExecutableFile(atPath: python)
            && FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/XRootD")
    }
}

/// A plain TCP connection for sending arbitrary bytes (robustness tests).
/// @unchecked Sendable: it holds only the socket; one thread may send while another receives.
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw XRootDError.connectionFailed("connect", errno: errno)
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Reads until `count` bytes arrived, the peer closed (returns what came), or the receive timeout.
    func receive(_ count: Int) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while result.count < count {
            let n = recv(fd, &buffer, min(buffer.count, count - result.count), 0)
            if n <= 0 { break }
            result += buffer[0..<n]
        }
        return result
    }

    /// True when the server closed the connection (a read returns 0, or a reset) within the receive timeout.
    func isClosedByPeer() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    /// Handshake, kXR_protocol and kXR_login as `user`; true when all three were answered.
    func logIn(user: String = "root") -> Bool {
        send(ClientHandshake().encode())
        guard receive(ServerHandshake.length).count == ServerHandshake.length else { return false }
        send(XRootDRequest.protocol(ProtocolRequest()).encode(streamID: StreamID(1)))
        guard readResponse() != nil else { return false }
        send(XRootDRequest.login(LoginRequest(processID: 1, user: user)).encode(streamID: StreamID(2)))
        return readResponse() != nil
    }

    func readResponse() -> XRootDResponse? {
        let header = receive(ResponseHeader.length)
        guard header.count == ResponseHeader.length, let decoded = try? ResponseHeader.decode(header[...]) else { return nil }
        let body = receive(Int(decoded.bodyLength))
        guard body.count == Int(decoded.bodyLength) else { return nil }
        return try? XRootDResponse(frame: ResponseFrame(header: decoded, body: body))
    }
}
