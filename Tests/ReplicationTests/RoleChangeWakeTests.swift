import Glibc
import Namespace
import Testing
import XRootD
@testable import Replication

/// A master that stops accepting writes (`ns master`, step 1) tells its slaves at once: the
/// promotion on the slave waits for a heartbeat carrying `master-ro`, so that heartbeat must not
/// wait for the idle heartbeat interval (step 2 of a role change took up to 100 ms on an idle
/// master, the default interval, before the fix).
@Suite struct RoleChangeWakeTests {
    @Test func demotionIsSentWithoutWaitingForTheHeartbeatInterval() throws {
        let directory = SyncSecretTests.directory()
        defer { SyncSecretTests.cleanup(directory) }
        let namespace = try Namespace.boot(NamespaceConfiguration(directory: directory, durability: .none))
        defer { namespace.close() }
        // A pair whose remote never answers (port 1 on loopback: refused at once), opened by force.
        let secretFile = directory + "/secret"
        SyncSecretTests.write(secretFile, Array("wake-secret\n".utf8), mode: 0o600)
        let listen = Endpoint(host: "127.0.0.1", port: 2), remote = Endpoint(host: "127.0.0.1", port: 1)
        let configuration = ReplicationConfiguration(dataDirectory: directory, listen: listen, master1: listen, master2: remote,
                                                     syncListen: Endpoint(host: "127.0.0.1", port: 0), secretFile: secretFile,
                                                     supervisorInterval: 3600, heartbeatInterval: 30)
        let access = RecordingAccessRules()
        let node = try ReplicationNode.start(configuration, namespace: namespace, access: access,
                                             masterLog: namespace.masterLog, role: .masterReadWrite)
        defer { node.stop() }
        #expect(node.currentState == .masterReadOnly, "a master tag whose remote does not answer starts read-only")
        #expect(access.current.writeStall == configuration.stallSeconds, "a read-only master stalls writes")
        guard case .success = node.forceOpen() else { Issue.record("--force did not open the master"); return }
        #expect(node.currentState == .masterReadWrite)
        #expect(access.current.writeStall == nil, "an open master stalls nothing")

        let socket = try SyncSocket.connect(host: "127.0.0.1", port: node.syncEndpoint.port, timeout: 2)
        defer { socket.close() }
        _ = try SyncHandshake.runSlave(on: socket, secret: try SyncSecret.load(from: secretFile), epoch: 0, timeout: 5)
        try socket.send(.subscribe(LogKind.allCases.map {
            LogSubscription(kind: $0, identity: 0, length: 0, lastSequence: 0, tailFingerprint: 0)
        }))
        // The stream starts with the logs and one heartbeat (master-rw); then it is idle.
        var sawFirstHeartbeat = false
        while !sawFirstHeartbeat, let message = try socket.receive(timeout: 5) {
            if case .heartbeat(_, let state, _, _) = message {
                #expect(state == .masterReadWrite)
                sawFirstHeartbeat = true
            }
        }
        #expect(sawFirstHeartbeat)
        usleep(100_000)

        node.setWritable(false)
        // (supervisorInterval is an hour: only the demotion above changes the state.)
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        var announced = false
        while !announced, let message = try socket.receive(timeout: 2) {
            if case .heartbeat(_, let state, _, _) = message, state == .masterReadOnly { announced = true }
        }
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &end)
        let seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
        #expect(announced, "no master-ro heartbeat within 2 s (the heartbeat interval is 30 s)")
        #expect(seconds < 1)
    }
}
