import Namespace

/// Mutual challenge-response authentication at the start of a sync connection, then the keys of
/// the session. Each side proves it knows the shared secret by a MAC over both nonces and both
/// epochs (and the master's role); the secret never crosses the wire and neither proof can be
/// replayed (the other side's nonce is fresh) or reflected (the two MACs use different labels and
/// nonce orders). Epochs and role are covered so that nobody on the path can fence a node.
///
///     master -> slave   challenge(version: 2, nonce: Nm, epoch: Em)
///     slave  -> master  proof(mac: HMAC(secret, "beryl-sync-slave" ++ Nm ++ Ns ++ Em ++ Es), nonce: Ns, epoch: Es)
///     master -> slave   accepted(mac: HMAC(secret, "beryl-sync-master" ++ Ns ++ Nm ++ Em ++ Es ++ state), epoch: Em, state:)
///                       or refused("authentication failed"), then the master shuts the connection down
///
/// After `accepted` both sides seal every frame (`SyncFrameCipher`) with keys derived from the
/// secret and both nonces (`SyncSessionKeys`): every byte after the handshake is encrypted and
/// authenticated, with a sequence number per frame and direction against replay and reordering.
public enum SyncHandshake {
    /// The protocol version this side speaks.
    public static let version: UInt16 = SyncMessage.protocolVersion
    /// The reason the master sends in `refused` when the slave's proof is wrong.
    public static let authenticationFailedReason = "authentication failed"

    /// The master's side: challenges, checks the slave's proof, answers `accepted` with its own
    /// proof, epoch and `state`. Returns the slave's epoch. On a wrong proof it answers `refused`,
    /// shuts the connection down and throws `authenticationFailed`. The whole exchange takes at most
    /// `timeout` seconds.
    public static func runMaster(on socket: SyncSocket, secret: SyncSecret, epoch: UInt64, state: Role,
                                 timeout: Double) throws(ReplicationError) -> UInt64 {
        let deadline = ContinuousClock.now + .seconds(max(0, timeout))
        let masterNonce = randomNonce()
        try socket.send(.challenge(version: version, nonce: masterNonce, epoch: epoch))
        let answer = try receive(on: socket, until: deadline, waitingFor: "the slave's proof")
        guard case .proof(let mac, let slaveNonce, let slaveEpoch) = answer else {
            throw refuse(socket, unexpected: answer, expected: "proof")
        }
        guard SyncMAC.isValid(mac, for: slaveMessage(masterNonce: masterNonce, slaveNonce: slaveNonce, masterEpoch: epoch,
                                                     slaveEpoch: slaveEpoch), key: secret.bytes) else {
            try? socket.send(.refused(reason: authenticationFailedReason))
            socket.shutdown()
            throw .authenticationFailed("the slave at \(socket.peer) sent a proof that does not match the shared secret")
        }
        try socket.send(.accepted(mac: masterMAC(secret: secret, masterNonce: masterNonce, slaveNonce: slaveNonce,
                                                 masterEpoch: epoch, slaveEpoch: slaveEpoch, state: state),
                                  epoch: epoch, state: state))
        socket.secure(with: SyncSessionKeys.derive(secret: secret, masterNonce: masterNonce, slaveNonce: slaveNonce), master: true)
        return slaveEpoch
    }

    /// The slave's side: answers the master's challenge with its proof and `epoch`, then checks the
    /// master's proof. Returns the master's epoch and role. Throws `refused` when the master refuses
    /// (its reason is `authenticationFailedReason` for a wrong secret), `authenticationFailed` when
    /// the master's proof is wrong. The whole exchange takes at most `timeout` seconds.
    public static func runSlave(on socket: SyncSocket, secret: SyncSecret, epoch: UInt64,
                                timeout: Double) throws(ReplicationError) -> (masterEpoch: UInt64, state: Role) {
        let deadline = ContinuousClock.now + .seconds(max(0, timeout))
        let challenge = try receive(on: socket, until: deadline, waitingFor: "the master's challenge")
        guard case .challenge(let masterVersion, let masterNonce, let masterEpoch) = challenge else {
            throw refuse(socket, unexpected: challenge, expected: "challenge")
        }
        guard masterVersion == version else {
            let reason = "unsupported sync protocol version \(masterVersion) (this slave speaks \(version))"
            try? socket.send(.refused(reason: reason))
            socket.shutdown()
            throw .protocolViolation(reason)
        }
        let slaveNonce = randomNonce()
        try socket.send(.proof(mac: slaveMAC(secret: secret, masterNonce: masterNonce, slaveNonce: slaveNonce,
                                             masterEpoch: masterEpoch, slaveEpoch: epoch),
                               nonce: slaveNonce, epoch: epoch))
        let answer = try receive(on: socket, until: deadline, waitingFor: "the master's answer to our proof")
        guard case .accepted(let mac, let acceptedEpoch, let state) = answer else {
            throw refuse(socket, unexpected: answer, expected: "accepted")
        }
        guard acceptedEpoch == masterEpoch else {
            throw .protocolViolation("the master's epoch changed during the handshake: \(masterEpoch) in challenge, "
                + "\(acceptedEpoch) in accepted")
        }
        guard SyncMAC.isValid(mac, for: masterMessage(masterNonce: masterNonce, slaveNonce: slaveNonce, masterEpoch: masterEpoch,
                                                      slaveEpoch: epoch, state: state), key: secret.bytes) else {
            try? socket.send(.refused(reason: authenticationFailedReason))
            socket.shutdown()
            throw .authenticationFailed("the master at \(socket.peer) sent a proof that does not match the shared secret")
        }
        socket.secure(with: SyncSessionKeys.derive(secret: secret, masterNonce: masterNonce, slaveNonce: slaveNonce), master: false)
        return (masterEpoch, state)
    }

    /// HMAC(secret, "beryl-sync-slave" ++ master nonce ++ slave nonce ++ master epoch ++ slave
    /// epoch): the slave's proof (epochs as u64 little endian).
    public static func slaveMAC(secret: SyncSecret, masterNonce: [UInt8], slaveNonce: [UInt8], masterEpoch: UInt64,
                                slaveEpoch: UInt64) -> [UInt8] {
        SyncMAC.code(for: slaveMessage(masterNonce: masterNonce, slaveNonce: slaveNonce, masterEpoch: masterEpoch,
                                       slaveEpoch: slaveEpoch), key: secret.bytes)
    }

    /// HMAC(secret, "beryl-sync-master" ++ slave nonce ++ master nonce ++ master epoch ++ slave
    /// epoch ++ state): the master's proof, which also vouches for the epoch and role it announces.
    public static func masterMAC(secret: SyncSecret, masterNonce: [UInt8], slaveNonce: [UInt8], masterEpoch: UInt64,
                                 slaveEpoch: UInt64, state: Role) -> [UInt8] {
        SyncMAC.code(for: masterMessage(masterNonce: masterNonce, slaveNonce: slaveNonce, masterEpoch: masterEpoch,
                                        slaveEpoch: slaveEpoch, state: state), key: secret.bytes)
    }

    /// What the slave's proof authenticates (the label keeps the two directions apart).
    static func slaveMessage(masterNonce: [UInt8], slaveNonce: [UInt8], masterEpoch: UInt64, slaveEpoch: UInt64) -> [UInt8] {
        var message = Array("beryl-sync-slave".utf8) + masterNonce + slaveNonce
        message.appendLittleEndian(masterEpoch)
        message.appendLittleEndian(slaveEpoch)
        return message
    }

    /// What the master's proof authenticates.
    static func masterMessage(masterNonce: [UInt8], slaveNonce: [UInt8], masterEpoch: UInt64, slaveEpoch: UInt64,
                              state: Role) -> [UInt8] {
        var message = Array("beryl-sync-master".utf8) + slaveNonce + masterNonce
        message.appendLittleEndian(masterEpoch)
        message.appendLittleEndian(slaveEpoch)
        message.append(state.code)
        return message
    }

    /// 32 bytes from the system's cryptographic generator.
    static func randomNonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var nonce: [UInt8] = []
        nonce.reserveCapacity(SyncMessage.nonceSize)
        for _ in 0..<SyncMessage.nonceSize / 8 {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) { nonce.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return nonce
    }

    /// The next message before `deadline`; `timedOut` if none comes.
    private static func receive(on socket: SyncSocket, until deadline: ContinuousClock.Instant,
                                waitingFor what: String) throws(ReplicationError) -> SyncMessage {
        let remaining = deadline - ContinuousClock.now
        let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) * 1e-18
        guard let message = try socket.receive(timeout: max(0, seconds)) else {
            throw .timedOut("waiting for \(what) from \(socket.peer)")
        }
        return message
    }

    /// The error for `message` arriving instead of `expected`: the peer's own refusal or error, or
    /// a protocol violation (which is reported to the peer before the connection is shut down).
    private static func refuse(_ socket: SyncSocket, unexpected message: SyncMessage, expected: String) -> ReplicationError {
        switch message {
        case .refused(let reason):
            return .refused(reason)
        case .error(let text):
            return .refused("error from \(socket.peer): \(text)")
        default:
            let reason = "expected \(expected) during the handshake, got \(message.name)"
            try? socket.send(.refused(reason: reason))
            socket.shutdown()
            return .protocolViolation(reason)
        }
    }
}
