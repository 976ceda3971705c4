import Glibc
import Synchronization

/// A blocking TCP connection that sends and receives `SyncMessage` frames. One thread may `send`
/// while another `receive`s: each direction has its own lock. Raw pointers and descriptors stay
/// inside this type and `SyncListener`.
///
/// `shutdown()` wakes both directions (pending calls fail, the peer sees end of stream); `close()`
/// does that, waits for pending calls to leave, then releases the descriptor. A failed send shuts
/// the connection down, since the peer may have received part of a frame.
public final class SyncSocket: @unchecked Sendable {
    /// The descriptor, -1 once closed. Changed only by `close()` while holding both locks.
    private let descriptor: Atomic<Int32>
    private let sendLock = Mutex(SendState())
    private let receiveState = Mutex(ReceiveBuffer())
    private let shutDown = Atomic<Bool>(false)
    /// The peer's address ("127.0.0.1:1094", "[::1]:1094"), for messages.
    public let peer: String

    /// The default bound on one blocked send: a peer that stops reading fails the sender after this.
    public static let defaultSendTimeout = 30.0

    /// Bytes received but not yet returned as messages: `storage[start..<end]`; once secured, the
    /// cipher that opens the frames received.
    private struct ReceiveBuffer {
        var storage = [UInt8](repeating: 0, count: 64 * 1024)
        var start = 0
        var end = 0
        var cipher: SyncFrameCipher?
        /// The plain frame last opened.
        var plain: [UInt8] = []
    }

    /// Once secured, the cipher that seals the frames sent, the sealed frame being sent, and room
    /// to gather a segment that spans two parts of a frame.
    private struct SendState {
        var cipher: SyncFrameCipher?
        var sealed: [UInt8] = []
        var gather: [UInt8] = []
    }

    init(descriptor fd: Int32, peer: String) {
        descriptor = Atomic(fd)
        self.peer = peer
        Self.configureConnection(fd)
        Self.setSendTimeout(fd, Self.defaultSendTimeout)
    }

    deinit {
        let fd = descriptor.load(ordering: .acquiring)
        if fd >= 0 { Glibc.close(fd) }
    }

    /// Connects to `host` (an IPv4 or IPv6 literal, with or without brackets, or a name such as
    /// "localhost") on `port`, trying each address in turn within `timeout` seconds in total.
    public static func connect(host: String, port: Int, timeout: Double) throws(ReplicationError) -> SyncSocket {
        let target = Self.display(host: host, port: port)
        let deadline = ContinuousClock.now + .seconds(max(0, timeout))
        var lastError = "no address"
        for address in try Address.resolve(host: host, port: port, passive: false) {
            let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = Self.errorText(errno); continue }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var started = address.withSockaddr { Glibc.connect(fd, $0, $1) }
            if started != 0, errno == EINPROGRESS {
                let remaining = Self.milliseconds(until: deadline)
                var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                var ready: Int32
                repeat { ready = poll(&poller, 1, remaining) } while ready < 0 && errno == EINTR
                if ready == 0 {
                    Glibc.close(fd)
                    throw .timedOut("connecting to \(target) (\(timeout) s)")
                }
                var code: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                started = ready > 0 && code == 0 ? 0 : -1
                if started != 0 { errno = code != 0 ? code : errno }
            }
            if started == 0 {
                _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
                return SyncSocket(descriptor: fd, peer: address.description)
            }
            lastError = Self.errorText(errno)
            Glibc.close(fd)
            if ContinuousClock.now >= deadline { throw .timedOut("connecting to \(target) (\(timeout) s)") }
        }
        throw .connection("connecting to \(target): \(lastError)")
    }

    /// Bounds each blocked send to `seconds` (default `defaultSendTimeout`); a send that times out
    /// throws `timedOut` and shuts the connection down.
    public func setSendTimeout(_ seconds: Double) {
        sendLock.withLock { _ in
            let fd = descriptor.load(ordering: .acquiring)
            if fd >= 0 { Self.setSendTimeout(fd, seconds) }
        }
    }

    /// From now on every frame sent is sealed and every frame received must open, with the
    /// session's keys for this side (`master`: the side that accepted the connection). Called by
    /// `SyncHandshake` once both sides have proved the secret, before any further frame.
    func secure(with keys: SyncSessionKeys, master: Bool) {
        let (sending, receiving) = keys.directions(master: master)
        sendLock.withLock { $0.cipher = SyncFrameCipher(key: sending) }
        receiveState.withLock { $0.cipher = SyncFrameCipher(key: receiving) }
    }

    /// Sends one message (blocking until the kernel has taken all of it); sealed once secured.
    public func send(_ message: SyncMessage) throws(ReplicationError) {
        let frame = message.encoded()
        try frame.withUnsafeBytes { bytes in
            Result { () throws(ReplicationError) in
                try sendFrame([UnsafeRawBufferPointer(rebasing: bytes[SyncMessage.lengthPrefixSize...])])
            }
        }.get()
    }

    /// Sends `bytes` to the wire as they are, never sealed (tests use it to send what a peer
    /// without the keys would: garbage, recorded frames).
    public func sendRaw(_ bytes: [UInt8]) throws(ReplicationError) {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(ReplicationError) in
                try sendLock.withLock { (_) throws(ReplicationError) in try writeAll([buffer]) }
            }
        }.get()
    }

    /// Sends one `data` frame whose payload is `bytes` (say, a slice of a mapped log). Plain, the
    /// header and payload go to the kernel in one `sendmsg` without a copy; secured, they are
    /// sealed segment by segment straight from `bytes` into the socket's sealed buffer (the only
    /// copy), which goes to the kernel in one `sendmsg`.
    /// `flipBit` (fault injection in tests) changes one bit of the frame on the wire.
    public func sendData(kind: LogKind, identity: UInt64, offset: UInt64, masterTimeNanoseconds: UInt64,
                         bytes: UnsafeRawBufferPointer, flipBit: Bool = false) throws(ReplicationError) {
        let header = SyncMessage.dataFrameHeader(kind: kind, identity: identity, offset: offset,
                                                 masterTimeNanoseconds: masterTimeNanoseconds, payloadCount: bytes.count)
        try header.withUnsafeBytes { head in
            Result { () throws(ReplicationError) in
                try sendFrame([UnsafeRawBufferPointer(rebasing: head[SyncMessage.lengthPrefixSize...]), bytes], flipBit: flipBit)
            }
        }.get()
    }

    /// Sends one frame given as the parts of its type byte and body: plain with its length prefix,
    /// or, once secured, sealed as the next frame of this direction.
    private func sendFrame(_ parts: [UnsafeRawBufferPointer], flipBit: Bool = false) throws(ReplicationError) {
        try sendLock.withLock { (state) throws(ReplicationError) in
            guard var cipher = state.cipher else {
                let count = parts.reduce(0) { $0 + $1.count }
                let prefix = (0..<4).map { UInt8(truncatingIfNeeded: UInt32(count) >> UInt32(8 * $0)) }
                try prefix.withUnsafeBytes { head in
                    Result { () throws(ReplicationError) in try writeAll([head] + parts) }
                }.get()
                return
            }
            try cipher.seal(parts, into: &state.sealed, gather: &state.gather)
            state.cipher = cipher
            if flipBit { state.sealed[SyncMessage.lengthPrefixSize + (state.sealed.count - SyncMessage.lengthPrefixSize) / 2] ^= 0x10 }
            try state.sealed.withUnsafeBytes { frame in
                Result { () throws(ReplicationError) in try writeAll([frame]) }
            }.get()
            // Keep the buffers of the usual frames (up to a 4 MiB chunk), not those of an unusual one.
            if state.sealed.capacity > Self.sealedKeptBytes { state.sealed = [] }
        }
    }

    /// The sealed-frame buffer kept between frames at most.
    private static let sealedKeptBytes = 8 << 20

    /// Writes all of `buffers`, in order; the caller holds the send lock.
    private func writeAll(_ buffers: [UnsafeRawBufferPointer]) throws(ReplicationError) {
        let fd = descriptor.load(ordering: .acquiring)
        guard fd >= 0, !shutDown.load(ordering: .acquiring) else {
            throw .connection("sending to \(peer): connection closed locally")
        }
        var vectors = buffers.filter { $0.count > 0 }.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
        var first = 0
        while first < vectors.count {
            let sent = vectors[first...].withUnsafeMutableBufferPointer { pending -> Int in
                var header = msghdr()
                header.msg_iov = pending.baseAddress
                header.msg_iovlen = pending.count
                return sendmsg(fd, &header, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                let code = errno
                if code == EINTR { continue }
                Glibc.shutdown(fd, Int32(SHUT_RDWR))
                if code == EAGAIN || code == EWOULDBLOCK { throw .timedOut("sending to \(peer): the peer stopped reading") }
                throw .connection("sending to \(peer): \(Self.errorText(code))")
            }
            // Drop what the kernel took: whole vectors, then a part of the next.
            var taken = sent
            while first < vectors.count, taken >= vectors[first].iov_len {
                taken -= vectors[first].iov_len
                first += 1
            }
            if taken > 0 {
                vectors[first].iov_base = vectors[first].iov_base.map { $0 + taken }
                vectors[first].iov_len -= taken
            }
        }
    }

    /// The next message, waiting at most `timeout` seconds; nil if no whole frame arrived in time
    /// (the bytes of a partial frame are kept for the next call). Throws `connection` at end of
    /// stream or on a receive error, `protocolViolation` for a bad frame, `authenticationFailed`
    /// for a sealed frame that does not open (the connection is then shut down: nothing more is
    /// read from it).
    public func receive(timeout: Double) throws(ReplicationError) -> SyncMessage? {
        do {
            return try receiveFrames(timeout: timeout)
        } catch {
            if case .authenticationFailed = error { shutdown() }
            throw error
        }
    }

    private func receiveFrames(timeout: Double) throws(ReplicationError) -> SyncMessage? {
        let deadline = ContinuousClock.now + .seconds(max(0, timeout))
        return try receiveState.withLock { (buffer) throws(ReplicationError) -> SyncMessage? in
            while true {
                if let message = try Self.nextMessage(in: &buffer, peer: peer) { return message }
                let fd = descriptor.load(ordering: .acquiring)
                guard fd >= 0 else { throw .connection("receiving from \(peer): connection closed locally") }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&poller, 1, Self.milliseconds(until: deadline))
                if ready < 0, errno == EINTR { continue }
                if ready < 0 { throw .connection("receiving from \(peer): \(Self.errorText(errno))") }
                if ready == 0 { return nil }
                try Self.makeRoom(in: &buffer)
                let end = buffer.end
                let received = buffer.storage.withUnsafeMutableBytes {
                    recv(fd, $0.baseAddress! + end, $0.count - end, Int32(MSG_DONTWAIT))
                }
                if received > 0 {
                    buffer.end += received
                } else if received == 0 {
                    let reason = shutDown.load(ordering: .acquiring) ? "connection shut down locally" : "connection closed by peer"
                    throw .connection("receiving from \(peer): \(reason)")
                } else if errno != EINTR, errno != EAGAIN, errno != EWOULDBLOCK {
                    throw .connection("receiving from \(peer): \(Self.errorText(errno))")
                }
            }
        }
    }

    /// Decodes and removes the first whole frame of `buffer`, if there is one (opening it first
    /// once secured).
    private static func nextMessage(in buffer: inout ReceiveBuffer, peer: String) throws(ReplicationError) -> SyncMessage? {
        let available = buffer.end - buffer.start
        guard available >= SyncMessage.lengthPrefixSize else { return nil }
        let length = try frameLength(buffer)
        guard available >= SyncMessage.lengthPrefixSize + length else { return nil }
        let prefixStart = buffer.start
        let bodyStart = buffer.start + SyncMessage.lengthPrefixSize
        let message: SyncMessage
        if var cipher = buffer.cipher {
            defer { buffer.cipher = cipher }
            try buffer.storage.withUnsafeBytes { bytes in
                Result { () throws(ReplicationError) in
                    try cipher.open(prefix: UnsafeRawBufferPointer(rebasing: bytes[prefixStart..<bodyStart]),
                                    sealed: UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<bodyStart + length]),
                                    into: &buffer.plain, peer: peer)
                }
            }.get()
            message = try buffer.plain.withUnsafeBytes { bytes in
                Result { () throws(ReplicationError) in try SyncMessage.decode(bytes) }
            }.get()
            if buffer.plain.capacity > 8 << 20 { buffer.plain = [] }
        } else {
            message = try buffer.storage.withUnsafeBytes { bytes in
                Result { () throws(ReplicationError) in
                    try SyncMessage.decode(UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<bodyStart + length]))
                }
            }.get()
        }
        buffer.start = bodyStart + length
        if buffer.start == buffer.end {
            buffer.start = 0
            buffer.end = 0
        }
        return message
    }

    /// The length of the frame at the start of `buffer` (after its prefix): plain or sealed.
    private static func frameLength(_ buffer: ReceiveBuffer) throws(ReplicationError) -> Int {
        buffer.cipher == nil ? try SyncMessage.frameLength(prefix: frameLengthPrefix(buffer))
            : try SyncMessage.sealedFrameLength(prefix: frameLengthPrefix(buffer))
    }

    private static func frameLengthPrefix(_ buffer: ReceiveBuffer) -> UInt32 {
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(buffer.storage[buffer.start + i]) << UInt32(8 * i) }
        return value
    }

    /// Makes free space after `end` for at least the rest of the frame in progress: moves the
    /// pending bytes to the front, grows the storage for a large frame, shrinks it after one.
    private static func makeRoom(in buffer: inout ReceiveBuffer) throws(ReplicationError) {
        let defaultSize = 64 * 1024
        let pending = buffer.end - buffer.start
        var needed = defaultSize
        if pending >= SyncMessage.lengthPrefixSize {
            needed = max(needed, SyncMessage.lengthPrefixSize
                         + (try frameLength(buffer)))
        }
        if pending == 0, buffer.storage.count > 4 * defaultSize {
            buffer.storage = [UInt8](repeating: 0, count: defaultSize)  // give back the memory of a large frame
            buffer.start = 0
            buffer.end = 0
        }
        if buffer.start > 0, buffer.storage.count - buffer.start < needed {
            let start = buffer.start
            buffer.storage.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: $0.baseAddress! + start, byteCount: pending) }
            buffer.start = 0
            buffer.end = pending
        }
        if buffer.storage.count - buffer.start < needed {
            buffer.storage.append(contentsOf: repeatElement(0, count: needed - (buffer.storage.count - buffer.start)))
        }
    }

    /// Shuts both directions down: pending and later sends and receives fail, the peer sees end of
    /// stream. The descriptor stays allocated until `close()` or deinit.
    public func shutdown() {
        shutDown.store(true, ordering: .releasing)
        let fd = descriptor.load(ordering: .acquiring)
        if fd >= 0 { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// Shuts the connection down, waits for pending sends and receives to return, then closes the
    /// descriptor. Idempotent.
    public func close() {
        shutdown()
        sendLock.withLock { _ in
            receiveState.withLock { _ in
                let fd = descriptor.exchange(-1, ordering: .acquiringAndReleasing)
                if fd >= 0 { Glibc.close(fd) }
            }
        }
    }
}
