import Namespace
import Testing
@testable import Replication

/// The handshake over real loopback connections, each side on its own thread, with honest peers,
/// peers holding the wrong secret, and peers that misbehave.
@Suite struct SyncHandshakeTests {
    static let secret = SyncSecret(bytes: Array("correct horse battery staple".utf8))
    static let otherSecret = SyncSecret(bytes: Array("correct horse battery stapler".utf8))

    typealias Outcome<T: Sendable> = Result<T, ReplicationError>

    /// Runs `master` on an accepted connection (its own thread) and `slave` on the connecting side.
    static func session<M: Sendable, S: Sendable>(
        master: @escaping @Sendable (SyncSocket) throws(ReplicationError) -> M,
        slave: @escaping @Sendable (SyncSocket) throws(ReplicationError) -> S
    ) throws -> (master: Outcome<M>, slave: Outcome<S>) {
        let listener = try SyncListener.listen(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let masterThread = TestThread.start { () -> Outcome<M> in
            Result { () throws(ReplicationError) -> M in
                guard let (socket, _) = try listener.accept(timeout: 5) else { throw .timedOut("accept") }
                defer { socket.close() }
                return try master(socket)
            }
        }
        let slaveOutcome = Result { () throws(ReplicationError) -> S in
            let socket = try SyncSocket.connect(host: "127.0.0.1", port: listener.port, timeout: 2)
            defer { socket.close() }
            return try slave(socket)
        }
        return (masterThread.join(), slaveOutcome)
    }

    static func runMaster(_ secret: SyncSecret, epoch: UInt64 = 5, timeout: Double = 2)
        -> @Sendable (SyncSocket) throws(ReplicationError) -> UInt64 {
        { (socket) throws(ReplicationError) in
            try SyncHandshake.runMaster(on: socket, secret: secret, epoch: epoch, state: .masterReadWrite, timeout: timeout)
        }
    }

    static func runSlave(_ secret: SyncSecret, epoch: UInt64 = 3, timeout: Double = 2)
        -> @Sendable (SyncSocket) throws(ReplicationError) -> SyncHandshakeResult {
        { (socket) throws(ReplicationError) in
            let result = try SyncHandshake.runSlave(on: socket, secret: secret, epoch: epoch, timeout: timeout)
            return SyncHandshakeResult(masterEpoch: result.masterEpoch, state: result.state)
        }
    }

    struct SyncHandshakeResult: Sendable, Equatable {
        var masterEpoch: UInt64
        var state: Role
    }

    /// The error of a failed outcome, recording an issue if it succeeded.
    static func failure<T>(_ outcome: Outcome<T>, _ side: String) -> ReplicationError? {
        switch outcome {
        case .success(let value):
            Issue.record("\(side) succeeded with \(value)")
            return nil
        case .failure(let error):
            return error
        }
    }

    @Test func rightSecretAuthenticatesBothSidesAndTheConnectionGoesOn() throws {
        let outcome = try Self.session(
            master: { (socket) throws(ReplicationError) -> UInt64 in
                let slaveEpoch = try Self.runMaster(Self.secret, epoch: 11)(socket)
                guard case .subscribe(let subscriptions)? = try socket.receive(timeout: 2) else { throw .protocolViolation("no subscribe") }
                #expect(subscriptions.count == 2)
                return slaveEpoch
            },
            slave: { (socket) throws(ReplicationError) -> SyncHandshakeResult in
                let result = try Self.runSlave(Self.secret, epoch: 7)(socket)
                try socket.send(.subscribe(LogKind.allCases.map {
                    LogSubscription(kind: $0, identity: 0, length: 0, lastSequence: 0, tailFingerprint: 0)
                }))
                return result
            })
        #expect(try outcome.master.get() == 7)
        #expect(try outcome.slave.get() == SyncHandshakeResult(masterEpoch: 11, state: .masterReadWrite))
    }

    @Test func wrongSecretIsRefusedOnBothSides() throws {
        let outcome = try Self.session(master: Self.runMaster(Self.secret), slave: Self.runSlave(Self.otherSecret))
        guard case .authenticationFailed(let reason)? = Self.failure(outcome.master, "master") else {
            Issue.record("master: \(outcome.master)")
            return
        }
        #expect(reason.contains("127.0.0.1"))
        #expect(Self.failure(outcome.slave, "slave") == .refused(SyncHandshake.authenticationFailedReason))
    }

    @Test func slaveRejectsAMasterThatCannotProveTheSecret() throws {
        // An impostor master accepts any proof and answers with a MAC it cannot compute.
        let outcome = try Self.session(
            master: { (socket) throws(ReplicationError) -> SyncMessage? in
                try socket.send(.challenge(version: SyncHandshake.version, nonce: SyncHandshake.randomNonce(), epoch: 99))
                guard case .proof? = try socket.receive(timeout: 2) else { throw .protocolViolation("no proof") }
                try socket.send(.accepted(mac: SyncHandshake.randomNonce(), epoch: 99, state: .masterReadWrite))
                return try socket.receive(timeout: 2)
            },
            slave: Self.runSlave(Self.secret))
        guard case .authenticationFailed? = Self.failure(outcome.slave, "slave") else {
            Issue.record("slave: \(outcome.slave)")
            return
        }
        #expect(try outcome.master.get() == .refused(reason: SyncHandshake.authenticationFailedReason))
    }

    @Test func masterWithTheOtherSecretIsCaughtByTheSlaveToo() throws {
        // Both checks matter: here the master is the impostor, computing its MAC with the other secret.
        let outcome = try Self.session(
            master: { (socket) throws(ReplicationError) -> Void in
                let nonce = SyncHandshake.randomNonce()
                try socket.send(.challenge(version: SyncHandshake.version, nonce: nonce, epoch: 1))
                guard case .proof(_, let slaveNonce, let slaveEpoch)? = try socket.receive(timeout: 2) else { throw .protocolViolation("no proof") }
                let mac = SyncHandshake.masterMAC(secret: Self.otherSecret, masterNonce: nonce, slaveNonce: slaveNonce,
                                                  masterEpoch: 1, slaveEpoch: slaveEpoch, state: .masterReadOnly)
                try socket.send(.accepted(mac: mac, epoch: 1, state: .masterReadOnly))
            },
            slave: Self.runSlave(Self.secret))
        guard case .authenticationFailed? = Self.failure(outcome.slave, "slave") else {
            Issue.record("slave: \(outcome.slave)")
            return
        }
    }

    @Test func aReplayedProofFails() throws {
        // A proof is bound to the master's fresh nonce: one computed for another nonce is refused.
        let outcome = try Self.session(
            master: Self.runMaster(Self.secret),
            slave: { (socket) throws(ReplicationError) -> SyncMessage? in
                guard case .challenge? = try socket.receive(timeout: 2) else { throw .protocolViolation("no challenge") }
                let slaveNonce = SyncHandshake.randomNonce()
                let stale = SyncHandshake.slaveMAC(secret: Self.secret, masterNonce: SyncHandshake.randomNonce(), slaveNonce: slaveNonce,
                                                   masterEpoch: 5, slaveEpoch: 1)
                try socket.send(.proof(mac: stale, nonce: slaveNonce, epoch: 1))
                return try socket.receive(timeout: 2)
            })
        guard case .authenticationFailed? = Self.failure(outcome.master, "master") else {
            Issue.record("master: \(outcome.master)")
            return
        }
        #expect(try outcome.slave.get() == .refused(reason: SyncHandshake.authenticationFailedReason))
    }

    @Test func garbageFromTheSlaveIsAProtocolViolation() throws {
        let outcome = try Self.session(
            master: Self.runMaster(Self.secret),
            slave: { (socket) throws(ReplicationError) -> Void in
                _ = try socket.receive(timeout: 2)
                try socket.sendRaw([5, 0, 0, 0, 0xEE, 1, 2, 3, 4])  // unknown type 0xEE
                _ = try? socket.receive(timeout: 2)
            })
        guard case .protocolViolation(let reason)? = Self.failure(outcome.master, "master") else {
            Issue.record("master: \(outcome.master)")
            return
        }
        #expect(reason.contains("unknown message type 238"))
    }

    @Test func garbageFromTheMasterIsAProtocolViolation() throws {
        let outcome = try Self.session(
            master: { (socket) throws(ReplicationError) -> Void in
                try socket.sendRaw([0xFF, 0xFF, 0xFF, 0xFF, 1])  // a length far above the maximum
                _ = try? socket.receive(timeout: 2)
            },
            slave: Self.runSlave(Self.secret))
        guard case .protocolViolation(let reason)? = Self.failure(outcome.slave, "slave") else {
            Issue.record("slave: \(outcome.slave)")
            return
        }
        #expect(reason.contains("4294967295"))
    }

    @Test func theWrongMessageIsRefusedWithAReason() throws {
        let outcome = try Self.session(
            master: Self.runMaster(Self.secret),
            slave: { (socket) throws(ReplicationError) -> SyncMessage? in
                _ = try socket.receive(timeout: 2)
                try socket.send(.subscribe([]))
                return try socket.receive(timeout: 2)
            })
        #expect(Self.failure(outcome.master, "master") == .protocolViolation("expected proof during the handshake, got subscribe"))
        #expect(try outcome.slave.get() == .refused(reason: "expected proof during the handshake, got subscribe"))
    }

    @Test func anUnknownVersionIsRefusedByTheSlave() throws {
        let outcome = try Self.session(
            master: { (socket) throws(ReplicationError) -> SyncMessage? in
                try socket.send(.challenge(version: 1, nonce: SyncHandshake.randomNonce(), epoch: 1))
                return try socket.receive(timeout: 2)
            },
            slave: Self.runSlave(Self.secret))
        guard case .protocolViolation(let reason)? = Self.failure(outcome.slave, "slave") else {
            Issue.record("slave: \(outcome.slave)")
            return
        }
        #expect(reason.contains("version 1"), "a slave of protocol 2 refuses a master of protocol 1 (unsealed frames)")
        #expect(try outcome.master.get() == .refused(reason: reason))
    }

    @Test func aPeerThatClosesMidHandshakeIsAConnectionError() throws {
        let slaveCloses = try Self.session(
            master: Self.runMaster(Self.secret),
            slave: { (socket) throws(ReplicationError) -> Void in
                _ = try socket.receive(timeout: 2)
                socket.close()
            })
        guard case .connection? = Self.failure(slaveCloses.master, "master") else {
            Issue.record("master: \(slaveCloses.master)")
            return
        }
        let masterCloses = try Self.session(
            master: { (socket) throws(ReplicationError) -> Void in
                try socket.send(.challenge(version: SyncHandshake.version, nonce: SyncHandshake.randomNonce(), epoch: 1))
                _ = try socket.receive(timeout: 2)
                socket.close()
            },
            slave: Self.runSlave(Self.secret))
        guard case .connection? = Self.failure(masterCloses.slave, "slave") else {
            Issue.record("slave: \(masterCloses.slave)")
            return
        }
    }

    @Test func aSilentPeerTimesOutInsteadOfHanging() throws {
        let started = ContinuousClock.now
        let silentSlave = try Self.session(
            master: Self.runMaster(Self.secret, timeout: 0.3),
            slave: { (socket) throws(ReplicationError) -> Void in
                while (try? socket.receive(timeout: 2)) != nil {}  // reads the challenge, answers nothing
            })
        guard case .timedOut(let what)? = Self.failure(silentSlave.master, "master") else {
            Issue.record("master: \(silentSlave.master)")
            return
        }
        #expect(what.contains("proof"))
        let silentMaster = try Self.session(
            master: { (socket) throws(ReplicationError) -> Void in _ = try? socket.receive(timeout: 2) },
            slave: Self.runSlave(Self.secret, timeout: 0.3))
        guard case .timedOut(let waited)? = Self.failure(silentMaster.slave, "slave") else {
            Issue.record("slave: \(silentMaster.slave)")
            return
        }
        #expect(waited.contains("challenge"))
        #expect(ContinuousClock.now - started < .seconds(6))
    }

    @Test func noncesAreFreshAndMACsDifferByDirection() {
        let a = SyncHandshake.randomNonce(), b = SyncHandshake.randomNonce()
        #expect(a.count == 32 && a != b)
        #expect(SyncHandshake.slaveMAC(secret: Self.secret, masterNonce: a, slaveNonce: b, masterEpoch: 1, slaveEpoch: 1)
                != SyncHandshake.masterMAC(secret: Self.secret, masterNonce: b, slaveNonce: a, masterEpoch: 1, slaveEpoch: 1,
                                           state: .masterReadWrite))
        // The epochs are covered: a proof for other epochs is another proof.
        #expect(SyncHandshake.slaveMAC(secret: Self.secret, masterNonce: a, slaveNonce: b, masterEpoch: 1, slaveEpoch: 1)
                != SyncHandshake.slaveMAC(secret: Self.secret, masterNonce: a, slaveNonce: b, masterEpoch: 1, slaveEpoch: 9))
    }
}
