import Foundation
import Glibc
import Synchronization
import XRootD

/// A scripted XRootD server on 127.0.0.1 built from our own codec: it does the handshake, kXR_protocol and
/// kXR_login itself and answers every other request with what `handler` returns (one thread per connection).
final class FakeServer: Sendable {
    typealias Handler = @Sendable (XRootDRequest, StreamID) -> [XRootDResponse]

    let port: Int
    private let listener: Int32
    private let handler: Handler
    private let served = Atomic<Int>(0)
    private let connections = Atomic<Int>(0)

    var endpoint: Endpoint { Endpoint(host: "127.0.0.1", port: port) }
    /// Requests handed to the handler so far.
    var requestCount: Int { served.load(ordering: .relaxed) }
    var connectionCount: Int { connections.load(ordering: .relaxed) }

    init(handler: @escaping Handler) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = StockServer.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw StockServer.Failure.setup("fake server bind") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            connections.add(1, ordering: .relaxed)
            Thread.detachNewThread { [self] in serve(fd) }
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var decoder = RequestFrameDecoder()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { return }
            decoder.append(buffer[0..<n])
            while let message = try? decoder.next() {
                switch message {
                case .handshake:
                    guard send(fd, ServerHandshake().encode()) else { return }
                case .request(let frame):
                    for response in answer(frame) {
                        guard send(fd, response.encode()) else { return }
                    }
                }
            }
        }
    }

    private func answer(_ frame: RequestFrame) -> [XRootDResponse] {
        let stream = frame.header.streamID
        do {
            let request = try XRootDRequest(frame: frame)
            switch request {
            case .protocol:
                return [XRootDResponse(streamID: stream, body: .ok(ProtocolResponse().encode()))]
            case .login:
                let login = LoginResponse(sessionID: [UInt8](repeating: 7, count: 16))
                return [XRootDResponse(streamID: stream, body: .ok(login.encode()))]
            default:
                served.add(1, ordering: .relaxed)
                return handler(request, stream)
            }
        } catch {
            return [.error(stream, .unsupported, "\(error)")]
        }
    }

    private func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }
}
