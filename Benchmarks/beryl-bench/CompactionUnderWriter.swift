import BenchSupport
import Dispatch
import Foundation
import Namespace
import Synchronization

/// The compaction step of suite `namespace`: `Namespace.compact(.all)` of the generated
/// namespace (read-write, durability `none`) while one thread updates file sizes through the API,
/// at a steady `rate` (issue 4's 50,000/s) or as fast as it can (`rate` nil). The writer runs
/// 1 s alone first: its latencies then are the baseline for its latencies during compaction.
struct CompactionUnderWriter {
    let directory: String
    let files: Int
    let rate: Double?

    struct Outcome {
        var seconds = 0.0
        var ratio = 0.0
        var longestHold = 0.0
        var catchUpRounds = 0
        var p99Before = 0.0, p99During = 0.0
        var maxBefore = 0.0, maxDuring = 0.0
        var ratePerSecondDuring = 0.0

        func figures(suffix: String) -> [Figure] {
            [
                Figure(name: "compact_all_seconds" + suffix, value: seconds, unit: "s", goal: .report),
                Figure(name: "compact_ratio_files" + suffix, value: ratio, unit: "x", goal: .report),
                Figure(name: "compact_catch_up_rounds_files" + suffix, value: Double(catchUpRounds), unit: "rounds", goal: .report),
                Figure(name: "compact_commit_hold_max_ms" + suffix, value: longestHold * 1000, unit: "ms", goal: .report),
                Figure(name: "mutation_p99_us_without_compaction" + suffix, value: p99Before * 1e6, unit: "us", goal: .report),
                Figure(name: "mutation_p99_us_during_compaction" + suffix, value: p99During * 1e6, unit: "us", goal: .report),
                Figure(name: "mutation_max_ms_without_compaction" + suffix, value: maxBefore * 1000, unit: "ms", goal: .report),
                Figure(name: "mutation_max_ms_during_compaction" + suffix, value: maxDuring * 1000, unit: "ms", goal: .report),
                Figure(name: "mutations_per_s_during_compaction" + suffix, value: ratePerSecondDuring, unit: "ops/s", goal: .report),
            ]
        }
    }

    final class Shared: Sendable {
        let stop = Atomic<Bool>(false)
        let compacting = Atomic<Bool>(false)
        /// (latency ns, during compaction) per mutation, handed over when the writer ends.
        let samples = Mutex<[(UInt64, Bool)]>([])
        let slow = Mutex<[(UInt64, UInt64)]>([])
        let phases = Mutex<[(UInt64, String)]>([])
    }

    func run() throws -> Outcome {
        let ns = try Namespace.boot(NamespaceConfiguration(directory: directory, durability: .none))
        defer { ns.close() }
        let shared = Shared()
        let files = self.files, rate = self.rate
        let thread = Thread {
            var samples: [(UInt64, Bool)] = []
            samples.reserveCapacity(4_000_000)
            let start = DispatchTime.now().uptimeNanoseconds
            var i = 1, n = 0
            while !shared.stop.load(ordering: .relaxed) {
                if let rate {
                    let due = start + UInt64(Double(n) / rate * 1e9)
                    let now = DispatchTime.now().uptimeNanoseconds
                    if now < due {
                        usleep(UInt32(min(1_000, (due - now) / 1_000)))
                        continue
                    }
                }
                let during = shared.compacting.load(ordering: .relaxed)
                let t = DispatchTime.now().uptimeNanoseconds
                _ = try? ns.setSize(FileID(UInt64(i)), UInt64(n))
                let l = DispatchTime.now().uptimeNanoseconds - t
                if l > 3_000_000 { shared.slow.withLock { $0.append((t, l)) } }
                samples.append((l, during))
                i = i % files + 1
                n += 1
            }
            shared.samples.withLock { $0 = samples }
        }
        thread.start()
        usleep(1_000_000)
        shared.compacting.store(true, ordering: .relaxed)
        var report: CompactionReport?
        var options = CompactionOptions()
        options.observer = { log, phase in shared.phases.withLock { $0.append((DispatchTime.now().uptimeNanoseconds, "\(log) \(phase)")) } }
        let seconds = try measure { report = try ns.compact(.all, options: options) }
        shared.stop.store(true, ordering: .relaxed)
        while !thread.isFinished { usleep(1_000) }
        let samples = shared.samples.withLock { $0 }
        if ProcessInfo.processInfo.environment["BERYL_BENCH_VERBOSE"] != nil {
            var events = shared.phases.withLock { $0 }.map { ($0.0, $0.1) }
            events += shared.slow.withLock { $0 }.map { ($0.0, "SLOW mutation \(Double($0.1) / 1e6) ms") }
            let t0 = events.map(\.0).min() ?? 0
            for e in events.sorted(by: { $0.0 < $1.0 }) { print(String(format: "%9.3f ms  ", Double(e.0 - t0) / 1e6) + e.1) }
        }
        let before = samples.filter { !$0.1 }.map { Double($0.0) / 1e9 }
        let during = samples.filter { $0.1 }.map { Double($0.0) / 1e9 }
        var out = Outcome()
        out.seconds = seconds
        out.ratio = report?.figures[.files]?.ratio ?? .nan
        out.longestHold = report?.longestCommitHold ?? .nan
        out.catchUpRounds = report?.catchUpRounds[.files] ?? 0
        out.p99Before = percentile(before, 0.99)
        out.p99During = percentile(during, 0.99)
        out.maxBefore = before.max() ?? .nan
        out.maxDuring = during.max() ?? .nan
        out.ratePerSecondDuring = Double(during.count) / seconds
        return out
    }
}
