import Glibc
import Synchronization

/// A listening TCP socket that accepts `SyncSocket`s. `close()` from any thread makes a pending
/// `accept` return (through a wake-up pipe polled alongside the socket) and later ones fail.
public final class SyncListener: @unchecked Sendable {
    /// The listening descriptor and the wake-up pipe; -1 once closed. Closed only under `acceptLock`.
    private let descriptor: Atomic<Int32>
    private let wakeRead: Atomic<Int32>
    private let wakeWrite: Atomic<Int32>
    private let acceptLock = Mutex(())
    private let closed = Atomic<Bool>(false)
    /// The bound port (the one the kernel chose when listening on port 0).
    public let port: Int
    /// The bound address ("127.0.0.1:40123"), for messages.
    public let address: String

    private init(descriptor fd: Int32, wake: (Int32, Int32), port: Int, address: String) {
        descriptor = Atomic(fd)
        wakeRead = Atomic(wake.0)
        wakeWrite = Atomic(wake.1)
        self.port = port
        self.address = address
    }

    deinit { releaseDescriptors() }

    /// Listens on `host` (an IPv4 or IPv6 literal or a name; "" or "*" for every address) and
    /// `port` (0: any free port, see `port`), with SO_REUSEADDR so a restarted master can bind at once.
    public static func listen(host: String, port: Int) throws(ReplicationError) -> SyncListener {
        let target = SyncSocket.display(host: host, port: port)
        var lastError = "no address"
        for address in try SyncSocket.Address.resolve(host: host, port: port, passive: true) {
            let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = SyncSocket.errorText(errno); continue }
            SyncSocket.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            // Non-blocking: a connection reset between poll and accept must not block accept.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            guard address.withSockaddr({ bind(fd, $0, $1) }) == 0, Glibc.listen(fd, 128) == 0 else {
                lastError = SyncSocket.errorText(errno)
                Glibc.close(fd)
                continue
            }
            var bound = SyncSocket.Address()
            bound.length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let named = withUnsafeMutablePointer(to: &bound.storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &bound.length) }
            }
            var pipeEnds: [Int32] = [-1, -1]
            guard named == 0, pipe(&pipeEnds) == 0 else {
                lastError = SyncSocket.errorText(errno)
                Glibc.close(fd)
                continue
            }
            for end in pipeEnds {  // pipe2 and accept4 need _GNU_SOURCE, which Glibc's Swift module lacks
                _ = fcntl(end, F_SETFD, FD_CLOEXEC)
                _ = fcntl(end, F_SETFL, O_NONBLOCK)
            }
            return SyncListener(descriptor: fd, wake: (pipeEnds[0], pipeEnds[1]), port: bound.port, address: bound.description)
        }
        throw .connection("listening on \(target): \(lastError)")
    }

    /// The next connection and its peer's address, waiting at most `timeout` seconds; nil on
    /// timeout. Throws `connection` once the listener is closed (including when `close()` interrupts
    /// this call) and on accept errors other than transient ones.
    public func accept(timeout: Double) throws(ReplicationError) -> (SyncSocket, peer: String)? {
        let deadline = ContinuousClock.now + .seconds(max(0, timeout))
        return try acceptLock.withLock { (_) throws(ReplicationError) -> (SyncSocket, peer: String)? in
            while true {
                let fd = descriptor.load(ordering: .acquiring)
                guard fd >= 0, !closed.load(ordering: .acquiring) else { throw .connection("listener on \(address) closed") }
                var pollers = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: wakeRead.load(ordering: .acquiring), events: Int16(POLLIN), revents: 0)]
                let ready = poll(&pollers, 2, SyncSocket.milliseconds(until: deadline))
                if ready < 0, errno == EINTR { continue }
                if ready < 0 { throw .connection("accepting on \(address): \(SyncSocket.errorText(errno))") }
                if ready == 0 { return nil }
                if pollers[1].revents != 0 || closed.load(ordering: .acquiring) { continue }  // closing: the guard throws
                var peer = SyncSocket.Address()
                peer.length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let connection = withUnsafeMutablePointer(to: &peer.storage) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.accept(fd, $0, &peer.length)
                    }
                }
                if connection >= 0 {
                    _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                    let name = peer.description
                    return (SyncSocket(descriptor: connection, peer: name), peer: name)
                }
                // The connection may be gone before we took it, or descriptors may be short for a
                // moment: wait for the next one rather than fail the listener.
                let code = errno
                switch code {
                case EINTR, EAGAIN, EWOULDBLOCK, ECONNABORTED, EPROTO, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET,
                     EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH, EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    if ContinuousClock.now >= deadline { return nil }
                    if code == EMFILE || code == ENFILE { usleep(10_000) }
                    continue
                default:
                    throw .connection("accepting on \(address): \(SyncSocket.errorText(code))")
                }
            }
        }
    }

    /// Stops listening: a pending `accept` returns (throwing), later ones throw. Idempotent.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        let wake = wakeWrite.load(ordering: .acquiring)
        if wake >= 0 { _ = write(wake, &byte, 1) }
        acceptLock.withLock { _ in releaseDescriptors() }
    }

    private func releaseDescriptors() {
        for fd in [descriptor.exchange(-1, ordering: .acquiringAndReleasing),
                   wakeRead.exchange(-1, ordering: .acquiringAndReleasing),
                   wakeWrite.exchange(-1, ordering: .acquiringAndReleasing)] where fd >= 0 {
            Glibc.close(fd)
        }
    }
}
