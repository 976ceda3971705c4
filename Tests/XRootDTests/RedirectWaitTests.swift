import Glibc
import Synchronization
import Testing
import XRootD

/// The client's handling of redirects, waits, multi-part and deferred answers, against scripted servers.
@Suite struct RedirectWaitTests {
    static let fileStat = StatInfo(id: 42, size: 1234, flags: [.readable], modificationTime: 1_700_000_000)

    private static func ok(_ stream: StreamID, _ body: [UInt8] = []) -> [XRootDResponse] {
        [XRootDResponse(streamID: stream, body: .ok(body))]
    }

    @Test func redirectIsFollowedPerRequest() throws {
        let target = try FakeServer { request, stream in
            if case .stat = request { return Self.ok(stream, Self.fileStat.encode()) }
            return [.error(stream, .unsupported, "no")]
        }
        let redirector = try FakeServer { _, stream in
            [XRootDResponse(streamID: stream, body: .redirect(Redirect(host: "127.0.0.1", port: Int32(target.port))))]
        }
        defer { redirector.stop(); target.stop() }
        let client = try XRootDClient(redirector.endpoint)
        defer { client.disconnect() }
        let answer = try client.send(.stat(StatRequest(path: "/x")))
        #expect(answer.endpoint == target.endpoint)
        #expect(answer.redirects == 1)
        #expect(try StatInfo(body: answer.body) == Self.fileStat)
        #expect(try client.stat("/x") == Self.fileStat)
        // Each request starts again at the home endpoint; the target's connection is reused.
        #expect(redirector.requestCount == 2)
        #expect(target.requestCount == 2)
        #expect(target.connectionCount == 1)
    }

    @Test func redirectLoopIsBounded() throws {
        let port = Mutex(0)
        let loop = try FakeServer { _, stream in
            [XRootDResponse(streamID: stream, body: .redirect(Redirect(host: "127.0.0.1", port: Int32(port.withLock { $0 }))))]
        }
        port.withLock { $0 = loop.port }
        defer { loop.stop() }
        let client = try XRootDClient(loop.endpoint, options: .init(maximumRedirects: 3))
        defer { client.disconnect() }
        #expect(throws: XRootDError.tooManyRedirects(4)) { try client.ping() }
    }

    @Test func waitIsHonoured() throws {
        let calls = Atomic<Int>(0)
        let server = try FakeServer { _, stream in
            if calls.add(1, ordering: .relaxed).newValue == 1 {
                return [XRootDResponse(streamID: stream, body: .wait(Wait(seconds: 1, message: "stalled")))]
            }
            return Self.ok(stream, Self.fileStat.encode())
        }
        defer { server.stop() }
        let client = try XRootDClient(server.endpoint)
        defer { client.disconnect() }
        let start = ContinuousClock.now
        let answer = try client.send(.stat(StatRequest(path: "/x")))
        #expect(ContinuousClock.now - start >= .milliseconds(950))
        #expect(answer.waited == .seconds(1))
        #expect(server.requestCount == 2)
    }

    @Test func waitLimitIsEnforced() throws {
        let server = try FakeServer { _, stream in
            [XRootDResponse(streamID: stream, body: .wait(Wait(seconds: 1, message: "forever")))]
        }
        defer { server.stop() }
        let client = try XRootDClient(server.endpoint, options: .init(maximumTotalWait: .seconds(2)))
        defer { client.disconnect() }
        #expect(throws: XRootDError.waitLimitExceeded(3)) { try client.ping() }
        #expect(server.requestCount == 3)
    }

    @Test func partialAnswersAreReassembled() throws {
        let listing = DirectoryListing(entries: (0..<200).map { DirectoryEntry(name: "n\($0)", stat: Self.fileStat) })
        let content = (0..<5000).map { UInt8($0 % 251) }
        let server = try FakeServer { request, stream in
            switch request {
            case .dirlist(let dirlist):
                let bodies = listing.encodeBodies(options: dirlist.options, maximumBodyLength: 100)
                return bodies.enumerated().map { index, body in
                    XRootDResponse(streamID: stream, body: index == bodies.count - 1 ? .ok(body) : .okSoFar(body))
                }
            case .open:
                return Self.ok(stream, OpenResponse(handle: FileHandle(9)).encode())
            case .read(let read):
                let start = Int(min(read.offset, Int64(content.count)))
                let slice = Array(content[start..<min(content.count, start + Int(read.length))])
                // Like the stock server: the data as kXR_oksofar parts, then an empty kXR_ok.
                return stride(from: 0, to: slice.count, by: 1000).map {
                    XRootDResponse(streamID: stream, body: .okSoFar(Array(slice[$0..<min(slice.count, $0 + 1000)])))
                } + Self.ok(stream)
            default:
                return Self.ok(stream)
            }
        }
        defer { server.stop() }
        let client = try XRootDClient(server.endpoint)
        defer { client.disconnect() }
        #expect(try client.dirlist("/d").names == listing.names)
        #expect(try client.dirlist("/d", options: .withStat) == listing)
        #expect(try client.readFile("/proc/admin/?mgm.cmd=ns") == content)
    }

    @Test func deferredAnswerArrivesAsAttention() throws {
        let server = try FakeServer { _, stream in
            let inner = XRootDResponse(streamID: stream, body: .ok(Self.fileStat.encode()))
            let attention = Attention(action: Attention.asynchronousResponse, parameters: [0, 0, 0, 0] + inner.encode())
            return [XRootDResponse(streamID: stream, body: .waitResponse(seconds: 1)),
                    XRootDResponse(streamID: StreamID(0), body: .attention(attention))]
        }
        defer { server.stop() }
        let client = try XRootDClient(server.endpoint)
        defer { client.disconnect() }
        #expect(try client.stat("/x") == Self.fileStat)
    }

    @Test func serverErrorsCarryCodeErrnoAndMessage() throws {
        let server = try FakeServer { _, stream in
            [.error(stream, .fsError, "Unable to remove /a; directory not empty")]
        }
        defer { server.stop() }
        let client = try XRootDClient(server.endpoint)
        defer { client.disconnect() }
        #expect(throws: XRootDError.server(ServerError(code: .fsError, message: "Unable to remove /a; directory not empty"))) {
            try client.rmdir("/a")
        }
        do { try client.rmdir("/a") } catch { #expect(error.serverError?.errno == ENOTEMPTY) }
        #expect(server.connectionCount == 1)
    }

    @Test func outOfStepAnswerDropsTheConnectionAndTheNextRequestReconnects() throws {
        let calls = Atomic<Int>(0)
        let server = try FakeServer { _, stream in
            if calls.add(1, ordering: .relaxed).newValue == 1 {
                return [XRootDResponse(streamID: StreamID(stream.value &+ 1), body: .ok([]))]
            }
            return Self.ok(stream)
        }
        defer { server.stop() }
        let client = try XRootDClient(server.endpoint)
        defer { client.disconnect() }
        #expect(throws: XRootDError.self) { try client.ping() }
        try client.ping()
        #expect(server.connectionCount == 2)
    }
}
