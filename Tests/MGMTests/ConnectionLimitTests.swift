import BerylTestSupport
import Foundation
import Glibc
import MGM
import Testing
import XRootD
import Platform

/// What connections may make the server hold (`ConnectionLimits`): a frame longer than a login needs
/// closes a connection that has not logged in before its payload is read; after login, partial
/// requests share a server-wide budget; past `--max-connections` a connection is refused with an error
/// the stock clients print.
@Suite(.serialized) struct ConnectionLimitTests {
    /// 64 connections that never log in each send a 16 MiB frame: the server (a child process, its
    /// VmRSS measured) closes each on its 24-byte header and grows by less than 64 MiB (before the
    /// limit: 16 MiB buffered per connection, +537 MiB for 32 of them).
    @Test func preLoginFramesOfSixteenMiBCloseTheirConnections() throws {
        let node = try MGMNode.singleMaster(arguments: ["--log-level", "warning"])
        defer { node.stop() }
        let client = try node.directClient()
        for index in 0..<20 { try client.mkdir("/warm/\(index)", options: [.makePath]) }
        let before = node.residentBytes
        var connections: [RawConnection] = []
        for _ in 0..<64 {
            let raw = try RawConnection(port: node.port)
            #expect(raw.send(ClientHandshake().encode()))
            connections.append(raw)
        }
        let payload = [UInt8](repeating: 0x41, count: 16 << 20)
        let codes: [RequestID] = [.login, .protocol, .stat, .mkdir]
        var sent = 0
        for (index, raw) in connections.enumerated() {
            _ = raw.send(headerClaiming(length: UInt32(payload.count), code: codes[index % codes.count]))
            sent += raw.sendWithoutBlocking(payload, stall: .milliseconds(100))
        }
        var closed = 0
        for raw in connections where raw.isClosedByPeer() { closed += 1 }
        let growth = node.residentBytes - before
        print("pre-login: 64 connections sent 16 MiB frames (\(sent >> 20) MiB taken by the sockets), \(closed) closed "
              + "by the server, its VmRSS grew \(ProcessMemory.mebibytes(growth)) (from \(ProcessMemory.mebibytes(before)))")
        #expect(closed == 64)
        #expect(before > 0 && growth < 64 << 20, "the server grew by \(ProcessMemory.mebibytes(growth))")
        connections.removeAll()
        try client.mkdir("/after")
        #expect(try client.dirlist("/").names.contains("after"))
        #expect(node.serviceLog.contains("bytes before login (at most 8192 before login)"), "\(node.serviceLog.suffix(500))")
    }

    /// 32 logged-in connections each send 16 MiB of a 16 MiB request and stop short of its end: the
    /// default 256 MiB server-wide budget holds about 16 of them, the others are refused with
    /// kXR_Overloaded, and the server (a child process) grows by about the budget, not by 512 MiB.
    @Test func loggedInPartialFramesStayWithinTheServerWideBudget() throws {
        let node = try MGMNode.singleMaster(arguments: ["--log-level", "error"])
        defer { node.stop() }
        let client = try node.directClient()
        for index in 0..<20 { try client.mkdir("/warm/\(index)", options: [.makePath]) }
        let before = node.residentBytes
        let size = 16 << 20
        let partial = [UInt8](repeating: 0x2F, count: size - (64 << 10))
        var connections: [RawConnection] = []
        for _ in 0..<32 {
            let raw = try RawConnection(port: node.port)
            #expect(raw.logIn())
            #expect(raw.send(headerClaiming(length: UInt32(size), code: .mkdir)))
            #expect(raw.sendWithoutBlocking(partial, stall: .seconds(2)) == partial.count)
            connections.append(raw)
        }
        var refused = 0
        for raw in connections {
            var ready = pollfd(fd: raw.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 200) == 1 else { continue }
            if case .error(let e)? = raw.readResponse()?.body, e.code == .overloaded { refused += 1 }
        }
        let growth = node.residentBytes - before
        print("logged in: 32 connections each holding 16 MiB of a 16 MiB request: \(refused) refused (kXR_Overloaded), "
              + "server VmRSS grew \(ProcessMemory.mebibytes(growth)) (from \(ProcessMemory.mebibytes(before)))")
        #expect(refused >= 14 && refused <= 18, "\(refused) refused")
        #expect(growth < (256 + 256 + 64) << 20, "the server grew by \(ProcessMemory.mebibytes(growth))")
        connections.removeAll()
        try client.mkdir("/after")
    }

    /// `--max-connections 4`: a fifth connection is answered with kXR_Overloaded "too many connections"
    /// (printed by xrdfs and the Python bindings), closed, and logged; once one closes, a new one is served.
    @Test func connectionsBeyondTheLimitAreRefusedWithAnError() throws {
        let node = try MGMNode.singleMaster(arguments: ["--max-connections", "4", "--log-level", "warning"])
        defer { node.stop() }
        // Four served connections (the start-up probe's connection may still be closing: a refused
        // attempt then is retried).
        var clients: [XRootDClient] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while clients.count < 4, ContinuousClock.now < deadline {
            let candidate = try node.directClient()
            if (try? candidate.stat("/")) != nil { clients.append(candidate) } else { usleep(50_000) }
        }
        #expect(clients.count == 4)
        let refused = try node.directClient()
        let error = serverErrorOf { _ = try refused.stat("/") }
        #expect(error?.code == .overloaded, "\(String(describing: error))")
        #expect(error?.message == "too many connections: this server serves at most 4 (--max-connections); retry later")
        #expect(node.serviceLog.contains("refusing connection: 4 connections open (--max-connections)"))
        if StockTools.hasXrdfs {
            let run = try ProgramRun.run(StockTools.xrdfs, [node.url, "ls", "/"], timeout: .seconds(30))
            #expect(run.status != 0)
            #expect((run.stdout + run.stderr).contains("[3024] too many connections"), "\(run.stdout)\(run.stderr)")
        }
        if StockTools.hasPythonBindings {
            let script = "from XRootD import client\nst, _ = client.FileSystem('\(node.url)').dirlist('/')\nprint(st.message)\n"
            let run = try ProgramRun.run(StockTools.python, ["-c", script], timeout: .seconds(30))
            #expect(run.stdout.contains("too many connections"), "\(run.stdout)\(run.stderr)")
        }
        // The served ones go on; one closes and a new connection is served.
        for client in clients { #expect((try? client.stat("/")) != nil) }
        clients.removeFirst().disconnect()
        #expect(PairFixture.eventually(10) { (try? node.directClient().mkdir("/after-limit")) != nil })
    }

    /// After login, partial requests of all connections share `maximumBufferedTotal`: the one that
    /// would pass it is refused with kXR_Overloaded and its payload skipped, its connection stays
    /// usable, and once the other request completes the budget is free again.
    @Test func partialRequestsShareAServerWideBudget() throws {
        let server = try TestServer { $0.maximumBufferedTotal = 4 << 20 }
        defer { server.stop() }
        let size = 3 << 20
        let first = try RawConnection(port: server.port)
        #expect(first.logIn(user: "first"))
        #expect(first.send(headerClaiming(length: UInt32(size), code: .mkdir, stream: 1)))
        #expect(first.send([UInt8](repeating: 0x2F, count: size - (512 << 10))))
        usleep(300_000)  // the server has read it: about 2.4 MiB charged
        let second = try RawConnection(port: server.port)
        #expect(second.logIn(user: "second"))
        #expect(second.send(headerClaiming(length: UInt32(size), code: .mkdir, stream: 2)))
        #expect(second.send([UInt8](repeating: 0x2F, count: size)))
        guard case .error(let refusal)? = second.readResponse()?.body else {
            Issue.record("the request past the server-wide budget was not refused")
            return
        }
        #expect(refusal.code == .overloaded)
        #expect(refusal.message.hasPrefix("Unable to kXR_mkdir; the server holds too many partially received requests"),
                "\(refusal.message)")
        // Its connection is still in step (the payload was skipped): a ping is answered.
        #expect(second.send(XRootDRequest.ping.encode(streamID: StreamID(3))))
        let pong = second.readResponse()
        #expect(pong?.streamID == StreamID(3))
        guard case .ok? = pong?.body else {
            Issue.record("no ping answer after the refusal: \(String(describing: pong))")
            return
        }
        // The first request completes and is answered (a path of 3 MiB: too long), freeing the budget.
        #expect(first.send([UInt8](repeating: 0x2F, count: 512 << 10)))
        let answer = first.readResponse()
        #expect(answer?.streamID == StreamID(1))
        if case .error(let e)? = answer?.body { #expect(e.code != .overloaded, "\(e)") }
        #expect(second.send(headerClaiming(length: UInt32(size), code: .mkdir, stream: 4)))
        #expect(second.send([UInt8](repeating: 0x2F, count: size)))
        let again = second.readResponse()
        #expect(again?.streamID == StreamID(4))
        if case .error(let e)? = again?.body { #expect(e.code != .overloaded, "the budget was not given back: \(e)") }
        let client = try server.client()
        try client.mkdir("/still-serving")
    }
}
