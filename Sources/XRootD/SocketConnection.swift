import Glibc

/// A blocking TCP connection with bounded waits, framing what it receives into responses.
final class SocketConnection {
    private var descriptor: Int32
    private var decoder: ResponseFrameDecoder
    private var receiveBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    let endpoint: Endpoint

    /// Resolves `endpoint` and connects to the first address that answers within `timeout`.
    init(endpoint: Endpoint, timeout: Duration, maximumBody: Int) throws(XRootDError) {
        self.endpoint = endpoint
        decoder = ResponseFrameDecoder(maximumBody: maximumBody)
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard status == 0, let first = list else {
            throw .connectionFailed("resolving \(endpoint.host): \(String(cString: gai_strerror(status)))", errno: 0)
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = 0
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = Glibc.errno; continue }
            Self.setTimeout(fd, SO_SNDTIMEO, timeout)
            if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                descriptor = fd
                return
            }
            lastError = Glibc.errno
            Glibc.close(fd)
        }
        throw .connectionFailed("connecting to \(endpoint)", errno: lastError)
    }

    /// The connected socket (-1 once closed), for what needs its addresses (client authentication).
    var socketDescriptor: Int32 { descriptor }

    deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Sets both socket timeouts, which bound every single send and receive.
    func setTimeouts(_ timeout: Duration) {
        Self.setTimeout(descriptor, SO_SNDTIMEO, timeout)
        Self.setTimeout(descriptor, SO_RCVTIMEO, timeout)
    }

    private static func setTimeout(_ fd: Int32, _ option: Int32, _ timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(max(0, seconds)), tv_usec: Int(max(0, attoseconds) / 1_000_000_000_000))
        if value.tv_sec == 0, value.tv_usec == 0 { value.tv_usec = 1000 }
        setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ bytes: [UInt8]) throws(XRootDError) {
        guard descriptor >= 0 else { throw .connectionClosed }
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            let code = Glibc.errno
            if n < 0, code == EINTR { continue }
            if n < 0, code == EAGAIN || code == EWOULDBLOCK { throw .timedOut("sending to \(endpoint)") }
            throw .connectionFailed("sending to \(endpoint)", errno: code)
        }
    }

    /// The next response frame among the bytes already received (nil: none complete yet), without a syscall.
    func bufferedFrame() throws(XRootDError) -> ResponseFrame? { try decoder.next() }

    /// The next response frame, receiving until one is complete or `deadline` passes.
    func nextFrame(deadline: ContinuousClock.Instant) throws(XRootDError) -> ResponseFrame {
        while true {
            if let frame = try decoder.next() { return frame }
            guard descriptor >= 0 else { throw .connectionClosed }
            guard ContinuousClock.now < deadline else { throw .timedOut("waiting for a response from \(endpoint)") }
            let n = receiveBuffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            if n > 0 {
                decoder.append(receiveBuffer[0..<n])
            } else if n == 0 {
                throw .connectionClosed
            } else {
                let code = Glibc.errno
                if code == EINTR || code == EAGAIN || code == EWOULDBLOCK { continue }
                throw .connectionFailed("receiving from \(endpoint)", errno: code)
            }
        }
    }
}
