import Foundation
import Glibc
import MGM
import Replication
import Synchronization
import Testing
import XRootD

/// Redirection rules answered with kXR_redirect and stall rules answered with kXR_wait, followed by
/// our client and by the stock xrdfs.
@Suite struct AccessRuleTests {
    @Test func rulesDecidePerRequestClass() {
        let target = Endpoint(host: "master", port: 1094)
        var rules = AccessRules(redirects: [.write: target])
        #expect(rules.decision(isWrite: true) == .redirect(target, rule: .write))
        #expect(rules.decision(isWrite: false) == nil)
        rules.stalls[.all] = 5
        #expect(rules.decision(isWrite: false) == .stall(seconds: 5, rule: .all))
        #expect(rules.decision(isWrite: true) == .stall(seconds: 5, rule: .all))
        rules.stalls = [.write: 60]
        #expect(rules.decision(isWrite: true) == .stall(seconds: 60, rule: .write))
        #expect(rules.decision(isWrite: false) == nil)
        #expect(rules.listing() == """
            # Redirection Rules ...
            [ 01 ]                              w:* => master:1094
            # Stall Rules ...
            [ 01 ]                              w:* => 60

            """)
    }

    @Test func writeAndNotFoundRedirectsReachASecondServer() throws {
        let master = try TestServer()
        defer { master.stop() }
        let slave = try TestServer()
        defer { slave.stop() }
        try master.server.namespace.createContainer("/only-on-master")
        slave.server.access.setRedirect(.write, to: master.endpoint)
        let client = try slave.client()

        let answer = try client.send(.mkdir(MkdirRequest(path: "/made")))
        #expect(answer.redirects == 1 && answer.endpoint == master.endpoint)
        #expect(try master.server.namespace.containerID(at: "/made").rawValue > 1)
        #expect(throws: NamespaceErrorProbe.self) { try NamespaceErrorProbe.stat(slave, "/made") }

        // Reads stay on the slave until an ENOENT rule sends what is missing to the master.
        #expect(throws: XRootDError.self) { _ = try client.stat("/only-on-master") }
        slave.server.access.setRedirect(.notFound, to: master.endpoint)
        #expect(try client.stat("/only-on-master").isDirectory)
        let local = try client.send(.stat(StatRequest(path: "/")))
        #expect(local.redirects == 0)
    }

    @Test(.enabled(if: StockTools.hasXrdfs, "xrdfs is not installed: skipped"))
    func xrdfsFollowsARedirectTransparently() throws {
        let master = try TestServer()
        defer { master.stop() }
        let slave = try TestServer()
        defer { slave.stop() }
        slave.server.access.setRedirect(.all, to: master.endpoint)
        let run = try ProgramRun.run(StockTools.xrdfs, [slave.url], input: "mkdir -p /via/slave\nls /via\n",
                                     timeout: .seconds(60))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("/via/slave"), "\(run.stdout)")
        #expect(try master.server.namespace.containerID(at: "/via/slave").rawValue > 1)
        #expect(try slave.server.namespace.list("/").isEmpty)
    }

    @Test func stallMakesOurClientWaitAndRetry() throws {
        let server = try TestServer()
        defer { server.stop() }
        server.server.access.setStall(.write, seconds: 1)
        let client = try server.client()
        #expect(try client.stat("/").isDirectory)  // reads pass
        let lift = Thread {
            usleep(1_500_000)
            server.server.access.removeStall(.write)
        }
        lift.start()
        let answer = try client.send(.mkdir(MkdirRequest(path: "/after-stall")))
        #expect(answer.waited >= .seconds(1), "waited \(answer.waited)")
        #expect(try server.server.namespace.containerID(at: "/after-stall").rawValue > 1)
    }

    @Test(.enabled(if: StockTools.hasXrdfs, "xrdfs is not installed: skipped"))
    func stallMakesXrdfsWaitAndRetry() throws {
        let server = try TestServer()
        defer { server.stop() }
        server.server.access.setStall(.all, seconds: 1)
        let lifted = Atomic<Bool>(false)
        let lift = Thread {
            usleep(2_500_000)
            server.server.access.removeAll()
            lifted.store(true, ordering: .relaxed)
        }
        lift.start()
        let run = try ProgramRun.run(StockTools.xrdfs, [server.url, "mkdir", "/stalled"], timeout: .seconds(60))
        #expect(run.status == 0, "\(run.stderr)")
        let wasLifted = lifted.load(ordering: .relaxed)
        #expect(wasLifted, "xrdfs finished before the stall was lifted")
        #expect(try server.server.namespace.containerID(at: "/stalled").rawValue > 1)
    }
}

/// Asserts an entry is absent from a server's namespace.
struct NamespaceErrorProbe: Error {
    static func stat(_ server: TestServer, _ path: String) throws {
        if (try? server.server.namespace.stat(path)) == nil { throw NamespaceErrorProbe() }
    }
}
