import BerylTestSupport
import Foundation
import Glibc
import MGM
import Namespace
import Testing
import XRootD

/// Who may pull the namespace over the sync channel: nobody from a single master (it has no sync
/// listener), and only a holder of the pair's secret (a pair refuses to start without one); a
/// frame changed on the wire is refused and the slave resumes from its last verified record.
/// (The spy slave's attacks on single frames are in ReplicationTests/SpySlaveTests.)
@Suite(.serialized) struct SyncChannelTests {
    @Test func aSingleMasterHasNoSyncListener() throws {
        let server = try TestServer(role: .masterReadWrite)
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

    @Test(.enabled(if: ExecutableTests.haveExecutables, "build the executables first (swift build)"))
    func aFrameChangedOnTheWireIsRefusedAndTheSlaveResumes() throws {
        // The master flips one bit of its 3rd sealed data frame after sealing it: the slave's AEAD
        // refuses that frame, drops the connection, reconnects and resumes from its verified end.
        let pair = try PairFixture(masterEnvironment: ["BERYL_FAULT_SYNC_TAMPER": "3"])
        defer { pair.stop() }
        let client = try pair.master.client()
        for i in 0..<50 {
            try client.mkdir("/tamper/d\(i)", options: .makePath)
            usleep(2_000)
        }
        let master = try pair.master.directClient()
        #expect(PairFixture.eventually { try tree(pair.slave.directClient()) == tree(master) })
        let log = try pair.slave.admin(["ns", "master"]).stdout
        let refusals = log.split(separator: "\n").filter { $0.contains("does not authenticate") }
        #expect(refusals.count == 1, "\(log)")
        #expect(try Int(pair.slave.monitoring("ns.sync.reconnects") ?? "0") ?? 0 >= 1)
    }
}
