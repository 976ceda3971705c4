import Glibc
import Namespace
import Testing
import XRootD
@testable import Replication

/// A spy on the sync port of a master (in this process, loopback): without the secret, with a
/// wrong one, or replaying a recorded handshake it pulls nothing; and with frames changed as
/// someone between the nodes would change them (a flipped bit, a replayed frame, two frames
/// swapped, a frame of another session) the master refuses the frame, logs it once and drops the
/// connection before sending anything. Every time the master goes on serving an honest slave, and
/// what crosses the wire after the handshake never shows the namespace in clear.
@Suite(.serialized) struct SpySlaveTests {
    static let secret = SyncSecret(bytes: Array("spy-test-secret".utf8))
    /// A name the master's log holds; it must never cross the wire in clear.
    static let marker = "spy-target-d41d8cd98f00b204"

    /// A forced-open master (its remote never answers) holding `marker`, for `body`.
    static func withMaster(_ body: (ReplicationNode, Namespace) throws -> Void) throws {
        let directory = SyncSecretTests.directory()
        defer { SyncSecretTests.cleanup(directory) }
        let namespace = try Namespace.boot(NamespaceConfiguration(directory: directory, durability: .none))
        defer { namespace.close() }
        _ = try namespace.createContainer("/" + marker + "/inside", missingParents: .create)
        let secretFile = directory + "/secret"
        SyncSecretTests.write(secretFile, secret.bytes, mode: 0o600)
        let listen = Endpoint(host: "127.0.0.1", port: 2), remote = Endpoint(host: "127.0.0.1", port: 1)
        let configuration = ReplicationConfiguration(dataDirectory: directory, listen: listen, master1: listen, master2: remote,
                                                     syncListen: Endpoint(host: "127.0.0.1", port: 0), secretFile: secretFile,
                                                     supervisorInterval: 3600, heartbeatInterval: 0.05)
        let node = try ReplicationNode.start(configuration, namespace: namespace, access: RecordingAccessRules(),
                                             masterLog: namespace.masterLog, role: .masterReadWrite)
        defer { node.stop() }
        guard case .success = node.forceOpen() else { throw ReplicationError.refused("--force did not open the master") }
        try body(node, namespace)
        try expectStillServes(node)
    }

    /// An honest slave session: every data frame opens, the logs arrive, and the marker is in the
    /// opened bytes but not on the wire.
    static func expectStillServes(_ node: ReplicationNode) throws {
        let spy = try SpyConnection(port: node.syncEndpoint.port)
        guard case .accepted? = try spy.handshake(secret: secret) else {
            Issue.record("the master no longer accepts an honest slave")
            return
        }
        spy.send(try spy.seal(SpyConnection.subscribeFromNothing))
        var plain: [UInt8] = []
        var sawHeartbeat = false
        while !sawHeartbeat, let message = try spy.sealedMessage() {
            if case .data(_, _, _, _, let bytes) = message { plain += bytes }
            if case .heartbeat = message { sawHeartbeat = true }
        }
        #expect(sawHeartbeat)
        #expect(contains(plain, marker), "the marker is in the log records shipped")
        #expect(!contains(spy.wire, marker), "the marker crossed the wire in clear")
    }

    static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    /// Lines of the master log that say a frame did not authenticate.
    static func refusals(_ namespace: Namespace) -> Int {
        namespace.masterLog.lines(containing: "does not authenticate").count
    }

    /// Waits (bounded) until the master logged `count` refusals.
    static func expectRefusals(_ namespace: Namespace, _ count: Int) {
        let deadline = ContinuousClock.now + .seconds(5)
        while refusals(namespace) < count, ContinuousClock.now < deadline { usleep(10_000) }
        usleep(50_000)  // a second line would come now
        #expect(refusals(namespace) == count, "\(namespace.masterLog.text)")
    }

    @Test func aSpyWithoutTheSecretPullsNothing() throws {
        try Self.withMaster { node, _ in
            let spy = try SpyConnection(port: node.syncEndpoint.port)
            #expect(try spy.handshake(secret: nil) == .refused(reason: SyncHandshake.authenticationFailedReason))
            #expect(spy.isClosedByPeer())
            #expect(!Self.contains(spy.wire, Self.marker))
        }
    }

    @Test func aSpyWithTheWrongSecretPullsNothing() throws {
        try Self.withMaster { node, _ in
            let spy = try SpyConnection(port: node.syncEndpoint.port)
            let wrong = SyncSecret(bytes: Array("spy-test-secreT".utf8))
            #expect(try spy.handshake(secret: wrong) == .refused(reason: SyncHandshake.authenticationFailedReason))
            #expect(spy.isClosedByPeer())
        }
    }

    @Test func replayedHandshakeBytesPullNothing() throws {
        try Self.withMaster { node, _ in
            // An honest slave's first bytes after the challenge, recorded...
            let honest = try SpyConnection(port: node.syncEndpoint.port)
            var recorded: [UInt8] = []
            #expect(try honest.handshake(secret: Self.secret, proofBytes: { recorded = $0 }) != nil)
            let subscribe = try honest.seal(SpyConnection.subscribeFromNothing)
            recorded += subscribe
            // ...and played again on a new connection: the master's nonce is new, the proof is stale.
            let spy = try SpyConnection(port: node.syncEndpoint.port)
            guard case .challenge? = try spy.plainMessage() else {
                Issue.record("no challenge")
                return
            }
            spy.send(recorded)
            #expect(try spy.plainMessage() == .refused(reason: SyncHandshake.authenticationFailedReason))
            #expect(spy.isClosedByPeer())
            #expect(!Self.contains(spy.wire, Self.marker))
        }
    }

    @Test func aFlippedBitInAFrameIsRefusedAndLoggedOnce() throws {
        try Self.withMaster { node, namespace in
            let spy = try SpyConnection(port: node.syncEndpoint.port)
            #expect(try spy.handshake(secret: Self.secret) != nil)
            var frame = try spy.seal(SpyConnection.subscribeFromNothing)
            frame[frame.count / 2] ^= 0x04
            spy.send(frame)
            #expect(spy.isClosedByPeer())
            #expect(spy.wire.count < 200, "the master sent \(spy.wire.count) bytes: more than the handshake")
            Self.expectRefusals(namespace, 1)
        }
    }

    @Test func aReplayedFrameIsRefused() throws {
        try Self.withMaster { node, namespace in
            let spy = try SpyConnection(port: node.syncEndpoint.port)
            #expect(try spy.handshake(secret: Self.secret) != nil)
            let acknowledge = try spy.seal(.acknowledge([]))
            spy.send(try spy.seal(SpyConnection.subscribeFromNothing))
            spy.send(acknowledge)
            spy.send(acknowledge)  // the same frame again: its sequence number is behind
            #expect(spy.isClosedByPeer())
            #expect(!Self.contains(spy.wire, Self.marker))
            Self.expectRefusals(namespace, 1)
        }
    }

    @Test func reorderedFramesAreRefused() throws {
        try Self.withMaster { node, namespace in
            let spy = try SpyConnection(port: node.syncEndpoint.port)
            #expect(try spy.handshake(secret: Self.secret) != nil)
            let subscribe = try spy.seal(SpyConnection.subscribeFromNothing)
            let acknowledge = try spy.seal(.acknowledge([]))
            spy.send(acknowledge + subscribe)
            #expect(spy.isClosedByPeer())
            #expect(spy.wire.count < 200, "the master sent \(spy.wire.count) bytes: more than the handshake")
            Self.expectRefusals(namespace, 1)
        }
    }

    @Test func aFrameFromAnotherSessionIsRefused() throws {
        try Self.withMaster { node, namespace in
            let first = try SpyConnection(port: node.syncEndpoint.port)
            #expect(try first.handshake(secret: Self.secret) != nil)
            let transplanted = try first.seal(SpyConnection.subscribeFromNothing)
            let second = try SpyConnection(port: node.syncEndpoint.port)
            #expect(try second.handshake(secret: Self.secret) != nil)
            second.send(transplanted)  // sealed under the first session's keys
            #expect(second.isClosedByPeer())
            #expect(second.wire.count < 200, "the master sent \(second.wire.count) bytes: more than the handshake")
            Self.expectRefusals(namespace, 1)
        }
    }

    @Test func aProbeLearnsTheRoleUnderTheMACAndIsNoFollower() throws {
        try Self.withMaster { node, namespace in
            let status = RemoteProbe.handshake(with: node.syncEndpoint, secret: Self.secret, timeout: 2)
            #expect(status?.state == .masterReadWrite)
            #expect(status?.epoch == node.currentEpoch)
            #expect(RemoteProbe.handshake(with: node.syncEndpoint, secret: SyncSecret(bytes: [1]), timeout: 2) == nil)
            usleep(100_000)
            #expect(namespace.masterLog.lines(containing: "connected (epoch").isEmpty, "a probe counted as a follower")
        }
    }
}
