import BerylTestSupport
import Foundation
import Glibc
import MGM
import Testing
import XRootD

/// A seeded random walk over failover sequences on one pair under `--sync-replication required`,
/// with a writer running throughout: graceful swaps, kills of either node, a paused slave, a paused
/// master resumed after a forced promotion, and a stale master restarted while the new master is
/// down. Each sequence ends with the operator's documented recovery (steps, `--force`,
/// `--discard-divergent`). After each one: exactly one read-write master, the slave converges, and
/// every write the writer saw acknowledged is on the master.
@Suite(.serialized, .enabled(if: ExecutableTests.haveExecutables, "build the executables first (swift build)"))
struct RoleChangeWalkTests {
    enum Step: CaseIterable { case gracefulSwap, masterKilled, slaveKilled, slavePaused, pausedMaster, staleRestart }

    /// Writes to whichever node takes them (no redirect, no wait), recording what was acknowledged.
    final class Writer: @unchecked Sendable {
        let acknowledged = Shared<[String]>([])
        let stopping = Shared(false)
        private let done = Shared(false)
        /// While set, the writer sends nothing (`idle` once its last request returned).
        private let paused = Shared(false)
        private let idle = Shared(false)
        let nodes: [MGMNode]

        init(_ nodes: [MGMNode]) { self.nodes = nodes }

        func start() {
            Thread { [self] in
                var clients: [Int: XRootDClient] = [:]
                var i = 0
                while !stopping.value {
                    if paused.value {
                        idle.update { $0 = true }
                        usleep(5_000)
                        continue
                    }
                    idle.update { $0 = false }
                    let n = i % 2
                    if clients[n] == nil {
                        clients[n] = try? XRootDClient(nodes[n].endpoint, options: .init(
                            user: "root", connectTimeout: .milliseconds(300), requestTimeout: .seconds(5),
                            maximumRedirects: 0, maximumTotalWait: .zero))
                    }
                    let path = "/walk/w\(i)"
                    i += 1
                    guard let client = clients[n] else { usleep(20_000); continue }
                    do {
                        try client.mkdir(path, options: .makePath)
                        acknowledged.update { $0.append(path) }
                    } catch let error as XRootDError {
                        if case .connectionFailed = error { clients[n] = nil }
                        usleep(5_000)
                    } catch {
                        clients[n] = nil
                    }
                }
                done.update { $0 = true }
            }.start()
        }

        /// Holds the writer still (for comparing both nodes' trees) until `resume()`.
        func pause() {
            paused.update { $0 = true }
            _ = PairFixture.eventually(10) { idle.value }
        }

        func resume() { paused.update { $0 = false } }

        func stop() {
            stopping.update { $0 = true }
            _ = PairFixture.eventually(10) { done.value }
        }
    }

    @Test func aRandomWalkOfFailoversLosesNoAcknowledgedWrite() throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["BERYL_WALK_SEED"] ?? "") ?? 20_261_204
        let steps = Int(ProcessInfo.processInfo.environment["BERYL_WALK_STEPS"] ?? "") ?? 8
        var random = SeededRandom(seed: seed)
        let pair = try PairFixture(extraArguments: ["--sync-replication", "required"])
        let writer = Writer([pair.master, pair.slave])
        defer {
            writer.stop()
            for node in [pair.master, pair.slave] { node.send(SIGCONT) }
            pair.stop()
        }
        var master = pair.master, slave = pair.slave
        #expect(PairFixture.eventually { try slave.admin(["ns", "master"]).stdout.contains("in sync with") })
        writer.start()
        var history: [Step] = []
        for _ in 0..<steps {
            // Let the writer get writes through the healthy pair before the next failure.
            let before = writer.acknowledged.value.count
            _ = PairFixture.eventually(5) { writer.acknowledged.value.count >= before + 30 }
            let step = Step.allCases.randomElement(using: &random)!
            history.append(step)
            let label = "seed \(seed), steps \(history)"
            switch step {
            case .gracefulSwap:
                try expectOK(master, ["ns", "master", slave.endpoint.description], label)
                try expectOK(slave, ["ns", "master", slave.endpoint.description], label)
                try expectOK(master, ["ns", "master", slave.endpoint.description], label)
                swap(&master, &slave)
            case .masterKilled:
                master.kill9()
                try expectOK(slave, ["ns", "master", slave.endpoint.description, "--force"], label)
                try master.start()
                try rejoin(master, as: slave, label)
                swap(&master, &slave)
            case .slaveKilled:
                slave.kill9()
                usleep(300_000)
                try slave.start()
            case .slavePaused:
                slave.send(SIGSTOP)
                usleep(800_000)
                slave.send(SIGCONT)
            case .pausedMaster:
                master.send(SIGSTOP)
                try expectOK(slave, ["ns", "master", slave.endpoint.description, "--force"], label)
                master.send(SIGCONT)
                #expect(PairFixture.eventually { master.state() != "master-rw" }, "\(label): the resumed old master stays writable")
                try rejoin(master, as: slave, label)
                swap(&master, &slave)
            case .staleRestart:
                master.kill9()
                try expectOK(slave, ["ns", "master", slave.endpoint.description, "--force"], label)
                slave.kill9()
                try master.start()
                usleep(1_200_000)
                #expect(master.state() == "master-ro", "\(label): a stale master restarted writable")
                try slave.start()
                #expect(PairFixture.eventually(20) { slave.state() == "master-rw" }, "\(label): the newer master did not open")
                try rejoin(master, as: slave, label)
                swap(&master, &slave)
            }
            // The pair is healthy again: one master, the slave converges, nothing acknowledged is lost.
            let states = [master.state(), slave.state()]
            #expect(states == ["master-rw", "slave-ro"], "\(label): states \(states)")
            writer.pause()
            defer { writer.resume() }
            let m = try master.directClient()
            let converged = PairFixture.eventually(30) { try tree(slave.directClient()) == tree(m) }
            #expect(converged, "\(label): the slave did not converge")
            let acked = writer.acknowledged.value
            let present = Set(try tree(m))
            let missing = acked.filter { !present.contains($0 + "/") }
            #expect(missing.isEmpty, "\(label): \(missing.count) of \(acked.count) acknowledged writes missing: \(missing.prefix(5))")
            m.disconnect()
            // The next step may promote this slave without its master: it must have synced once.
            #expect(PairFixture.eventually { slave.roleTag.contains("synced=1") }, "\(label): slave tag \(slave.roleTag)")
        }
        #expect(writer.acknowledged.value.count > 50, "the writer got too few writes through: \(writer.acknowledged.value.count)")
    }

    /// Step 3 on the old master, discarding a divergent tail when it is refused for one. Step 3
    /// clears the node's `synced` mark; it comes back once the node holds everything its new master
    /// announced, unless following stopped on a divergent tail (`diverged-records=` in `ns`).
    private func rejoin(_ old: MGMNode, as newMaster: MGMNode, _ label: String) throws {
        #expect(PairFixture.eventually(20) { old.state() == "master-ro" }, "\(label): old master \(old.state() ?? "down")")
        try expectOK(old, ["ns", "master", newMaster.endpoint.description], label)
        func diverged() throws -> Bool { try old.admin(["ns"]).stdout.contains("diverged-records=") }
        let settled = PairFixture.eventually(20) { try old.roleTag.contains("synced=1") || diverged() }
        #expect(settled, "\(label): the old master neither syncs nor reports a divergent tail (tag \(old.roleTag))")
        if try diverged() {
            try expectOK(old, ["ns", "master", newMaster.endpoint.description, "--discard-divergent"], label)
            #expect(PairFixture.eventually(20) { old.roleTag.contains("synced=1") }, "\(label): no sync after the discard")
        }
    }

    private func expectOK(_ node: MGMNode, _ words: [String], _ label: String) throws {
        let r = try node.admin(words)
        #expect(r.returnCode == 0, "\(label): \(words.joined(separator: " ")) on \(node.endpoint): \(r.stderr)")
    }
}
