import BerylTestSupport
import Foundation
import Glibc
import MGM
import Synchronization
import Testing
import XRootD

/// Master and slave as separate `beryl-mgm` processes on loopback: redirects, reads under load,
/// kills, promotion, wrong step orders, compaction, secrets and corrupted streams.
@Suite(.serialized, .enabled(if: ExecutableTests.haveExecutables, "build the executables first (swift build)"))
struct ReplicationPairTests {
    @Test func writesThroughTheSlaveAreRedirectedToTheMasterAndShowUpOnTheSlave() throws {
        let pair = try PairFixture()
        defer { pair.stop() }
        // Until the slave's supervisor has seen the master, it answers writes with the 60 s stall of a
        // slave without a master (as the legacy MGM); the stock client would then wait out its timeout.
        #expect(PairFixture.eventually {
            try pair.slave.admin(["access", "ls"]).stdout.contains("w:* => \(pair.master.endpoint)")
        })
        if StockTools.hasXrdfs {
            let run = try ProgramRun.run(StockTools.xrdfs, [pair.slave.url], input: "mkdir -p /via/slave/deep\nls /via\n",
                                         timeout: .seconds(60))
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("/via/slave"), "\(run.stdout)")
        } else {
            try pair.slave.client().mkdir("/via/slave/deep", options: .makePath)
        }
        #expect(try pair.master.directClient().stat("/via/slave/deep").isDirectory)
        let slave = try pair.slave.directClient()
        #expect(PairFixture.eventually { try slave.stat("/via/slave/deep").isDirectory })
        // A write straight to the slave is answered with a redirect to the master.
        #expect(throws: XRootDError.self) { try slave.mkdir("/refused") }
        let ns = try pair.slave.admin(["ns"]).stdout
        #expect(ns.contains("state=slave-ro") && ns.contains("master=\(pair.master.endpoint)"), "\(ns)")
        #expect(ns.contains("Namespace Latency Files") && ns.contains("Namespace Pending Updates"), "\(ns)")
        let rules = try pair.slave.admin(["access", "ls"]).stdout
        #expect(rules.contains("w:* => \(pair.master.endpoint)") && rules.contains("ENOENT:* => \(pair.master.endpoint)"), "\(rules)")
    }

    @Test func theSlaveServesReadsDuringAHeavyWriteLoad() throws {
        let pair = try PairFixture()
        defer { pair.stop() }
        try pair.master.client().mkdir("/load", options: .makePath)
        #expect(PairFixture.eventually { try pair.slave.directClient().stat("/load").isDirectory })
        let done = Shared(false)
        let writer = Thread {
            guard let client = try? pair.master.client() else { return }
            for i in 0..<3_000 { try? client.mkdir("/load/d\(i)") }
            done.update { $0 = true }
        }
        writer.start()
        let reader = try pair.slave.directClient()
        var reads = 0, failures = 0
        while !done.value && reads < 200_000 {
            do {
                _ = try reader.stat("/load")
                _ = try reader.dirlist("/")
            } catch {
                failures += 1
            }
            reads += 1
        }
        #expect(failures == 0, "\(failures) of \(reads) reads on the slave failed during the load")
        #expect(reads > 10)
        let master = try pair.master.directClient()
        #expect(PairFixture.eventually { try tree(reader) == tree(master) })
    }

    @Test func aKilledSlaveResumesAndConverges() throws {
        let pair = try PairFixture()
        defer { pair.stop() }
        let client = try pair.master.client()
        for i in 0..<300 { try client.mkdir("/k/d\(i)", options: .makePath) }
        pair.slave.kill9()
        for i in 300..<600 { try client.mkdir("/k/d\(i)", options: .makePath) }
        try pair.slave.start()
        for i in 600..<700 { try client.mkdir("/k/d\(i)", options: .makePath) }
        let master = try pair.master.directClient()
        #expect(PairFixture.eventually { try tree(pair.slave.directClient()) == tree(master) })
        // And once more, killed while it is catching up.
        pair.slave.kill9()
        for i in 700..<2_000 { try client.mkdir("/k/e\(i)", options: .makePath) }
        try pair.slave.start()
        usleep(30_000)
        pair.slave.kill9()
        try pair.slave.start()
        #expect(PairFixture.eventually(30) { try tree(pair.slave.directClient()) == tree(master) })
    }

    @Test func afterTheMasterIsKilledThePromotedSlaveHasEveryAcknowledgedWrite() throws {
        let pair = try PairFixture(masterDurability: "always")
        defer { pair.stop() }
        // Durability `always` waits for a slave once it is caught up ("in sync").
        #expect(PairFixture.eventually { try pair.master.admin(["ns", "master"]).stdout.contains("is in sync") })
        let acknowledged = Shared<[String]>([])
        let writer = Thread {
            guard let client = try? pair.master.directClient() else { return }
            for i in 0..<100_000 {
                let path = "/acked/d\(i)"
                guard (try? client.mkdir(path, options: .makePath)) != nil else { return }
                acknowledged.update { $0.append(path) }
            }
        }
        writer.start()
        #expect(PairFixture.eventually { acknowledged.value.count >= 200 })
        pair.master.kill9()
        usleep(100_000)
        let acked = acknowledged.value
        // Step 2 on the slave (the old master is down: steps 1 and 3 wait for it to come back). The
        // master does not answer, so the in-sync slave is promoted only when forced.
        let unforced = try pair.slave.admin(["ns", "master", pair.slave.endpoint.description])
        #expect(unforced.returnCode != 0 && unforced.stderr.contains("--force"), "\(unforced)")
        let promote = try pair.slave.admin(["ns", "master", pair.slave.endpoint.description, "--force"])
        #expect(promote.returnCode == 0, "\(promote.stderr)")
        #expect(pair.slave.state() == "master-rw")
        let slave = try pair.slave.directClient()
        let missing = acked.filter { (try? slave.stat($0)) == nil }
        #expect(missing.isEmpty, "\(missing.count) of \(acked.count) acknowledged writes are missing after the promotion")
        // The old master comes back: fenced by the newer epoch, it must not accept writes...
        try pair.master.start()
        #expect(pair.master.state() != "master-rw")
        #expect(throws: XRootDError.self) { try pair.master.directClient().mkdir("/second-master") }
        // ...and step 3 makes it a slave of the new master; it converges. A tail it wrote but never
        // shipped (durable there, never acknowledged) is refused until the operator discards it.
        let step3 = try pair.master.admin(["ns", "master", pair.slave.endpoint.description])
        #expect(step3.returnCode == 0, "\(step3.stderr)")
        _ = PairFixture.eventually(5) { try pair.master.admin(["ns", "master"]).stdout.contains("divergent tail") }
        if try pair.master.admin(["ns", "master"]).stdout.contains("divergent tail") {
            let discard = try pair.master.admin(["ns", "master", pair.slave.endpoint.description, "--discard-divergent"])
            #expect(discard.returnCode == 0, "\(discard.stderr)")
        }
        try pair.slave.directClient().mkdir("/after-failover")
        #expect(PairFixture.eventually(30) { try tree(pair.master.directClient()) == tree(slave) })
        #expect(pair.master.state() == "slave-ro")
    }

    @Test func noStepOrderYieldsTwoReadWriteMasters() throws {
        let pair = try PairFixture()
        defer { pair.stop() }
        let m = pair.master, s = pair.slave
        func masters() -> Int { [m.state(), s.state()].filter { $0 == "master-rw" }.count }
        func ns(_ node: MGMNode, _ target: MGMNode) throws -> Int32 {
            let r = try node.admin(["ns", "master", target.endpoint.description])
            #expect(masters() <= 1, "two read-write masters after `ns master \(target.endpoint)` on \(node.endpoint)")
            for n in [m, s] {
                let line = try n.admin(["ns"]).stdout.split(separator: "\n").first { $0.contains("Replication") } ?? ""
                #expect(line.contains("state=") , "\(line)")
            }
            return r.returnCode
        }
        #expect(try ns(s, s) != 0)           // step 2 first: refused, the master is still read-write
        #expect(try ns(m, m) == 0)           // the master names itself: nothing changes
        #expect(try ns(m, s) == 0)           // step 1
        #expect(try ns(m, s) != 0)           // step 3 before step 2: refused
        #expect(try ns(m, m) == 0)           // back to read-write: allowed while nobody else is master
        #expect(m.state() == "master-rw" && s.state() == "slave-ro")
        #expect(try ns(m, s) == 0)           // step 1 again
        #expect(try ns(s, s) == 0)           // step 2
        #expect(try ns(m, m) != 0)           // the old master tries to take over again: refused
        #expect(try ns(m, s) == 0)           // step 3
        #expect(m.state() == "slave-ro" && s.state() == "master-rw")
        #expect(try ns(s, m) == 0)           // and back: step 1 on the new master
        #expect(try ns(m, m) == 0)           // step 2 on the old one
        #expect(try ns(s, m) == 0)           // step 3
        #expect(m.state() == "master-rw" && s.state() == "slave-ro")
        let log = try m.admin(["ns", "master"]).stdout
        #expect(log.contains("master-ro -> master-rw") || log.contains("slave-ro -> master-rw"), "\(log)")
    }

    @Test func aMasterCompactionDoesNotInterruptTheSlave() throws {
        let pair = try PairFixture()
        defer { pair.stop() }
        let client = try pair.master.client()
        for i in 0..<500 { try client.mkdir("/c/d\(i % 50)/e\(i)", options: .makePath) }
        for i in 0..<250 { try client.rmdir("/c/d\(i % 50)/e\(i)") }
        let slave = try pair.slave.directClient()
        let master = try pair.master.directClient()
        #expect(PairFixture.eventually { try tree(slave) == tree(master) })
        let done = Shared(false)
        let failures = Shared(0)
        let reader = Thread {
            guard let c = try? pair.slave.directClient() else { return }
            while !done.value {
                if (try? c.stat("/c/d7")) == nil { failures.update { $0 += 1 } }
            }
        }
        reader.start()
        #expect(try pair.master.admin(["ns", "compact", "on", "0", "0", "all"]).returnCode == 0)
        let switched = PairFixture.eventually(30) {
            try pair.slave.admin(["ns", "master"]).stdout.split(separator: "\n").filter { $0.contains("replica switched") }.count >= 2
        }
        try client.mkdir("/c/after-compaction")
        let converged = PairFixture.eventually { try tree(slave) == tree(master) }
        #expect(converged, "slave: \((try? pair.slave.admin(["ns", "master"]).stdout) ?? "?")\nmaster: \((try? pair.master.admin(["ns", "master"]).stdout) ?? "?")")
        done.update { $0 = true }
        #expect(switched, "the slave did not switch to the compacted logs")
        #expect(failures.value == 0, "reads failed on the slave during the master's compaction")
        let rules = try pair.slave.admin(["access", "ls"]).stdout
        #expect(!rules.contains("  * =>"), "a redirect-all rule appeared: \(rules)")
    }

    @Test func aSlaveWithTheWrongSecretIsRefused() throws {
        let pair = try PairFixture(slaveSecret: "not-the-secret\n")
        defer { pair.stop() }
        try pair.master.client().mkdir("/secret-test")
        #expect(PairFixture.eventually { try pair.master.admin(["ns", "master"]).stdout.contains("authentication failed") })
        // Neither node trusts the other's role from it: each one's probes fail the handshake.
        #expect(PairFixture.eventually { try pair.slave.admin(["ns", "master"]).stdout.contains("authentication failed") })
        #expect(throws: XRootDError.self) { try pair.slave.directClient().stat("/secret-test") }
        #expect(try pair.slave.monitoring("ns.sync.connected") == "0")
    }

    @Test func aCorruptedByteInTheStreamIsDetectedAndTheStreamResumes() throws {
        let pair = try PairFixture(masterEnvironment: ["BERYL_FAULT_SYNC_CORRUPT": "3"])
        defer { pair.stop() }
        let client = try pair.master.client()
        for i in 0..<50 {
            try client.mkdir("/corrupt/d\(i)", options: .makePath)
            usleep(2_000)
        }
        let master = try pair.master.directClient()
        #expect(PairFixture.eventually { try tree(pair.slave.directClient()) == tree(master) })
        #expect(try Int(pair.slave.monitoring("ns.sync.corrupt_chunks") ?? "0") ?? 0 >= 1)
        #expect(try pair.slave.admin(["ns", "master"]).stdout.contains("do not verify")
                || pair.slave.admin(["ns", "master"]).stdout.contains("refused"))
    }
}
