import Foundation
import Glibc
import MGM
import Testing
import XRootD

/// A thread that cannot be created fails the one operation that needed it, and nothing waits on it:
/// the sync sender of an accepted slave connection used to run inline, under the sync server's lock,
/// when its thread could not start, and wedged every `always` write, `ns` and SIGTERM for good.
/// The failures are injected in the master process (`BERYL_FAULT_THREAD_START`, debug builds).
@Suite(.serialized) struct ThreadStartFaultTests {
    /// The first three sender threads cannot start (then they can again), or none ever can; or the
    /// sender's acknowledgement reader cannot start twice.
    @Test(arguments: ["sync-sender:3", "sync-sender", "sync-acknowledgement-reader:2"])
    func senderThreadFailureAtSyncAcceptWedgesNothing(fault: String) throws {
        let thread = String(fault.split(separator: ":")[0])
        let failure = "cannot start the \(thread) thread"
        // `preferred`: with no slave able to sync, the first write waits out the 5 s bound, then the
        // master degrades and answers (`required` would rightly stall every write until a slave syncs).
        let pair = try PairFixture(masterDurability: "always", masterEnvironment: ["BERYL_FAULT_THREAD_START": fault],
                                   extraArguments: ["--sync-replication", "preferred"])
        defer { pair.stop() }
        let client = try pair.master.client()
        // The slave connects (and reconnects) meanwhile; writes under `always` are answered.
        let start = ContinuousClock.now
        for index in 0..<40 { try client.mkdir("/t/d\(index)", options: [.makePath]) }
        let writing = ContinuousClock.now - start
        #expect(writing < .seconds(15), "40 mkdirs under always took \(writing)")
        // `ns` answers and the failure is in the master log, once per refused connection.
        #expect(PairFixture.eventually(10) { try !pair.master.masterLogLines(containing: failure).isEmpty })
        let lines = try pair.master.masterLogLines(containing: failure)
        #expect(lines.allSatisfy { $0.contains("connection closed") && !$0.contains("INFO") }, "\(lines)")
        let ns = try pair.master.admin(["ns"])
        #expect(ns.stdout.contains("Replication"), "\(ns.stderr)")
        if fault.contains(":") {
            // Once threads start again the slave syncs, and `always` writes wait for it and are answered.
            let slave = try pair.slave.directClient()
            #expect(PairFixture.eventually(20) { (try? slave.stat("/t/d39")) != nil }, "the slave never caught up")
            for index in 0..<10 { try client.mkdir("/t/after\(index)") }
            #expect(PairFixture.eventually(10) { (try? slave.stat("/t/after9")) != nil })
            #expect(lines.count <= 3, "\(lines)")
        } else {
            #expect(try pair.master.monitoring("ns.master.mode") == "master-rw")
        }
        // SIGTERM ends the master promptly and cleanly.
        let ended = pair.master.terminateTimed()
        #expect(ended != nil, "the master did not exit within 10 s of SIGTERM")
        #expect(ended?.status == 0)
        print("thread-start fault \(fault): 40 always mkdirs in \(writing), master exited \(ended.map { "\($0.seconds)" } ?? "never") s after SIGTERM")
    }
}
