import BerylTestSupport
import Foundation
import Glibc
import Testing
import XRootD

/// A seeded random walk over a coordinated pair (TTL 2 s, `required`) and its 3-member etcd: kill -9,
/// pause (SIGSTOP past or within the TTL, then SIGCONT) and restart of either node and of etcd members
/// (one at a time, so a quorum is left). Both nodes are written to all along (a direct client each);
/// after every step the walk checks, over every acknowledgement so far (`AcknowledgementLedger`: the
/// client's send/answer times and the node's epoch), that no two nodes acknowledged writes in the same
/// interval, and that the read-write master holds every acknowledged write.
///
/// `BERYL_WALK_SEED=<n>` replays a walk (every failure message prints the seed), `BERYL_WALK_STEPS=<n>`
/// makes it longer (default 6, well under a minute).
@Suite(.serialized, .enabled(if: ExecutableTests.haveExecutables && EtcdCluster.available,
                             Comment(rawValue: EtcdCluster.available ? "build the executables first (swift build)" : EtcdCluster.skipReason)))
struct CoordinatedWalkTests {
    static let ttl = 2.0

    static func environment(_ name: String) -> UInt64? { getenv(name).flatMap { UInt64(String(cString: $0)) } }

    @Test func theCheckReportsTwoNodesAcknowledgingInOneInterval() {
        let ledger = AcknowledgementLedger()
        let t0 = ContinuousClock.now
        func ack(_ node: Int, _ epoch: UInt64, _ sent: Int, _ answered: Int) -> Acknowledgement {
            Acknowledgement(node: node, path: "/w\(node)/d\(sent)", epoch: epoch,
                            sent: t0 + .milliseconds(sent), answered: t0 + .milliseconds(answered))
        }
        // A clean handover: node 0 at epoch 1 until 100 ms, node 1 at epoch 2 from 3 s on.
        let clean = [ack(0, 1, 0, 5), ack(0, 1, 90, 100), ack(1, 2, 3000, 3005), ack(1, 2, 3100, 3110)]
        #expect(ledger.violations(clean).isEmpty)
        // An in-flight write of the old master answered late is no proof (it overlaps the handover).
        #expect(ledger.violations(clean + [ack(0, 1, 2000, 3050)]).isEmpty)
        // The old master acknowledging a write sent after the new one acknowledged: two masters.
        #expect(ledger.violations(clean + [ack(0, 1, 3050, 3060)]).count == 1)
        // Two nodes under one epoch.
        #expect(ledger.violations(clean + [ack(0, 2, 4000, 4001)]).count == 1)
    }

    enum Step: CustomStringConvertible {
        case killNode(Int), restartNode(Int), pauseNode(Int, milliseconds: Int)
        case killMember(Int), stopMember(Int), restartMember(Int), pauseMember(Int, milliseconds: Int)

        var description: String {
            switch self {
            case .killNode(let i): "kill -9 node \(i)"
            case .restartNode(let i): "restart node \(i)"
            case .pauseNode(let i, let ms): "SIGSTOP node \(i) for \(ms) ms"
            case .killMember(let i): "kill -9 etcd member \(i)"
            case .stopMember(let i): "SIGTERM etcd member \(i)"
            case .restartMember(let i): "restart etcd member \(i)"
            case .pauseMember(let i, let ms): "SIGSTOP etcd member \(i) for \(ms) ms"
            }
        }
    }

    /// The next step: a node or member that is down comes back more often than not; a node is
    /// killed or paused only while the other one runs, a member only while all three run.
    static func next(_ rng: inout SeededRandom, nodesUp: [Bool], membersUp: [Bool]) -> Step {
        let downNode = nodesUp.indices.first { !nodesUp[$0] }
        let downMember = membersUp.indices.first { !membersUp[$0] }
        var choices: [Step] = []
        if let downNode { choices += Array(repeating: .restartNode(downNode), count: 3) }
        if let downMember { choices += Array(repeating: .restartMember(downMember), count: 2) }
        if downNode == nil {
            let node = Int.random(in: 0...1, using: &rng)
            choices += [.killNode(node), .killNode(node),
                        .pauseNode(node, milliseconds: Int.random(in: 300...Int(ttl * 1000) + 2000, using: &rng))]
        }
        if downMember == nil {
            let member = Int.random(in: 0...2, using: &rng)
            choices += [.killMember(member), .stopMember(member),
                        .pauseMember(member, milliseconds: Int.random(in: 300...2500, using: &rng))]
        }
        return choices.randomElement(using: &rng)!
    }

    @Test func aRandomWalkOfKillsPausesAndRestartsNeverHasTwoMastersOrLosesAnAcknowledgedWrite() throws {
        let seed = Self.environment("BERYL_WALK_SEED") ?? UInt64.random(in: 1...999_999)
        let steps = Int(Self.environment("BERYL_WALK_STEPS") ?? 6)
        var rng = SeededRandom(seed: seed)
        let cluster = try EtcdCluster()
        let endpoints = cluster.members.map(\.endpoint.description).joined(separator: ",")
        let pair = try PairFixture(extraArguments: ["--coordinator", "etcd://" + endpoints, "--coordinator-ttl", "\(Int(Self.ttl))",
                                                    "--sync-replication", "required"])
        defer { pair.stop() }
        let nodes = [pair.master, pair.slave]
        #expect(PairFixture.eventually(20) { nodes[1].roleTag.contains("synced=1") }, "seed \(seed)")

        let ledger = AcknowledgementLedger()
        let writers = nodes.indices.map { LedgerWriter(node: $0, endpoint: nodes[$0].endpoint, ledger: ledger) }
        writers.forEach { $0.start() }
        defer { writers.forEach { $0.stop() } }
        var nodesUp = [true, true], membersUp = [true, true, true]
        var history: [String] = []
        func context() -> String { "seed \(seed) (BERYL_WALK_SEED=\(seed) replays it); steps:\n" + history.joined(separator: "\n") }

        for number in 1...steps {
            let step = Self.next(&rng, nodesUp: nodesUp, membersUp: membersUp)
            history.append("\(ledger.offset(.now)) s: step \(number): \(step) (states \(nodes.map { $0.state() ?? "down" }))")
            switch step {
            case .killNode(let i):
                nodes[i].kill9()
                nodesUp[i] = false
            case .restartNode(let i):
                try nodes[i].start()
                nodesUp[i] = true
            case .pauseNode(let i, let ms):
                nodes[i].send(SIGSTOP)
                usleep(UInt32(ms * 1000))
                nodes[i].send(SIGCONT)
            case .killMember(let i):
                cluster.kill(i)
                membersUp[i] = false
            case .stopMember(let i):
                cluster.stop(i)
                membersUp[i] = false
            case .restartMember(let i):
                try cluster.start(i)
                try cluster.waitUntilWritable()
                membersUp[i] = true
            case .pauseMember(let i, let ms):
                cluster.pause(i)
                usleep(UInt32(ms * 1000))
                cluster.resume(i)
            }
            // Settle: a running node is the read-write master and the other one, if it runs, a slave
            // in sync (so the next kill can promote it: a slave that never completed a sync does
            // not); then both writers write for a while.
            let master = settle(nodes, up: nodesUp, seconds: Self.ttl + 10)
            usleep(UInt32.random(in: 300_000...1_200_000, using: &rng))
            history.append("\(ledger.offset(.now)) s: settled: \(nodes.map { $0.state() ?? "down" }), \(ledger.all.count) acknowledged")
            let violations = ledger.violations(ledger.all)
            #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))\n\(context())")
            #expect(master != nil, "the pair did not settle as master-rw and a synced slave; \(context())")
            if let master { try expectHoldsEveryAcknowledgedWrite(nodes[master], ledger.all, context()) }
            guard violations.isEmpty else { return }
        }

        // Everything back; both nodes settle as master and slave and the master holds every write.
        for i in nodes.indices where !nodesUp[i] { try nodes[i].start(); nodesUp[i] = true }
        for i in membersUp.indices where !membersUp[i] { try cluster.start(i); membersUp[i] = true }
        try cluster.waitUntilWritable()
        let master = settle(nodes, up: nodesUp, seconds: Self.ttl + 20)
        usleep(500_000)
        writers.forEach { $0.stop() }
        history.append("\(ledger.offset(.now)) s: end: \(nodes.map { $0.state() ?? "down" }), \(ledger.all.count) acknowledged "
                       + "(node 0: \(ledger.all.filter { $0.node == 0 }.count), node 1: \(ledger.all.filter { $0.node == 1 }.count))")
        let final = try #require(master, "no read-write master after everything came back; \(context())")
        #expect(ledger.violations(ledger.all).isEmpty, "\(ledger.violations(ledger.all))\n\(context())")
        #expect(!ledger.all.isEmpty, "no write was acknowledged at all; \(context())")
        try expectHoldsEveryAcknowledgedWrite(nodes[final], ledger.all, context())
        print("coordinated walk: \(context())")
    }

    /// Waits (at most `seconds`) until a running node answers as master-rw and the other one is down
    /// or a slave that completed a sync; the master's index, or nil when there is none.
    func settle(_ nodes: [MGMNode], up: [Bool], seconds: Double) -> Int? {
        var found: Int?
        _ = PairFixture.eventually(seconds) {
            found = nodes.indices.first { up[$0] && nodes[$0].state() == "master-rw" }
            guard let master = found else { return false }
            let other = 1 - master
            return !up[other] || (nodes[other].state() == "slave-ro" && nodes[other].roleTag.contains("synced=1"))
        }
        return found
    }

    func expectHoldsEveryAcknowledgedWrite(_ node: MGMNode, _ acks: [Acknowledgement], _ context: String) throws {
        let client = try node.directClient()
        defer { client.disconnect() }
        for writer in 0...1 {
            let paths = acks.filter { $0.node == writer }.map(\.path)
            guard !paths.isEmpty else { continue }
            let names = Set(try client.dirlist("/w\(writer)").names)
            let lost = paths.filter { !names.contains(String($0.split(separator: "/").last!)) }
            #expect(lost.isEmpty, "\(node.endpoint) lacks \(lost.count) acknowledged writes: \(lost.prefix(5))\n\(context)")
        }
    }
}
