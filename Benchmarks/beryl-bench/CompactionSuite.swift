import BenchSupport
import Changelog
import Foundation
import Glibc
import Platform

/// Suite `compaction`: online compaction of a log with 20 % live records while a writer appends at
/// a steady rate under the owner's lock; hold times of that lock, copy throughput, ratio, and the
/// writer's p99 append latency during compaction against without.
struct CompactionSuite {
    let quick: Bool

    final class Owner: @unchecked Sendable {
        let lock = ConditionLock()
        var log: Changelog
        var index = OffsetIndex()
        var stop = false
        var latencies: [UInt64] = []   // ns per append, including waiting for the lock
        var stamps: [UInt64] = []      // when each append started (ns)
        init(log: Changelog) { self.log = log }
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func run() throws -> [Figure] {
        let dir = scratchDirectory("compaction")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let records = quick ? 1_000_000 : 5_000_000
        let ids = records / 5
        let path = "\(dir)/files.mdlog"
        var configuration = ChangelogConfiguration(contentKind: .files, durability: .none)
        // BERYL_BENCH_PREFAULT=off: the writer takes its own page faults (the figures before the prefaulter).
        if ProcessInfo.processInfo.environment["BERYL_BENCH_PREFAULT"] == "off" { configuration.prefault = .off }
        let log = try Changelog.open(at: path, configuration: configuration)
        let owner = Owner(log: log)
        var body = [UInt8](repeating: 0x41, count: 192)
        for i in 0..<records {
            let id = UInt64(i % ids) + 1
            body.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(i).littleEndian, toByteOffset: 0, as: UInt64.self) }
            let r = try log.append(.update, payload: withUnsafeBytes(of: id.littleEndian) { Array($0) } + body)
            owner.index.update(id, at: r.position, sequence: r.sequence)
        }
        let rate = 50_000.0
        let writer = Thread { Self.write(owner, rate: rate, ids: ids) }
        writer.start()
        usleep(quick ? 1_000_000 : 2_000_000)
        let compactionStart = Self.now()
        var holds: [Double] = []
        var durations: [Double] = []
        var readRates: [Double] = []
        var ratio = 0.0
        for round in 0..<(quick ? 3 : 4) {
            var t0 = Self.now()
            let session = try owner.lock.withLock { () throws(ChangelogError) -> CompactionSession in
                t0 = Self.now()
                defer { holds.append(Double(Self.now() - t0) / 1e6) }
                return try CompactionSession(source: owner.log)
            }
            let copyStart = Self.now()
            try session.copy()
            let copied = Double(session.figures.oldBytes)
            let copySeconds = Double(Self.now() - copyStart) / 1e9
            var rounds = 0
            while try session.catchUp() > 8 << 10 && rounds < 32 { rounds += 1 }
            if ProcessInfo.processInfo.environment["BERYL_BENCH_VERBOSE"] != nil { print("catch-up rounds: \(rounds + 1)") }
            // The old index and log are released after the lock (freeing a large table or
            // unmapping a large log takes milliseconds).
            let (commit, oldIndex, oldLog) = try owner.lock.withLock { () throws(ChangelogError) -> (CompactionSession.Commit, OffsetIndex, Changelog) in
                t0 = Self.now()
                defer { holds.append(Double(Self.now() - t0) / 1e6) }
                let c = try session.commit()
                let old = (owner.index, owner.log)
                owner.log = c.log
                owner.index = c.index
                return (c, old.0, old.1)
            }
            withExtendedLifetime((oldIndex, oldLog)) {}
            session.finish()
            if round == 0 {
                ratio = commit.figures.ratio
                durations.append(Double(Self.now() - copyStart) / 1e9)
                readRates.append(copied / copySeconds / 1e6)
            }
        }
        let compactionEnd = Self.now()
        if ProcessInfo.processInfo.environment["BERYL_BENCH_VERBOSE"] != nil { print("holds (ms): \(holds)") }
        usleep(500_000)
        owner.lock.withLock { owner.stop = true }
        while !writer.isFinished { usleep(1000) }
        owner.log.close()

        var before: [Double] = [], during: [Double] = []
        for (t, l) in zip(owner.stamps, owner.latencies) {
            if t < compactionStart { before.append(Double(l) / 1e3) } else if t < compactionEnd { during.append(Double(l) / 1e3) }
        }
        let p99Before = percentile(before, 0.99), p99During = percentile(during, 0.99)
        try writeSamples(suite: "compaction", name: "lock_hold_ms", values: holds)
        try writeSamples(suite: "compaction", name: "append_us_during", values: during.sorted().suffix(2000).map { $0 })
        let writtenPerSecond = Double(owner.latencies.count) / (Double(owner.stamps.last! - owner.stamps.first!) / 1e9)
        return [
            Figure(name: "lock_hold_p99_ms", value: percentile(holds, 0.99), unit: "ms", goal: .atMost(1)),
            Figure(name: "lock_hold_max_ms", value: holds.max() ?? .nan, unit: "ms", goal: .atMost(5)),
            Figure(name: "lock_hold_median_ms", value: median(holds), unit: "ms", goal: .report),
            Figure(name: "lock_holds_measured", value: Double(holds.count), unit: "holds", goal: .report),
            Figure(name: "compact_mb_per_s", value: median(readRates), unit: "MB/s", goal: .atLeast(500)),
            Figure(name: "ratio", value: ratio, unit: "x", goal: .report),
            Figure(name: "duration_s", value: median(durations), unit: "s", goal: .report),
            Figure(name: "log_records", value: Double(records), unit: "records", goal: .report),
            Figure(name: "writer_records_per_s", value: writtenPerSecond, unit: "records/s", goal: .report),
            Figure(name: "append_p99_us_without_compaction", value: p99Before, unit: "us", goal: .report),
            Figure(name: "append_p99_us_during_compaction", value: p99During, unit: "us", goal: .report),
            Figure(name: "append_p99_ratio_during_compaction", value: p99During / p99Before, unit: "x", goal: .atMost(2)),
        ]
    }

    /// Appends at `rate` records/s under the owner's lock until told to stop.
    static func write(_ owner: Owner, rate: Double, ids: Int) {
        let start = now()
        var n = 0
        var body = [UInt8](repeating: 0x42, count: 200)
        while true {
            let due = start + UInt64(Double(n) / rate * 1e9)
            let t = now()
            if t < due { usleep(UInt32(min(1000, (due - t) / 1000))) ; continue }
            let id = UInt64(n % ids) + 1
            body.withUnsafeMutableBytes { $0.storeBytes(of: id.littleEndian, toByteOffset: 0, as: UInt64.self) }
            let a = now()
            let stop = owner.lock.withLock { () -> Bool in
                if owner.stop { return true }
                if let r = try? owner.log.append(.update, payload: body) { owner.index.update(id, at: r.position, sequence: r.sequence) }
                return false
            }
            if stop { return }
            owner.latencies.append(now() - a)
            owner.stamps.append(a)
            n += 1
        }
    }
}

func percentile(_ xs: [Double], _ p: Double) -> Double {
    guard !xs.isEmpty else { return .nan }
    let s = xs.sorted()
    return s[min(s.count - 1, Int((Double(s.count - 1) * p).rounded()))]
}
