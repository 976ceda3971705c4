import Foundation
import Glibc
import MGM
import Synchronization
import Testing
import XRootD

/// Malformed input closes (or is refused on) that connection only: the server stays up and serves others.
@Suite struct RobustnessTests {
    /// A working client can still list the root.
    private func expectServing(_ server: TestServer, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let client = try server.client()
            try client.mkdir("/alive-\(UInt32.random(in: 0...UInt32.max))")
            _ = try client.dirlist("/")
        } catch {
            Issue.record("server stopped serving: \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func badHandshakeAndOversizedLengthsCloseTheConnection() throws {
        let server = try TestServer()
        defer { server.stop() }
        let badHandshake = try RawConnection(port: server.port)
        badHandshake.send([0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17])
        #expect(badHandshake.isClosedByPeer())

        // Lengths up to 2^32-1, many at once and with the memory measured: LoadAndAbuseTests.
        let raw = try RawConnection(port: server.port)
        #expect(raw.logIn())
        raw.send(headerClaiming(length: UInt32(XRootDProtocol.defaultMaximumPayload) + 1))
        #expect(raw.isClosedByPeer())
        expectServing(server)
    }

    @Test func idleConnectionsAreClosedAndBusyOnesKept() throws {
        let server = try TestServer { $0.idleTimeout = .milliseconds(1500) }
        defer { server.stop() }
        let idle = try RawConnection(port: server.port)
        #expect(idle.logIn())
        let active = try RawConnection(port: server.port)
        #expect(active.logIn())
        for i in 0..<16 {
            usleep(250_000)
            active.send(XRootDRequest.ping.encode(streamID: StreamID(UInt16(i + 1))))
            #expect(active.readResponse() == XRootDResponse(streamID: StreamID(UInt16(i + 1)), body: .ok([])))
        }
        // 4 s later: the silent connection was closed by the server, the pinging one still answers.
        #expect(idle.isClosedByPeer())
        active.send(XRootDRequest.ping.encode(streamID: StreamID(99)))
        #expect(active.readResponse() == XRootDResponse(streamID: StreamID(99), body: .ok([])))
        expectServing(server)
    }

    @Test func unknownAndMalformedRequestsAreRefusedOnALiveConnection() throws {
        let server = try TestServer()
        defer { server.stop() }
        let raw = try RawConnection(port: server.port)
        #expect(raw.logIn())
        let unknown = RequestHeader(streamID: StreamID(5), requestCode: 3999, parameters: [UInt8](repeating: 0, count: 16),
                                    payloadLength: 0)
        raw.send(unknown.encode())
        let answer = raw.readResponse()
        #expect(answer?.streamID == StreamID(5))
        guard case .error(let error)? = answer?.body else { Issue.record("no error for an unknown request"); return }
        #expect(error.code == .unsupported)

        // kXR_stat with neither path nor handle, kXR_mv without a space: well framed, malformed contents.
        let emptyStat = RequestHeader(streamID: StreamID(6), requestCode: RequestID.stat.rawValue,
                                      parameters: [UInt8](repeating: 0, count: 16), payloadLength: 0)
        raw.send(emptyStat.encode())
        if case .error(let e)? = raw.readResponse()?.body { #expect(e.code == .argInvalid) } else { Issue.record("stat") }
        let badMove = RequestHeader(streamID: StreamID(7), requestCode: RequestID.mv.rawValue,
                                    parameters: [UInt8](repeating: 0, count: 16), payloadLength: 4)
        raw.send(badMove.encode() + Array("/abc".utf8))
        if case .error(let e)? = raw.readResponse()?.body { #expect(e.code == .argInvalid) } else { Issue.record("mv") }

        // The connection still works.
        raw.send(XRootDRequest.ping.encode(streamID: StreamID(8)))
        #expect(raw.readResponse() == XRootDResponse(streamID: StreamID(8), body: .ok([])))
        // Requests before login are refused.
        let anonymous = try RawConnection(port: server.port)
        anonymous.send(ClientHandshake().encode())
        _ = anonymous.receive(ServerHandshake.length)
        anonymous.send(XRootDRequest.stat(StatRequest(path: "/")).encode(streamID: StreamID(1)))
        if case .error(let e)? = anonymous.readResponse()?.body { #expect(e.code == .notAuthorized) } else { Issue.record("login") }
        expectServing(server)
    }

    @Test func randomAndTruncatedFrames() throws {
        let server = try TestServer()
        defer { server.stop() }
        var generator = SystemRandomNumberGenerator()
        for round in 0..<40 {
            let raw = try RawConnection(port: server.port)
            if round % 2 == 0 { #expect(raw.logIn()) }
            var bytes: [UInt8]
            switch round % 4 {
            case 0:  // random garbage
                bytes = (0..<Int.random(in: 1...200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            case 1:  // a valid request cut short
                let full = XRootDRequest.mkdir(MkdirRequest(path: "/cut/\(round)")).encode(streamID: StreamID(3))
                bytes = Array(full.prefix(Int.random(in: 1..<full.count, using: &generator)))
            case 2:  // a valid header with a random code and a small random payload
                let payload = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let parameters = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let code = UInt16.random(in: 3000...3032, using: &generator)
                bytes = RequestHeader(streamID: StreamID(4), requestCode: code, parameters: parameters,
                                      payloadLength: Int32(payload.count)).encode() + payload
            default:  // a handshake cut short
                bytes = Array(ClientHandshake().encode().prefix(Int.random(in: 1...19, using: &generator)))
            }
            raw.send(bytes)
        }
        expectServing(server)
        #expect(try server.client().stat("/").isDirectory)
    }

    @Test func slowClientDoesNotHoldUpOthers() throws {
        let server = try TestServer()
        defer { server.stop() }
        let slow = try RawConnection(port: server.port)
        let message = ClientHandshake().encode()
            + XRootDRequest.protocol(ProtocolRequest()).encode(streamID: StreamID(1))
            + XRootDRequest.login(LoginRequest(processID: 1, user: "root")).encode(streamID: StreamID(2))
            + XRootDRequest.mkdir(MkdirRequest(path: "/slow")).encode(streamID: StreamID(3))
        let others = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
        let worker = Thread {
            guard let client = try? server.client() else { return }
            var index = 0
            while !done.load(ordering: .relaxed) {
                if (try? client.mkdir("/fast-\(index)")) != nil { others.add(1, ordering: .relaxed) }
                index += 1
            }
        }
        worker.start()
        // About 3 s: one byte every 30 ms (the requests are 92 bytes after the handshake).
        for byte in message {
            slow.send([byte])
            usleep(30_000)
        }
        done.store(true, ordering: .relaxed)
        #expect(slow.receive(ServerHandshake.length).count == ServerHandshake.length)
        for _ in 0..<3 { #expect(slow.readResponse() != nil) }
        #expect(try server.server.namespace.containerID(at: "/slow").rawValue > 1)
        #expect(others.load(ordering: .relaxed) > 20, "others got \(others.load(ordering: .relaxed)) requests through")
    }

    @Test func manyConcurrentConnections() throws {
        let server = try TestServer()
        defer { server.stop() }
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 32) { worker in
            do {
                let client = try server.client()
                try client.mkdir("/w\(worker)")
                for index in 0..<25 {
                    try client.mkdir("/w\(worker)/d\(index)")
                    _ = try client.stat("/w\(worker)/d\(index)")
                }
                #expect(try client.dirlist("/w\(worker)").entries.count == 25)
            } catch {
                failures.add(1, ordering: .relaxed)
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(try server.server.namespace.list("/").count == 32)
    }
}
