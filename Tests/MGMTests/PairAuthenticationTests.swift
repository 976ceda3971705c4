import BerylTestSupport
import Foundation
import Glibc
import MGM
import Testing
import XRootD

/// A master/slave pair whose clients authenticate: the nodes ask each other for their sync listener
/// over the XRootD port, logged in by unix (the project's client falls back to it as the stock
/// clients do), so a pair offers unix next to sss; without unix it refuses to start, saying why.
@Suite(.enabled(if: ExecutableTests.haveExecutables && Keytabs.available,
                "build the executables first (swift build); xrdsssadmin and xrdfs are needed"))
struct PairAuthenticationTests {
    @Test func aPairServingSssReplicatesAndTheStockClientWritesThroughTheSlave() throws {
        let keytab = try #require(Keytabs.shared).server
        let pair = try PairFixture(extraArguments: ["--auth", "sss,unix", "--keytab", keytab])
        defer { pair.stop() }
        // The slave found the master's sync listener (asked over the XRootD port, by unix) and follows it,
        // and its supervisor's probe of the master (the same query) set the redirect of writes; until
        // then it answers writes with a stall.
        #expect(PairFixture.eventually { try pair.slave.monitoring("ns.sync.connected") == "1" })
        #expect(PairFixture.eventually {
            try pair.slave.admin(["access", "ls"]).stdout.contains("w:* => \(pair.master.endpoint)")
        })
        try pair.master.directClient().mkdir("/drop", mode: 0o777)
        // The key's user (daemon) writes through the slave: redirected to the master, authenticated there too.
        let run = try ProgramRun.run(StockTools.xrdfs, [pair.slave.url], environment: ["XrdSecPROTOCOL": "sss", "XrdSecSSSKT": keytab],
                                     input: "mkdir /drop/by-key\n", timeout: .seconds(60))
        #expect(run.status == 0 && !run.stderr.contains("ERROR"), "\(run.stderr)")
        #expect(try pair.master.directClient().stat("/drop/by-key").extended?.owner == "daemon")
        let slave = try pair.slave.directClient()
        #expect(PairFixture.eventually { try slave.stat("/drop/by-key").isDirectory })
    }

    @Test func aPairWithoutUnixRefusesToStart() throws {
        let keytab = try #require(Keytabs.shared).server
        let mgm = try #require(ChildProcess.sibling("beryl-mgm"))
        let directory = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let secret = directory + "/secret"
        try "pair-secret\n".write(toFile: secret, atomically: true, encoding: .utf8)
        chmod(secret, 0o600)
        #expect(try ProgramRun.run(mgm, ["tag", "master", "--data", directory + "/a"]).status == 0)
        let port = try ExecutableTests.freePort(), other = try ExecutableTests.freePort()
        let serve = try ProgramRun.run(mgm, ["serve", "--data", directory + "/a", "--listen", "127.0.0.1:\(port)",
                                             "--master1", "127.0.0.1:\(port)", "--master2", "127.0.0.1:\(other)",
                                             "--secret-file", secret, "--auth", "sss", "--keytab", keytab],
                                       timeout: .seconds(30))
        #expect(serve.status != 0 && serve.stderr.contains("a master/slave pair needs unix among --auth"), "\(serve.stderr)")
    }
}
