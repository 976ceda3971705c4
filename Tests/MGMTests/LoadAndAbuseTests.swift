import BerylTestSupport
import Foundation
import Glibc
import MGM
import Namespace
import Synchronization
import Testing
import XRootD

/// Load and abuse (RELIABILITY.md, "Load and abuse"): many concurrent clients, clients that vanish in the
/// middle of a request, absurd frame lengths and a client that never reads its answers. Each time the
/// server's memory (this process's VmRSS: the servers run in-process) stays bounded, every connection is
/// released, and other clients keep being served.
///
/// Serialized so that the memory figures of one test are not another's.
@Suite(.serialized) struct LoadAndAbuseTests {
    /// Seconds of the 200-client run: `BERYL_LOAD_SECONDS` (`make soak` sets 60), else 5.
    static let loadSeconds = ProcessInfo.processInfo.environment["BERYL_LOAD_SECONDS"].flatMap(Int.init) ?? 5

    // MARK: 200 concurrent clients

    @Test func twoHundredConcurrentClients() throws {
        let clients = 200
        let server = try TestServer { $0.durability = .batch }
        defer { server.stop() }
        try server.client().mkdir("/load")
        #expect(server.waitForConnectionCount(0))
        let memoryBefore = ProcessMemory.residentBytes()
        let started = ContinuousClock.now
        let deadline = started + .seconds(Self.loadSeconds)
        let tallies = Mutex<[LoadClient.Tally]>([])
        let connected = Atomic<Int>(0)
        let peakConnections = Atomic<Int>(0)
        let finished = DispatchGroup()
        for index in 0..<clients {
            finished.enter()
            let thread = Thread {
                var load = LoadClient(index: index)
                load.run(server: server, until: deadline, connected: connected, clients: clients) {
                    _ = peakConnections.max(server.server.connectionCount, ordering: .relaxed)
                }
                tallies.withLock { $0.append(load.tally) }
                finished.leave()
            }
            thread.stackSize = 512 * 1024
            thread.start()
        }
        let waited = finished.wait(timeout: .now() + .seconds(Self.loadSeconds + 60))
        try #require(waited == .success, "the clients did not finish")
        let elapsed = ContinuousClock.now - started
        let memoryAfter = ProcessMemory.residentBytes()

        let all = tallies.withLock { $0 }
        #expect(all.count == clients)
        let requests = all.reduce(0) { $0 + $1.requests }
        let refused = all.reduce(0) { $0 + $1.refused }
        let failures = all.flatMap(\.failures)
        #expect(failures.isEmpty, "\(failures.count) requests lost or wrongly answered, first: \(failures.prefix(5))")
        #expect(all.allSatisfy { $0.requests == $0.answered }, "every request answered")
        #expect(peakConnections.load(ordering: .relaxed) == clients, "all clients were connected at once")
        #expect(requests > clients * 10, "only \(requests) requests in \(elapsed)")

        // The namespace is what the clients report they created minus what they removed.
        for tally in all {
            let names = try server.server.namespace.list("/load/c\(tally.index)").map(\.name)
            #expect(Set(names) == tally.expectedNames, "client \(tally.index)")
            #expect(names.count == tally.expectedNames.count)
        }
        #expect(try server.server.namespace.list("/load").count == clients)
        #expect(server.waitForConnectionCount(0), "connections released: \(server.server.connectionCount) left")
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("load: \(clients) clients for \(String(format: "%.1f", seconds)) s: \(requests) requests "
              + "(\(Int(Double(requests) / seconds))/s), \(refused) refused as intended, \(failures.count) lost; "
              + "VmRSS \(ProcessMemory.mebibytes(memoryBefore)) -> \(ProcessMemory.mebibytes(memoryAfter))")
        #expect(memoryAfter - memoryBefore < 256 << 20, "memory grew by \(ProcessMemory.mebibytes(memoryAfter - memoryBefore))")
    }

    // MARK: Clients that disconnect mid-request

    @Test(arguments: [RequestPlacement.eventLoop, .threadPool])
    func clientsThatDisconnectMidRequest(placement: RequestPlacement) throws {
        let server = try TestServer {
            $0.durability = .batch
            $0.placement = placement
        }
        defer { server.stop() }
        let namespace = server.server.namespace
        try namespace.createContainer("/big")
        try namespace.createContainer("/cut")
        for index in 0..<400 { _ = try namespace.createFile("/big/\(String(repeating: "f", count: 60))-\(index)") }
        let bystander = try server.client()
        let baseline = server.server.connectionCount

        // A well-behaved client works throughout.
        let stop = Atomic<Bool>(false)
        let served = Atomic<Int>(0), bystanderFailures = Mutex<[String]>([])
        let worker = Thread {
            var index = 0
            while !stop.load(ordering: .relaxed) {
                do {
                    try bystander.mkdir("/by-\(index)")
                    _ = try bystander.stat("/by-\(index)")
                    served.add(2, ordering: .relaxed)
                } catch {
                    bystanderFailures.withLock { $0.append("\(error)") }
                }
                index += 1
            }
        }
        worker.start()

        let mkdir = { (path: String, stream: UInt16) in
            XRootDRequest.mkdir(MkdirRequest(path: path)).encode(streamID: StreamID(stream))
        }
        let bigListing = XRootDRequest.dirlist(DirlistRequest(path: "/big", options: [.withStat])).encode(streamID: StreamID(5))
        var cutPaths: [String] = []
        let rounds = 20
        for round in 0..<rounds {
            for kind in 0..<6 {
                let raw = try RawConnection(port: server.port)
                #expect(raw.logIn(user: "cut"))
                let path = "/cut/r\(round)k\(kind)"
                cutPaths.append(path)
                let frame = mkdir(path, 3)
                switch kind {
                case 0:  // half a header
                    raw.send(Array(frame.prefix(RequestHeader.length / 2)))
                case 1:  // a header and half its payload
                    raw.send(Array(frame.prefix(RequestHeader.length + (frame.count - RequestHeader.length) / 2)))
                case 2:  // a whole mkdir, closed before its answer
                    raw.send(frame)
                case 3:  // a whole mkdir, then a reset
                    raw.send(frame)
                    raw.closeWithReset()
                case 4:  // a large listing (about 40 KiB of answer), closed before reading it
                    raw.send(bigListing)
                    if round % 2 == 0 { raw.closeWithReset() }
                default:  // a pipeline of 40 requests (more than the queue holds), then a reset
                    var pipeline: [UInt8] = []
                    for index in 0..<40 {
                        pipeline += index % 2 == 0 ? mkdir("\(path)-\(index)", UInt16(10 + index)) : bigListing
                    }
                    raw.send(pipeline)
                    raw.closeWithReset()
                }
                // Dropping `raw` closes the socket.
            }
        }
        #expect(server.waitForConnectionCount(baseline, timeout: .seconds(20)), "connections left: \(server.server.connectionCount), baseline \(baseline)")
        stop.store(true, ordering: .relaxed)
        while !worker.isFinished { usleep(5_000) }
        #expect(bystanderFailures.withLock { $0 }.isEmpty, "the bystander failed: \(bystanderFailures.withLock { $0.prefix(3) })")
        #expect(served.load(ordering: .relaxed) > 0)

        // Whatever was executed before the close is whole: every entry under /cut is one the clients sent
        // in full, and the half-sent ones are absent.
        let made = Set(try namespace.list("/cut").map(\.name))
        for name in made {
            let kind = name.split(separator: "k").last.flatMap { Int($0.prefix(1)) }
            #expect(kind.map { $0 >= 2 } == true, "\(name) was never sent in full")
        }
        for (index, path) in cutPaths.enumerated() where index % 6 < 2 {
            #expect(!made.contains(String(path.dropFirst(5))))
        }
        // The server still serves, new connections included.
        let fresh = try server.client()
        try fresh.mkdir("/after")
        #expect(try fresh.dirlist("/big", options: [.withStat]).entries.count == 400)
    }

    // MARK: Frame lengths up to 2^32-1

    @Test func frameLengthsUpToFourGiBCloseWithoutAllocating() throws {
        let server = try TestServer()
        defer { server.stop() }
        let maximum = UInt32(XRootDProtocol.defaultMaximumPayload)
        let lengths: [UInt32] = [0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF, maximum + 1, 0xFFFF_FFFE, 0x8000_0001]
        let before = ProcessMemory.residentBytes(), virtualBefore = ProcessMemory.virtualBytes()
        // 32 connections per length, all open at once: were the declared lengths allocated, even once
        // per length, the process would grow by gigabytes.
        var connections: [RawConnection] = []
        for length in lengths {
            for index in 0..<32 {
                let raw = try RawConnection(port: server.port)
                #expect(raw.logIn())
                let code: RequestID = [.stat, .mkdir, .dirlist, .query][index % 4]
                raw.send(headerClaiming(length: length, code: code) + [UInt8](repeating: 0x41, count: index * 32))
                connections.append(raw)
            }
        }
        for (index, raw) in connections.enumerated() {
            #expect(raw.isClosedByPeer(), "length \(lengths[index / 32]) left its connection open")
        }
        connections.removeAll()
        // A length at the limit is legal: the server holds what came (4 KiB), not what was announced.
        var held: [RawConnection] = []
        for _ in 0..<32 {
            let raw = try RawConnection(port: server.port)
            #expect(raw.logIn())
            raw.send(headerClaiming(length: maximum, code: .mkdir) + [UInt8](repeating: 0x2F, count: 4096))
            held.append(raw)
        }
        let client = try server.client()
        try client.mkdir("/still-serving")
        #expect(server.server.connectionCount == 33)
        let growth = ProcessMemory.residentBytes() - before
        let virtualGrowth = ProcessMemory.virtualBytes() - virtualBefore
        print("frame lengths: \(lengths.count * 32) oversized headers and 32 incomplete 16 MiB frames, "
              + "VmRSS grew \(ProcessMemory.mebibytes(growth)), VmSize \(ProcessMemory.mebibytes(virtualGrowth))")
        #expect(growth < 64 << 20, "memory grew by \(ProcessMemory.mebibytes(growth))")
        #expect(virtualGrowth < 1 << 30, "address space grew by \(ProcessMemory.mebibytes(virtualGrowth))")
        held.removeAll()
        #expect(server.waitForConnectionCount(1))
        #expect(try client.dirlist("/").entries.contains { $0.name == "still-serving" })
    }

    // MARK: A client that never closes its files

    @Test func openFilesPerConnectionAreBounded() throws {
        let server = try TestServer { $0.maximumOpenFiles = 32 }
        defer { server.stop() }
        let client = try server.client()
        var opened: [RemoteFile] = []
        for index in 0..<32 { opened.append(try client.open("/f\(index)", options: [.new])) }
        #expect(Set(opened.map(\.handle.value)).count == 32)
        // The 33rd open is refused before it runs: a creating open makes no entry.
        let refused = Result { () throws(XRootDError) in try client.open("/f32", options: [.new]) }
        guard case .failure(let error) = refused else {
            Issue.record("the 33rd open was accepted")
            return
        }
        #expect(error.serverError?.code == .fsError, "\(error)")
        #expect(error.serverError?.message.hasPrefix("Unable to open /f32; too many open files") == true, "\(error)")
        #expect((try? server.server.namespace.stat("/f32")) == nil)
        // Other connections have their own allowance, and closing one file makes room for another.
        _ = try server.client().open("/f0")
        try client.close(opened.removeFirst())
        opened.append(try client.open("/f32", options: [.new]))
        #expect(Set(opened.map(\.handle.value)).count == 32)
        for file in opened { try client.close(file) }
    }

    // MARK: A client that never reads its answers

    @Test(arguments: [RequestPlacement.eventLoop, .threadPool])
    func aClientThatNeverReadsIsThrottled(placement: RequestPlacement) throws {
        let server = try TestServer { $0.placement = placement }
        defer { server.stop() }
        let namespace = server.server.namespace
        try namespace.createContainer("/big")
        let stem = String(repeating: "n", count: 100)
        for index in 0..<300 { try namespace.createContainer("/big/\(stem)-\(index)") }
        let other = try server.client()
        let answer = try other.dirlist("/big")
        #expect(answer.entries.count == 300)

        // 4,000 listings of about 31 KiB each, each followed by a mkdir that shows it was executed:
        // unthrottled, the server would queue about 120 MiB of answers for this client.
        try namespace.createContainer("/seq")
        let count = 4000
        let listing = XRootDRequest.dirlist(DirlistRequest(path: "/big")).encode(streamID: StreamID(7))
        var pipeline: [UInt8] = []
        pipeline.reserveCapacity((listing.count + 40) * count)
        for index in 0..<count {
            pipeline += listing + XRootDRequest.mkdir(MkdirRequest(path: "/seq/\(index)")).encode(streamID: StreamID(8))
        }
        let abuser = try RawConnection(port: server.port)
        #expect(abuser.logIn(user: "root"))
        let before = ProcessMemory.residentBytes()
        let sent = abuser.sendWithoutBlocking(pipeline)

        // Meanwhile others are answered promptly.
        let start = ContinuousClock.now
        for index in 0..<100 {
            try other.mkdir("/other-\(index)")
            #expect(try other.dirlist("/big").entries.count == 300)
        }
        let othersTook = ContinuousClock.now - start
        #expect(othersTook < .seconds(10), "200 requests of another client took \(othersTook)")
        usleep(500_000)
        let growth = ProcessMemory.residentBytes() - before
        // Executed before the server stopped: what fills the socket buffers and the high watermark.
        let executed = try namespace.list("/seq").count
        print("never-reading client (\(placement)): \(sent) of \(pipeline.count) request bytes taken, \(executed) of "
              + "\(count) listings executed while not reading, VmRSS grew \(ProcessMemory.mebibytes(growth)); "
              + "another client's 200 requests took \(othersTook)")
        #expect(executed < count / 5, "\(executed) listings executed for a client that reads nothing")
        #expect(growth < 64 << 20, "memory grew by \(ProcessMemory.mebibytes(growth))")

        // When it starts reading, every answer comes: the server resumed reading and executing.
        let rest = Array(pipeline[sent...])
        let sender = Thread { if !rest.isEmpty { abuser.send(rest) } }
        sender.start()
        var finals = 0, parts = 0
        while finals < 2 * count, let status = abuser.skipResponse() {
            if status == .ok { finals += 1 } else if status == .okSoFar { parts += 1 } else { break }
        }
        #expect(finals == 2 * count)
        #expect(try namespace.list("/seq").count == count)
        #expect(parts % count == 0, "every listing came in the same number of parts")
        while !sender.isFinished { usleep(5_000) }
        #expect(server.server.connectionCount == 2)

        // Clients that go away while the server waits for them to read are released.
        for index in 0..<4 {
            let quitter = try RawConnection(port: server.port)
            #expect(quitter.logIn(user: "quitter"))
            _ = quitter.sendWithoutBlocking(Array(repeating: listing, count: 500).flatMap { $0 }, stall: .milliseconds(200))
            if index % 2 == 0 { quitter.closeWithReset() }
        }
        #expect(server.waitForConnectionCount(2), "\(server.server.connectionCount) connections left")
    }
}

/// One client of the load test: a long-lived `XRootDClient` making a seeded random mix of mkdir, create
/// (open `kXR_new` + close), stat, ls, rmdir and rm under its own directory, plus requests that must be
/// refused (a missing path, an existing directory). It records what it created and removed.
struct LoadClient {
    struct Tally: Sendable {
        var index: Int
        var requests = 0
        var answered = 0
        var refused = 0
        var failures: [String] = []
        var directories: Set<String> = []
        var files: Set<String> = []
        var expectedNames: Set<String> { directories.union(files) }
    }

    var tally: Tally
    private var random: SeededRandom

    init(index: Int) {
        tally = Tally(index: index)
        random = SeededRandom(seed: UInt64(index) &* 0x9E37_79B9_7F4A_7C15 &+ 1)
    }

    mutating func run(server: TestServer, until deadline: ContinuousClock.Instant, connected: borrowing Atomic<Int>,
                      clients: Int, whenAllConnected: () -> Void) {
        let client: XRootDClient
        do {
            client = try server.client(timeout: .seconds(30))
        } catch {
            tally.failures.append("connect: \(error)")
            _ = connected.add(1, ordering: .relaxed)
            return
        }
        // Everyone connects first, so that the 200 connections are really open at once.
        if connected.add(1, ordering: .relaxed).newValue == clients { whenAllConnected() }
        while connected.load(ordering: .relaxed) < clients { usleep(1_000) }
        let base = "/load/c\(tally.index)"
        _ = request("mkdir \(base)") { try client.mkdir(base) }
        var next = 0
        while ContinuousClock.now < deadline {
            let roll = random.next(below: 100)
            switch roll {
            case 0..<25:
                let name = "d\(next)"
                next += 1
                if request("mkdir", { try client.mkdir("\(base)/\(name)") }) { tally.directories.insert(name) }
            case 25..<35:
                let name = "f\(next)"
                next += 1
                var file: RemoteFile?
                if request("create", { file = try client.open("\(base)/\(name)", options: [.new]) }) {
                    tally.files.insert(name)
                    if let file { _ = request("close") { try client.close(file) } }
                }
            case 35..<50:
                guard let name = tally.expectedNames.randomElement(using: &random) else { continue }
                _ = request("stat") { _ = try client.stat("\(base)/\(name)") }
            case 50..<65:
                let expected = tally.expectedNames
                _ = request("ls") {
                    let names = Set(try client.dirlist(base).entries.map(\.name))
                    if names != expected { throw LoadMismatch.listing(names.symmetricDifference(expected).count) }
                }
            case 65..<80:
                guard let name = tally.directories.randomElement(using: &random) else { continue }
                if request("rmdir", { try client.rmdir("\(base)/\(name)") }) { tally.directories.remove(name) }
            case 80..<92:
                guard let name = tally.files.randomElement(using: &random) else { continue }
                if request("rm", { try client.rm("\(base)/\(name)") }) { tally.files.remove(name) }
            case 92..<96:
                refusal("stat of a missing path", .notFound) { _ = try client.stat("\(base)/missing-\(next)") }
            default:
                guard let name = tally.directories.randomElement(using: &random) else { continue }
                refusal("mkdir of an existing directory", .itExists) { try client.mkdir("\(base)/\(name)") }
            }
        }
        client.disconnect()
    }

    /// One request that must succeed; true when it did.
    private mutating func request(_ what: String, _ body: () throws -> Void) -> Bool {
        tally.requests += 1
        do {
            try body()
            tally.answered += 1
            return true
        } catch let error as XRootDError {
            if case .server = error { tally.answered += 1 }
            tally.failures.append("\(what): \(error)")
        } catch {
            tally.answered += 1
            tally.failures.append("\(what): \(error)")
        }
        return false
    }

    /// One request that must be refused with `code` (a clean protocol error on a live connection).
    private mutating func refusal(_ what: String, _ code: XRootDErrorCode, _ body: () throws -> Void) {
        tally.requests += 1
        do {
            try body()
            tally.answered += 1
            tally.failures.append("\(what): succeeded")
        } catch let error as XRootDError {
            if case .server(let e) = error {
                tally.answered += 1
                tally.refused += 1
                if e.code != code { tally.failures.append("\(what): \(e)") }
            } else {
                tally.failures.append("\(what): \(error)")
            }
        } catch {
            tally.failures.append("\(what): \(error)")
        }
    }
}

enum LoadMismatch: Error { case listing(Int) }

/// The shared SplitMix64 generator (Tests/Support), so a failing client's sequence can be replayed.
extension SeededRandom {
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
