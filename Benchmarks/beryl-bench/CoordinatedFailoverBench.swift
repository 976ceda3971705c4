import BenchSupport
import BerylTestSupport
import Foundation
import Glibc
import XRootD

/// Part `coordinated` of suite `replication`: a pair elected through a real 3-member etcd on loopback
/// (`EtcdCluster`, the tests' cluster: members in /dev/shm, election timeout 1 s), the default TTL 3 s.
///
/// * `failover_seconds`: `kill -9` of the master to the first write acknowledged by the promoted
///   slave, median of 5 rounds, each a fresh pair (its own key prefix) under `--sync-replication off`,
///   so the figure is the election path alone (lease expiry, the standby's 0.2 s poll, the promotion).
///   Under `required` a promoted master acknowledges nothing until a slave is in sync again, so the
///   same measurement never ends without the old node's return: `failover_required_restarted_seconds`
///   is that case with the killed master restarted at once (as `Restart=always` would), fenced by
///   etcd's epoch and following the new master before the first acknowledgement.
/// * `coordinated_mkdir_overhead_ratio`: p50 latency of one client's sequential mkdirs on the master
///   of a coordinated pair over the same on a pair without coordinator, both pairs running at once
///   under `required`, in alternating batches of 100 (the lease renewal is off the write path; the
///   write path only reads the validity).
extension ReplicationSuite {
    static let coordinatorTTL = 3

    func coordinated(_ figures: inout [Figure], _ notes: inout [String]) throws {
        let cluster = try EtcdCluster()
        defer { cluster.shutdown() }
        var plain: [Double] = [], restarted: [Double] = []
        for round in 0..<5 {
            plain.append(try failover(cluster, round: round, mode: "off", restartOldMaster: false))
            print("  failover \(round + 1) (sync off): \(format(plain.last!)) s")
        }
        for round in 0..<5 {
            restarted.append(try failover(cluster, round: round, mode: "required", restartOldMaster: true))
            print("  failover \(round + 1) (required, old master restarted): \(format(restarted.last!)) s")
        }
        let ttl = Double(Self.coordinatorTTL)
        figures += [
            Figure(name: "failover_seconds", value: median(plain), unit: "s", goal: .atMost(ttl + 1)),
            Figure(name: "failover_seconds_max", value: plain.max() ?? .nan, unit: "s", goal: .report),
            Figure(name: "failover_required_restarted_seconds", value: median(restarted), unit: "s", goal: .report),
        ]
        notes.append("failover (TTL \(Self.coordinatorTTL) s, 3-member etcd on loopback): sync off "
                     + plain.map(format).joined(separator: " / ") + " s; required with the old master restarted at once "
                     + restarted.map(format).joined(separator: " / ") + " s")
        let (ratio, line) = try mkdirOverhead(cluster)
        figures.append(Figure(name: "coordinated_mkdir_overhead_ratio", value: ratio, unit: "ratio", goal: .atMost(1.05)))
        notes.append(line)
        print("  " + line)
    }

    /// One round: a fresh coordinated pair, the master killed, seconds until the slave acknowledges a write.
    private func failover(_ cluster: EtcdCluster, round: Int, mode: String, restartOldMaster: Bool) throws -> Double {
        let pair = try ReplicationPair(name: "failover-\(mode)-\(round)", durability: "batch")
        pair.syncReplication = mode
        pair.extraArguments = ["--coordinator", cluster.url, "--coordinator-prefix", "/bench/\(mode)/\(round)",
                               "--coordinator-ttl", "\(Self.coordinatorTTL)"]
        defer {
            pair.stopAll()
            pair.remove()
        }
        do {
            let (master, slave) = (pair.a, pair.b)
            try pair.tag(master, "master")
            try pair.tag(slave, "slave")
            try pair.start(master)
            try pair.start(slave)
            try waitForState(master, "master-rw", seconds: 30)
            try master.client(redirects: 0).mkdir("/before/d", options: .makePath)
            try pair.waitUntilFollowing(slave)
            // The slave's `synced=1` (a completed sync) is what allows it to promote.
            usleep(500_000)
            var client = try slave.client(redirects: 0, wait: .zero)
            let killed = uptimeNanoseconds()
            master.process?.kill()
            master.process = nil
            if restartOldMaster { try pair.start(master) }
            var i = 0
            while uptimeNanoseconds() - killed < 60_000_000_000 {
                i += 1
                do throws(XRootDError) {
                    try client.mkdir("/after-\(i)")
                    return Double(uptimeNanoseconds() - killed) / 1e9
                } catch {
                    switch error {
                    case .server, .tooManyRedirects, .waitLimitExceeded: break
                    default: client = try slave.client(redirects: 0, wait: .zero)
                    }
                    usleep(5_000)
                }
            }
            throw BenchError("failover (\(mode)): the slave acknowledged no write within 60 s of the kill")
        } catch {
            print(pair.logTails())
            throw error
        }
    }

    private func waitForState(_ node: ReplicationPair.Node, _ state: String, seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while (try? node.state()) != state {
            guard Date() < deadline else { throw BenchError("\(node.name) is not \(state) within \(seconds) s") }
            usleep(20_000)
        }
    }

    /// Two pairs at once, one coordinated: p50 mkdir latency ratio over alternating batches.
    private func mkdirOverhead(_ cluster: EtcdCluster) throws -> (Double, String) {
        let pairs = try ["plain", "coordinated"].map { name -> ReplicationPair in
            let pair = try ReplicationPair(name: "overhead-\(name)", durability: "batch")
            pair.syncReplication = "required"
            if name == "coordinated" {
                pair.extraArguments = ["--coordinator", cluster.url, "--coordinator-prefix", "/bench/overhead",
                                       "--coordinator-ttl", "\(Self.coordinatorTTL)"]
            }
            return pair
        }
        defer { pairs.forEach { $0.stopAll(); $0.remove() } }
        do {
            for pair in pairs {
                try pair.tag(pair.a, "master")
                try pair.tag(pair.b, "slave")
                try pair.start(pair.a)
                try pair.start(pair.b)
                try waitForState(pair.a, "master-rw", seconds: 30)
                try pair.waitUntilFollowing(pair.b)
            }
            let clients = try pairs.map { try $0.a.client(redirects: 0) }
            for c in clients { try c.mkdir("/overhead/warm", options: .makePath) }
            var samples: [[Double]] = [[], []]
            let batches = quick ? 10 : 30
            for batch in 0..<batches {
                // Alternate which pair goes first, so drift of the machine's load hits both alike.
                for k in (batch % 2 == 0 ? [0, 1] : [1, 0]) {
                    for i in 0..<100 {
                        let t = uptimeNanoseconds()
                        try clients[k].mkdir("/overhead/b\(batch)-\(i)")
                        samples[k].append(Double(uptimeNanoseconds() - t) / 1e6)
                    }
                }
            }
            let p50 = samples.map { percentile($0, 0.5) }
            let ratio = p50[1] / p50[0]
            return (ratio, "mkdir p50 under required, \(samples[0].count) each, interleaved batches of 100: coordinated "
                    + "\(format(p50[1])) ms, plain \(format(p50[0])) ms (ratio \(format(ratio))); p99 \(format(percentile(samples[1], 0.99))) "
                    + "vs \(format(percentile(samples[0], 0.99))) ms")
        } catch {
            pairs.forEach { print($0.logTails()) }
            throw error
        }
    }
}
