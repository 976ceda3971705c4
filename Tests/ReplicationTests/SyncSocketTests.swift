import BerylTestSupport
import Glibc
import Namespace
import Testing
@testable import Replication

/// SyncSocket and SyncListener over real loopback connections.
@Suite struct SyncSocketTests {
    /// A connected pair over 127.0.0.1 (or `host`): (client side, server side).
    static func pair(host: String = "127.0.0.1") throws -> (SyncSocket, SyncSocket) {
        let listener = try SyncListener.listen(host: host, port: 0)
        defer { listener.close() }
        let port = listener.port
        let client = TestThread.start { Result { () throws(ReplicationError) in try SyncSocket.connect(host: host, port: port, timeout: 2) } }
        guard let (server, _) = try listener.accept(timeout: 2) else { throw ReplicationError.timedOut("accept") }
        return (try client.join().get(), server)
    }

    @Test func everyMessageCrossesBothWays() throws {
        let (client, server) = try Self.pair()
        defer { client.close(); server.close() }
        for message in SyncMessageTests.samples {
            try client.send(message)
            #expect(try server.receive(timeout: 2) == message)
            try server.send(message)
            #expect(try client.receive(timeout: 2) == message)
        }
    }

    @Test func manyFramesInOneSendAreSplitApart() throws {
        let (client, server) = try Self.pair()
        defer { client.close(); server.close() }
        try client.sendRaw(SyncMessageTests.samples.flatMap { $0.encoded() })
        for message in SyncMessageTests.samples { #expect(try server.receive(timeout: 2) == message) }
        #expect(try server.receive(timeout: 0.05) == nil)
    }

    @Test func partialFrameIsKeptAcrossTimeouts() throws {
        let (client, server) = try Self.pair()
        defer { client.close(); server.close() }
        let frame = SyncMessage.error(message: "split in three").encoded()
        try client.sendRaw(Array(frame[..<2]))
        #expect(try server.receive(timeout: 0.05) == nil)
        try client.sendRaw(Array(frame[2..<9]))
        #expect(try server.receive(timeout: 0.05) == nil)
        try client.sendRaw(Array(frame[9...]))
        #expect(try server.receive(timeout: 2) == .error(message: "split in three"))
    }

    @Test func largeDataFramesWhileTheOtherSideSends() throws {
        let (client, server) = try Self.pair()
        defer { client.close(); server.close() }
        let payload = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        // The server receives big frames while it sends heartbeats from another thread.
        let sender = TestThread.start {
            Result { () throws(ReplicationError) in
                for i in 0..<3 {
                    try payload.withUnsafeBytes { bytes in
                        Result { () throws(ReplicationError) in
                            try client.sendData(kind: .files, identity: 1, offset: UInt64(i), masterTimeNanoseconds: 0, bytes: bytes)
                        }
                    }.get()
                }
                try client.send(.data(kind: .directories, identity: 2, offset: 3, masterTimeNanoseconds: 4, bytes: Array(payload.prefix(1000))))
            }
        }
        let beats = TestThread.start {
            Result { () throws(ReplicationError) in
                for i in 0..<200 { try server.send(.heartbeat(epoch: UInt64(i), state: .masterReadWrite, masterTimeNanoseconds: 0, ends: [])) }
            }
        }
        for i in 0..<3 {
            guard case .data(_, _, let offset, _, let bytes)? = try server.receive(timeout: 10) else {
                Issue.record("no data frame \(i)")
                return
            }
            #expect(offset == UInt64(i))
            #expect(bytes == payload)
        }
        guard case .data(let kind, _, _, _, let bytes)? = try server.receive(timeout: 10) else {
            Issue.record("no small data frame")
            return
        }
        #expect(kind == .directories && bytes == Array(payload.prefix(1000)))
        try sender.join().get()
        try beats.join().get()
        for i in 0..<200 {
            guard case .heartbeat(let epoch, _, _, _)? = try client.receive(timeout: 2) else {
                Issue.record("heartbeat \(i) missing")
                return
            }
            #expect(epoch == UInt64(i))
        }
    }

    @Test func peerCloseIsAConnectionError() throws {
        let (client, server) = try Self.pair()
        defer { server.close() }
        client.close()
        #expect { try server.receive(timeout: 2) } throws: { error in
            guard case .connection(let reason) = error as? ReplicationError else { return false }
            return reason.contains("closed by peer")
        }
    }

    @Test func oversizedFrameLengthIsAViolation() throws {
        let (client, server) = try Self.pair()
        defer { client.close(); server.close() }
        let length = UInt32(SyncMessage.maximumFrame + 1)
        try client.sendRaw([UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24), 7])
        #expect { try server.receive(timeout: 2) } throws: { error in
            guard case .protocolViolation(let reason) = error as? ReplicationError else { return false }
            return reason.contains("\(length)")
        }
    }

    @Test func shutdownWakesABlockedReceiverAndCloseIsIdempotent() throws {
        let (client, server) = try Self.pair()
        defer { client.close() }
        let receiver = TestThread.start { Result { () throws(ReplicationError) in try server.receive(timeout: 30) } }
        usleep(50_000)
        let started = ContinuousClock.now
        server.close()
        #expect(throws: ReplicationError.self) { try receiver.join().get() }
        #expect(ContinuousClock.now - started < .seconds(5))
        server.close()
        #expect(throws: ReplicationError.self) { try server.send(.acknowledge([])) }
        #expect(throws: ReplicationError.self) { try server.receive(timeout: 0) }
    }

    @Test func connectingToAClosedPortIsRefused() throws {
        let listener = try SyncListener.listen(host: "127.0.0.1", port: 0)
        let port = listener.port
        listener.close()
        #expect { try SyncSocket.connect(host: "127.0.0.1", port: port, timeout: 2) } throws: { error in
            guard case .connection(let reason) = error as? ReplicationError else { return false }
            return reason.contains("refused") && reason.contains("127.0.0.1:\(port)")
        }
    }

    @Test func connectNeverHangsPastItsTimeout() throws {
        // A listener with backlog 0 that never accepts: once its queue is full, the kernel drops
        // further SYNs, so a connect can only time out. (A non-routable address does not do here:
        // sandboxes may answer any address.)
        let (fd, port) = try #require(boundLoopbackSocket())
        defer { close(fd) }
        try #require(listen(fd, 0) == 0)
        var queued: [SyncSocket] = []
        defer { queued.forEach { $0.close() } }
        for _ in 0..<8 {
            let started = ContinuousClock.now
            do {
                queued.append(try SyncSocket.connect(host: "127.0.0.1", port: port, timeout: 0.3))
            } catch {
                #expect(error == .timedOut("connecting to 127.0.0.1:\(port) (0.3 s)"))
                #expect(ContinuousClock.now - started < .seconds(2))
                return
            }
        }
        Issue.record("\(queued.count) connections to a backlog-0 listener, none timed out")
    }

    @Test func namesAndIPv6Literals() throws {
        let (a, b) = try Self.pair(host: "localhost")
        try a.send(.acknowledge([]))
        #expect(try b.receive(timeout: 2) == .acknowledge([]))
        a.close(); b.close()
        // IPv6 only where the machine has a loopback for it.
        guard let listener = try? SyncListener.listen(host: "::1", port: 0) else { return }
        listener.close()
        let (c, d) = try Self.pair(host: "::1")
        #expect(d.peer.hasPrefix("[::1]:"))
        try c.send(.refused(reason: "v6"))
        #expect(try d.receive(timeout: 2) == .refused(reason: "v6"))
        c.close(); d.close()
        let (e, f) = try Self.pair(host: "[::1]")
        e.close(); f.close()
    }

    @Test func acceptTimesOutAndCloseWakesIt() throws {
        let listener = try SyncListener.listen(host: "127.0.0.1", port: 0)
        #expect(listener.port > 0)
        #expect(listener.address == "127.0.0.1:\(listener.port)")
        #expect(try listener.accept(timeout: 0.05) == nil)
        let waiter = TestThread.start { Result { () throws(ReplicationError) in try listener.accept(timeout: 30).map { $0.peer } } }
        usleep(50_000)
        let started = ContinuousClock.now
        listener.close()
        #expect(throws: ReplicationError.self) { try waiter.join().get() }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(throws: ReplicationError.self) { try listener.accept(timeout: 0) }
        listener.close()
    }

    @Test func acceptReportsThePeer() throws {
        let listener = try SyncListener.listen(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let client = try SyncSocket.connect(host: "127.0.0.1", port: listener.port, timeout: 2)
        defer { client.close() }
        let accepted = try #require(try listener.accept(timeout: 2))
        defer { accepted.0.close() }
        #expect(accepted.peer.hasPrefix("127.0.0.1:"))
        #expect(accepted.0.peer == accepted.peer)
        #expect(client.peer == "127.0.0.1:\(listener.port)")
    }
}
