import Glibc
import Testing
@testable import Replication

/// A sync client that controls every byte it sends, for the spy slave tests: it plays the
/// handshake by hand (with the right secret, a wrong one or none), keeps what it saw on the wire,
/// and seals frames itself so that a test can flip, replay, reorder or transplant them as someone
/// between the nodes would.
final class SpyConnection {
    let fd: Int32
    /// Every byte received, as it came over the wire.
    private(set) var wire: [UInt8] = []
    private var pending: [UInt8] = []
    /// After `handshake`: the session's keys and the spy's two ciphers.
    private(set) var keys: SyncSessionKeys?
    var sealer: SyncFrameCipher?
    var opener: SyncFrameCipher?

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw ReplicationError.connection("spy: cannot connect to \(port)")
        }
    }

    deinit { Glibc.close(fd) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }  // the master hung up: what it does with the rest does not matter
            offset += n
        }
    }

    /// The next frame without its prefix (prefix, body), or nil at end of stream or after `timeout` seconds.
    func frame(timeout: Double = 5) -> (prefix: [UInt8], body: [UInt8])? {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while true {
            if pending.count >= 4 {
                let length = Int(pending[0]) | Int(pending[1]) << 8 | Int(pending[2]) << 16 | Int(pending[3]) << 24
                if pending.count >= 4 + length {
                    let frame = (Array(pending[..<4]), Array(pending[4..<4 + length]))
                    pending.removeFirst(4 + length)
                    return frame
                }
            }
            guard let bytes = read(until: deadline), !bytes.isEmpty else { return nil }
            pending += bytes
        }
    }

    /// Bytes that arrive before `deadline`: nil at the deadline, [] at end of stream.
    private func read(until deadline: ContinuousClock.Instant) -> [UInt8]? {
        let left = deadline - ContinuousClock.now
        let milliseconds = max(0, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, milliseconds) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return [] }
        wire += buffer[..<n]
        return Array(buffer[..<n])
    }

    /// The next plain message (the handshake's), nil at end of stream.
    func plainMessage() throws -> SyncMessage? {
        guard let (_, body) = frame() else { return nil }
        return try SyncMessage.decode(body)
    }

    /// Whether the master closed the connection (end of stream within `timeout` seconds), reading
    /// and dropping whatever comes before.
    func isClosedByPeer(within timeout: Double = 5) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            guard let bytes = read(until: deadline) else { return false }
            if bytes.isEmpty { return true }
        }
        return false
    }

    /// The handshake with `secret` (nil: the spy has none and sends a made-up MAC). Returns the
    /// master's answer (`accepted` or `refused`); on `accepted` the keys and ciphers are set.
    /// `proofBytes` receives the proof frame as sent (for replays).
    @discardableResult
    func handshake(secret: SyncSecret?, epoch: UInt64 = 0, proofBytes: ((([UInt8]) -> Void))? = nil) throws -> SyncMessage? {
        guard case .challenge(_, let masterNonce, let masterEpoch)? = try plainMessage() else {
            throw ReplicationError.protocolViolation("spy: no challenge")
        }
        let slaveNonce = SyncHandshake.randomNonce()
        let mac = secret.map {
            SyncHandshake.slaveMAC(secret: $0, masterNonce: masterNonce, slaveNonce: slaveNonce, masterEpoch: masterEpoch, slaveEpoch: epoch)
        } ?? SyncHandshake.randomNonce()
        let proof = SyncMessage.proof(mac: mac, nonce: slaveNonce, epoch: epoch).encoded()
        proofBytes?(proof)
        send(proof)
        let answer = try plainMessage()
        if case .accepted? = answer, let secret {
            let derived = SyncSessionKeys.derive(secret: secret, masterNonce: masterNonce, slaveNonce: slaveNonce)
            keys = derived
            sealer = SyncFrameCipher(key: derived.directions(master: false).sending)
            opener = SyncFrameCipher(key: derived.directions(master: false).receiving)
        }
        return answer
    }

    /// `message` sealed as the spy's next frame (prefix, ciphertext, tag), not sent.
    func seal(_ message: SyncMessage) throws -> [UInt8] {
        let frame = message.encoded()
        var sealed: [UInt8] = [], gather: [UInt8] = []
        try frame.withUnsafeBytes { try sealer!.seal([UnsafeRawBufferPointer(rebasing: $0[4...])], into: &sealed, gather: &gather) }
        return sealed
    }

    /// The next sealed frame from the master, opened; nil at end of stream or timeout.
    func sealedMessage(timeout: Double = 5) throws -> SyncMessage? {
        guard let (prefix, body) = frame(timeout: timeout) else { return nil }
        var plain: [UInt8] = []
        try prefix.withUnsafeBytes { p in
            try body.withUnsafeBytes { b in try opener!.open(prefix: p, sealed: b, into: &plain, peer: "master") }
        }
        return try SyncMessage.decode(plain)
    }

    /// A subscription to both logs from nothing (the master streams everything it has).
    static let subscribeFromNothing = SyncMessage.subscribe(LogKind.allCases.map {
        LogSubscription(kind: $0, identity: 0, length: 0, lastSequence: 0, tailFingerprint: 0)
    })
}
