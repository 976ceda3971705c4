import BenchSupport
import Changelog
import Foundation
import Glibc
import Namespace
import Synchronization
import XRootD

/// Suite `replication`: a master and a slave `beryl-mgm` as separate processes on loopback
/// (durability `batch` on both), see `ReplicationPair`.
///
/// * **Lag**: `LoadGenerator` writes to the master at up to 20,000 mutations/s; a probe creates a
///   new directory on the master every 10 ms and, from the master's acknowledgement (the group
///   commit's fdatasync is before it), stats it on the slave in a tight loop over a long-lived
///   connection that follows no redirect (a slave answers a miss with a redirect to the master)
///   until the slave answers itself: ack-to-visible on the slave.
/// * **Role change**: the three `ns master` admin calls (old master, slave, old master), timed end
///   to end, twice with no load (there and back), then twice with the load on the master.
/// * **Sync modes**: 16 writers without pacing against a master under `--sync-replication
///   required`, then `preferred`, then a single master (no pair), each on fresh directories with
///   durability `batch`: mutations per second and p99 latency (what waiting for the slave costs).
///   The lag, role-change and catch-up parts run the pair with `--sync-replication off`, so the lag
///   is the asynchronous shipping path as before.
/// * **Catch-up**: a master data directory with a backlog of 1 M records (written in-process, see
///   `ScaleSuite.appendFileVersions`), ending with a sentinel file; a slave process is started and
///   the time until the sentinel is visible on it is the catch-up. Twice: a fresh, empty slave
///   (which fetches the master's logs alongside and adopts them), then the same slave restarted
///   after the master took another 1 M records while it was down (it resumes at its length and
///   applies the streamed records). A reader stats `/` on the slave meanwhile.
/// * **Coordinated** (`--coordinator`, a 3-member etcd): failover time and the write path's overhead,
///   see `CoordinatedFailoverBench.swift`.
struct ReplicationSuite {
    enum Part: String, CaseIterable { case lag, roleChange = "role-change", catchUp = "catch-up", syncModes = "sync-modes", coordinated }

    var quick: Bool
    var parts: Set<Part> = Set(Part.allCases)
    var loadRate = 20_000.0
    var loadThreads = 16

    var lagSeconds: Double { quick ? 4 : 12 }
    var backlogRecords: Int { quick ? 200_000 : 1_000_000 }

    func run() throws -> (figures: [Figure], notes: [String]) {
        var figures: [Figure] = []
        var notes: [String] = []
        if parts.contains(.lag) || parts.contains(.roleChange) {
            try withFollowingPair(name: "replication", durability: "batch") { pair in
                if parts.contains(.lag) { try lag(pair, &figures, &notes) }
                if parts.contains(.roleChange) { try roleChanges(pair, &figures, &notes) }
            }
        }
        if parts.contains(.lag) {
            // The same probe with the master at durability `none`: a mutation costs the master no
            // fdatasync, so the load can reach the 20,000 mutations/s of the target on 2 cores, and
            // the lag is the shipping path alone (append, push, verify, apply).
            try withFollowingPair(name: "replication-none", durability: "none") { pair in
                try lag(pair, &figures, &notes, prefix: "lag_none", samplesName: "lag_none_ms")
            }
        }
        if parts.contains(.catchUp) { try catchUp(&figures, &notes) }
        if parts.contains(.syncModes) { try syncModes(&figures, &notes) }
        if parts.contains(.coordinated) { try coordinated(&figures, &notes) }
        return (figures, notes)
    }

    /// A master and a slave started on scratch directories, the slave following, for `body`; both
    /// stopped and removed after (their logs printed on failure).
    private func withFollowingPair(name: String, durability: String, _ body: (ReplicationPair) throws -> Void) throws {
        let pair = try ReplicationPair(name: name, durability: durability)
        defer {
            pair.stopAll()
            pair.remove()
        }
        do {
            try pair.tag(pair.a, "master")
            try pair.tag(pair.b, "slave")
            try pair.start(pair.a)
            try pair.start(pair.b)
            try pair.waitUntilFollowing(pair.b)
            try body(pair)
        } catch {
            print(pair.logTails())
            throw error
        }
    }

    // MARK: Lag

    private func lag(_ pair: ReplicationPair, _ figures: inout [Figure], _ notes: inout [String],
                     prefix: String = "lag", samplesName: String = "lag_ms") throws {
        let master = pair.a, slave = pair.b
        let load = try LoadGenerator(node: master, threads: loadThreads, rate: loadRate, tag: "lag")
        let masterClient = try master.client()
        let slaveClient = try slave.client(redirects: 0)
        try masterClient.mkdir("/probe", options: .makePath)
        try pair.waitUntilFollowing(slave)
        load.start()
        let probe: (samples: [Double], timeouts: Int)
        do {
            usleep(1_000_000)
            probe = try probeLag(masterClient, slaveClient, seconds: lagSeconds)
        } catch {
            _ = load.stop()
            throw error
        }
        let result = load.stop()
        let samples = probe.samples.sorted()
        guard samples.count >= 100 else { throw BenchError("only \(samples.count) lag samples") }
        try writeSamples(suite: "replication", name: samplesName, values: probe.samples)
        let loadLatency = result.latenciesNanoseconds.map { Double($0) / 1e6 }
        print("  \(prefix) (master durability \(pair.durability)): \(samples.count) samples, p50 \(format(percentile(samples, 0.5))) ms, p99 \(format(percentile(samples, 0.99))) ms, "
              + "max \(format(samples.last!)) ms; load \(Int(result.rate)) mutations/s (\(result.failed) failed)")
        figures += [
            Figure(name: "\(prefix)_p50_ms", value: percentile(samples, 0.5), unit: "ms", goal: .report),
            Figure(name: "\(prefix)_p99_ms", value: percentile(samples, 0.99), unit: "ms", goal: .atMost(10)),
            Figure(name: "\(prefix)_max_ms", value: samples.last!, unit: "ms", goal: .report),
            Figure(name: "\(prefix)_samples", value: Double(samples.count), unit: "samples", goal: .report),
            Figure(name: "\(prefix)_timeouts", value: Double(probe.timeouts), unit: "samples", goal: .atMost(0)),
            Figure(name: "\(prefix)_load_mutations_per_s", value: result.rate, unit: "ops/s", goal: .report),
            Figure(name: "\(prefix)_load_p99_ms", value: percentile(loadLatency, 0.99), unit: "ms", goal: .report),
            Figure(name: "\(prefix)_load_failed", value: Double(result.failed), unit: "ops", goal: .report),
        ]
        notes.append("\(prefix) (master durability \(pair.durability)): load of \(loadThreads) threads paced to \(Int(loadRate)) mutations/s reached \(Int(result.rate)) "
                     + "(\(result.succeeded) in \(format(result.seconds)) s, \(result.failed) failed"
                     + (result.firstError.map { ", first: \($0)" } ?? "") + ")")
        try pair.waitUntilFollowing(slave)
    }

    /// Every 10 ms: mkdir on the master, then stat on the slave until it answers itself.
    private func probeLag(_ master: XRootDClient, _ slave: XRootDClient, seconds: Double) throws -> (samples: [Double], timeouts: Int) {
        var samples: [Double] = []
        var timeouts = 0
        let end = uptimeNanoseconds() + UInt64(seconds * 1e9)
        var i = 0
        while uptimeNanoseconds() < end {
            let started = uptimeNanoseconds()
            let path = "/probe/p\(i)"
            i += 1
            try master.mkdir(path)
            let t0 = uptimeNanoseconds()
            var t1: UInt64?
            while uptimeNanoseconds() - t0 < 5_000_000_000 {
                do throws(XRootDError) {
                    _ = try slave.stat(path)
                    t1 = uptimeNanoseconds()
                    break
                } catch {
                    switch error {
                    case .tooManyRedirects, .server: continue // not applied on the slave yet
                    default: throw error
                    }
                }
            }
            if let t1 { samples.append(Double(t1 - t0) / 1e6) } else { timeouts += 1 }
            let next = started + 10_000_000
            let now = uptimeNanoseconds()
            if now < next { usleep(UInt32((next - now) / 1000)) }
        }
        return (samples, timeouts)
    }

    // MARK: Role change

    private func roleChanges(_ pair: ReplicationPair, _ figures: inout [Figure], _ notes: inout [String]) throws {
        var idle: [Double] = []
        var loaded: [Double] = []
        var gaps: [Double] = []
        var master = pair.a, slave = pair.b
        for round in 0..<4 {
            let withLoad = round >= 2
            try pair.waitUntilFollowing(slave)
            var load: LoadGenerator?
            if withLoad {
                load = try LoadGenerator(node: master, threads: loadThreads, rate: loadRate, tag: "role\(round)")
                load?.start()
                usleep(2_000_000)
            }
            let change: (seconds: Double, steps: [Double], start: UInt64, end: UInt64)
            do {
                change = try roleChange(from: master, to: slave)
            } catch {
                _ = load?.stop()
                throw error
            }
            var line = "role change \(round + 1) (\(withLoad ? "loaded" : "idle")) \(master.name) -> \(slave.name): "
                + "\(format(change.seconds)) s (steps \(change.steps.map { format($0) }.joined(separator: " / ")) s)"
            if let load {
                usleep(3_000_000)
                let result = load.stop()
                let gap = writeGap(result.successStamps, from: change.start, to: change.end)
                gaps.append(gap)
                loaded.append(change.seconds)
                line += "; load \(Int(result.rate)) mutations/s, \(result.failed) failed, longest write gap \(format(gap)) s"
            } else {
                idle.append(change.seconds)
            }
            print("  " + line)
            notes.append(line)
            swap(&master, &slave)
        }
        figures += [
            Figure(name: "role_change_seconds_idle", value: median(idle), unit: "s", goal: .report),
            Figure(name: "role_change_seconds_loaded", value: median(loaded), unit: "s", goal: .report),
            Figure(name: "role_change_write_gap_seconds_loaded", value: median(gaps), unit: "s", goal: .report),
        ]
    }

    /// The three steps of `ns master <new>`; returns the total, each step, and when it started and ended.
    private func roleChange(from old: ReplicationPair.Node, to new: ReplicationPair.Node) throws
        -> (seconds: Double, steps: [Double], start: UInt64, end: UInt64) {
        let oldAdmin = try old.client(user: "root", redirects: 0)
        let newAdmin = try new.client(user: "root", redirects: 0)
        let target = "mgm.cmd=ns&mgm.subcmd=master&mgm.args=" + new.endpoint.description
        var steps: [Double] = []
        let start = uptimeNanoseconds()
        for (node, client) in [(old, oldAdmin), (new, newAdmin), (old, oldAdmin)] {
            let t = uptimeNanoseconds()
            let out = try node.admin(target, client: client)
            steps.append(Double(uptimeNanoseconds() - t) / 1e9)
            guard out.hasPrefix("success") else { throw BenchError("ns master on \(node.name): \(out)") }
        }
        let end = uptimeNanoseconds()
        let (newState, oldState) = (try new.state(), try old.state())
        guard newState == "master-rw", oldState == "slave-ro" else {
            throw BenchError("after the role change \(new.name) is \(newState) and \(old.name) is \(oldState)")
        }
        return (Double(end - start) / 1e9, steps, start, end)
    }

    /// The longest time without an acknowledged write between 1 s before `from` and the first
    /// acknowledgement after `to` (or the last stamp).
    private func writeGap(_ stamps: [UInt64], from: UInt64, to: UInt64) -> Double {
        let window = stamps.filter { $0 + 1_000_000_000 >= from }
        var gap: UInt64 = 0
        for (a, b) in zip(window, window.dropFirst()) {
            gap = max(gap, b - a)
            if a > to { break }
        }
        return Double(gap) / 1e9
    }

    // MARK: Catch-up

    private func catchUp(_ figures: inout [Figure], _ notes: inout [String]) throws {
        let pair = try ReplicationPair(name: "replication-catchup")
        defer {
            pair.stopAll()
            pair.remove()
        }
        let master = pair.a, slave = pair.b
        let files = backlogRecords / 2
        do {
            // Fresh slave: the master holds the backlog before the slave ever connects.
            try ScaleSuite.generate(master.directory, files: files)
            try Self.appendSentinel(master.directory, files: files, index: 0)
            try pair.tag(master, "master")
            try pair.tag(slave, "slave")
            try pair.start(master)
            let masterFiles = try master.monitoring()["ns.total.files"] ?? "?"
            let fresh = try measureCatchUp(pair, sentinel: Self.sentinelPath(0), records: 2 * files + ScaleSuite.directories(files) + 1)
            let afterFresh = try slave.monitoring()
            guard afterFresh["ns.total.files"] == masterFiles else {
                throw BenchError("after catch-up the slave has \(afterFresh["ns.total.files"] ?? "?") files, the master \(masterFiles)")
            }
            try pair.waitUntilFollowing(slave)

            // Resume: the slave is down while the master takes another backlog.
            slave.stop()
            master.stop()
            try ScaleSuite.appendFileVersions(master.directory, files: files, versions: 2...3)
            try Self.appendSentinel(master.directory, files: files, index: 1)
            try pair.start(master)
            let resume = try measureCatchUp(pair, sentinel: Self.sentinelPath(1), records: 2 * files + 1)
            try pair.waitUntilFollowing(slave)

            for (name, c) in [("", resume), ("_fresh", fresh)] {
                figures += [
                    // The follow rate: from the slave answering (its own boot of what it already held is
                    // not catch-up; `catchup_boot_seconds` reports it) until the backlog's last record is visible.
                    Figure(name: "catchup\(name)_records_per_s", value: Double(c.records) / (c.seconds - c.listeningSeconds),
                           unit: "records/s", goal: name.isEmpty ? .atLeast(1_000_000) : .report),
                    Figure(name: "catchup\(name)_including_boot_records_per_s", value: Double(c.records) / c.seconds,
                           unit: "records/s", goal: .report),
                    Figure(name: "catchup\(name)_boot_seconds", value: c.listeningSeconds, unit: "s", goal: .report),
                    Figure(name: "catchup\(name)_seconds", value: c.seconds, unit: "s", goal: .report),
                    Figure(name: "catchup\(name)_records", value: Double(c.records), unit: "records", goal: .report),
                    Figure(name: "read_p99_during_catchup\(name)_ms", value: percentile(c.reads, 0.99), unit: "ms",
                           goal: name.isEmpty ? .atMost(5) : .report),
                    Figure(name: "read_max_during_catchup\(name)_ms", value: c.reads.max() ?? .nan, unit: "ms", goal: .report),
                    Figure(name: "reads_during_catchup\(name)", value: Double(c.reads.count), unit: "reads", goal: .report),
                ]
                let line = "catch-up\(name.isEmpty ? " (resume)" : " (fresh slave)"): \(c.records) records in \(format(c.seconds)) s "
                    + "from the slave's start (slave answering after \(format(c.listeningSeconds)) s), "
                    + "\(c.reads.count) reads of / on the slave meanwhile, p99 \(format(percentile(c.reads, 0.99))) ms"
                print("  " + line)
                notes.append(line)
            }
        } catch {
            print(pair.logTails())
            throw error
        }
    }

    struct CatchUp {
        var records: Int
        var seconds: Double
        var listeningSeconds: Double
        var reads: [Double]
    }

    /// Starts the slave and times until `sentinel` (the backlog's last record) is visible on it,
    /// while a reader stats `/` on the slave in a loop.
    private func measureCatchUp(_ pair: ReplicationPair, sentinel: String, records: Int) throws -> CatchUp {
        let slave = pair.b
        let t0 = uptimeNanoseconds()
        try pair.start(slave, timeout: 120)
        let listening = Double(uptimeNanoseconds() - t0) / 1e9
        let stopping = Atomic<Bool>(false)
        let reads = Mutex<[Double]>([])
        let readerError = Mutex<String?>(nil)
        let readerDone = DispatchSemaphore(value: 0)
        let reader = try slave.client(redirects: 0)
        Thread {
            var mine: [Double] = []
            while !stopping.load(ordering: .relaxed) {
                let t = uptimeNanoseconds()
                do throws(XRootDError) {
                    _ = try reader.stat("/")
                } catch {
                    // Until the slave holds the root it answers with a redirect to the master
                    // (not followed): still an answer from the slave. Anything else ends the reader.
                    var answered = false
                    switch error {
                    case .tooManyRedirects, .server: answered = true
                    default: readerError.withLock { $0 = "\(error)" }
                    }
                    if !answered { break }
                }
                mine.append(Double(uptimeNanoseconds() - t) / 1e6)
            }
            reads.withLock { $0 = mine }
            readerDone.signal()
        }.start()
        var joined = false
        func joinReader() -> [Double] {
            stopping.store(true, ordering: .relaxed)
            if !joined { readerDone.wait() }
            joined = true
            return reads.withLock { $0 }
        }
        defer { _ = joinReader() }
        let probe = try slave.client(redirects: 0)
        let deadline = t0 + 600_000_000_000
        var seconds: Double?
        while seconds == nil && uptimeNanoseconds() < deadline {
            do throws(XRootDError) {
                _ = try probe.stat(sentinel)
                seconds = Double(uptimeNanoseconds() - t0) / 1e9
            } catch {
                switch error {
                case .tooManyRedirects, .server: usleep(1_000)
                default: throw error
                }
            }
        }
        guard let seconds else { throw BenchError("the slave did not show \(sentinel) within 600 s") }
        let answered = joinReader()
        if let failure = readerError.withLock({ $0 }) { throw BenchError("the reader on the slave failed: \(failure)") }
        return CatchUp(records: records, seconds: seconds, listeningSeconds: listening, reads: answered)
    }

    static func sentinelPath(_ index: Int) -> String { "/run0/catchup-sentinel-\(index)" }

    /// Appends one new file, `/run0/catchup-sentinel-<index>`, as the last record of the files log.
    static func appendSentinel(_ dir: String, files: Int, index: Int) throws {
        let log = try Changelog.open(at: dir + "/files.mdlog", configuration: .init(contentKind: .files, durability: .none))
        defer { log.close() }
        let f = FileMetadata(id: FileID(UInt64(files + 1 + index)), container: ContainerID(2), name: "catchup-sentinel-\(index)",
                             ctime: Timestamp(seconds: 1_700_000_000), mtime: Timestamp(seconds: 1_700_000_000), uid: 1000, gid: 1000)
        try log.append(.update, payload: try FileCodec.encode(f))
    }
}

// MARK: Sync modes

extension ReplicationSuite {
    /// `required`, `preferred` and a single master under the same unpaced 16-writer load.
    func syncModes(_ figures: inout [Figure], _ notes: inout [String]) throws {
        let seconds = quick ? 3.0 : 8.0
        for mode in ["required", "preferred", "single"] {
            let pair = try ReplicationPair(name: "sync-\(mode)", durability: "batch")
            pair.syncReplication = mode == "single" ? "off" : mode
            defer {
                pair.stopAll()
                pair.remove()
            }
            do {
                try pair.tag(pair.a, "master")
                if mode == "single" {
                    try pair.start(pair.a, single: true)
                } else {
                    try pair.tag(pair.b, "slave")
                    try pair.start(pair.a)
                    try pair.start(pair.b)
                    try pair.waitUntilFollowing(pair.b)
                }
                let deadline = Date().addingTimeInterval(30)
                while (try? pair.a.state()) != "master-rw" {
                    guard Date() < deadline else { throw BenchError("\(mode): the master did not open for writes") }
                    usleep(20_000)
                }
                let load = try LoadGenerator(node: pair.a, threads: loadThreads, rate: 1_000_000, tag: "sync")
                load.start()
                usleep(UInt32(seconds * 1e6))
                let result = load.stop()
                let latency = result.latenciesNanoseconds.map { Double($0) / 1e6 }
                let p99 = percentile(latency, 0.99), p50 = percentile(latency, 0.5)
                print("  sync \(mode): \(Int(result.rate)) mutations/s, p50 \(format(p50)) ms, p99 \(format(p99)) ms (\(result.failed) failed)")
                figures += [
                    Figure(name: "\(mode)_mkdir_ops_per_s", value: result.rate, unit: "ops/s", goal: .report),
                    Figure(name: "\(mode)_mkdir_p50_ms", value: p50, unit: "ms", goal: .report),
                    Figure(name: "\(mode)_mkdir_p99_ms", value: p99, unit: "ms", goal: .report),
                ]
                notes.append("sync \(mode): \(loadThreads) unpaced writers (mkdir/rmdir), durability batch, \(result.succeeded) "
                             + "mutations in \(format(result.seconds)) s, \(result.failed) failed"
                             + (result.firstError.map { ", first: \($0)" } ?? ""))
            } catch {
                print(pair.logTails())
                throw error
            }
        }
    }
}
