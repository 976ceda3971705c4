import Glibc

// Address resolution and socket options shared by `SyncSocket` and `SyncListener` (the only
// other place descriptors and sockaddrs are handled).

extension SyncSocket {
    /// A resolved socket address (IPv4 or IPv6).
    struct Address: CustomStringConvertible {
        var storage = sockaddr_storage()
        var length: socklen_t = 0

        var family: Int32 { Int32(storage.ss_family) }

        /// Calls `body` with the address as a `sockaddr` pointer and its length.
        func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
            withUnsafePointer(to: storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
        }

        /// The port number (host order).
        var port: Int {
            withUnsafeBytes(of: storage) { raw in
                // sin_port and sin6_port both follow the 2-byte family, in network order.
                Int(raw[2]) << 8 | Int(raw[3])
            }
        }

        /// "127.0.0.1:1094" or "[::1]:1094".
        var description: String {
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
            let status = withSockaddr { address, length in
                getnameinfo(address, length, &host, socklen_t(host.count), &service, socklen_t(service.count),
                            NI_NUMERICHOST | NI_NUMERICSERV)
            }
            guard status == 0 else { return "(unknown address)" }
            let hostText = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let serviceText = String(decoding: service.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return display(host: hostText, port: Int(serviceText) ?? 0)
        }

        /// The addresses of `host` and `port`, in the resolver's order. `host` may be an IPv4 or
        /// IPv6 literal (brackets allowed) or a name; for a listener (`passive`) "" or "*" means any.
        static func resolve(host: String, port: Int, passive: Bool) throws(ReplicationError) -> [Address] {
            guard (0...65535).contains(port) else { throw .connection("port \(port) is out of range") }
            var name = host
            if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
            var list: UnsafeMutablePointer<addrinfo>?
            let anyHost = passive && (name.isEmpty || name == "*")
            let status = anyHost ? getaddrinfo(nil, String(port), &hints, &list)
                                 : getaddrinfo(name, String(port), &hints, &list)
            guard status == 0, list != nil else {
                throw .connection("resolving \(display(host: host, port: port)): \(String(cString: gai_strerror(status)))")
            }
            defer { freeaddrinfo(list) }
            var addresses: [Address] = []
            var entry = list
            while let info = entry {
                entry = info.pointee.ai_next
                guard let source = info.pointee.ai_addr,
                      Int(info.pointee.ai_addrlen) <= MemoryLayout<sockaddr_storage>.size else { continue }
                var address = Address()
                address.length = info.pointee.ai_addrlen
                withUnsafeMutableBytes(of: &address.storage) {
                    $0.copyMemory(from: UnsafeRawBufferPointer(start: source, count: Int(info.pointee.ai_addrlen)))
                }
                addresses.append(address)
            }
            guard !addresses.isEmpty else { throw .connection("resolving \(display(host: host, port: port)): no address") }
            return addresses
        }
    }

    /// "host:port", with brackets around an IPv6 literal.
    static func display(host: String, port: Int) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The text of an errno value ("Connection refused (errno 111)").
    static func errorText(_ code: Int32) -> String { "\(String(cString: strerror(code))) (errno \(code))" }

    /// Milliseconds from now until `deadline` for `poll`, rounded up, 0 once it has passed.
    static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let (seconds, attoseconds) = (deadline - ContinuousClock.now).components
        guard seconds >= 0, seconds > 0 || attoseconds > 0 else { return 0 }
        let total = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: total)
    }

    /// TCP_NODELAY (frames go out at once), SO_KEEPALIVE with probes after 30 s of silence, every
    /// 10 s, 3 times (a vanished peer is noticed in about a minute, not the kernel's two hours).
    static func configureConnection(_ fd: Int32) {
        setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        setOption(fd, SOL_SOCKET, SO_KEEPALIVE, 1)
        setOption(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, 30)
        setOption(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, 10)
        setOption(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, 3)
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ option: Int32, _ value: Int32) {
        var value = value
        setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// SO_SNDTIMEO: bounds each blocked `sendmsg` (0 would mean forever, so at least 1 ms).
    static func setSendTimeout(_ fd: Int32, _ seconds: Double) {
        let clamped = min(max(seconds, 0.001), 86_400 * 365)
        var value = timeval(tv_sec: Int(clamped), tv_usec: Int((clamped - clamped.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }
}
