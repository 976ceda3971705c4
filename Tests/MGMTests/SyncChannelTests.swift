import BerylTestSupport
import Foundation
import Glibc
import MGM
import Testing
import XRootD

/// Who may pull the namespace over the sync channel: nobody from a single master (it has no sync
/// listener), and only a holder of the pair's secret (a pair refuses to start without one).
@Suite(.serialized) struct SyncChannelTests {
    @Test func aSingleMasterHasNoSyncListener() throws {
        let server = try TestServer(role: .master)
        defer { server.stop() }
        let ns = try server.client(user: "root").readFile("/proc/admin/?mgm.cmd=ns")
        let text = String(decoding: ns, as: UTF8.self)
        #expect(text.contains("sync=none"), "\(text)")
        #expect(text.contains("(single master") || !text.contains("slaves="), "\(text)")
        let monitoring = String(decoding: try server.client(user: "root").readFile("/proc/admin/?mgm.cmd=ns&mgm.subcmd=stat&mgm.option=m"),
                                as: UTF8.self)
        #expect(monitoring.contains("ns.sync.listening=0"), "\(monitoring)")
    }

    @Test(.enabled(if: ExecutableTests.haveExecutables, "build the executables first (swift build)"))
    func aPairRefusesToStartWithoutASecret() throws {
        let mgm = try #require(ChildProcess.sibling("beryl-mgm"))
        let directory = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try ProgramRun.run(mgm, ["tag", "master", "--data", directory]).status == 0)
        let port = try ExecutableTests.freePort()
        let run = try ProgramRun.run(mgm, ["serve", "--data", directory, "--listen", "127.0.0.1:\(port)",
                                           "--master1", "127.0.0.1:\(port)", "--master2", "127.0.0.1:1"], timeout: .seconds(30))
        #expect(run.status == 1)
        #expect(run.stderr.contains("needs --secret-file"), "\(run.stderr)")
    }
}
