import BenchSupport
import Foundation
import Glibc
import Synchronization
import XRootD

/// The background writers of `beryl-bench replication`: `threads` threads, each with its own
/// long-lived client homed at one node, alternate `mkdir` and `rmdir` of unique directories under
/// `/load/<tag>/t<thread>`, paced to `rate` mutations per second in all (a thread that falls more
/// than 100 ms behind its schedule drops the backlog instead of bursting). Errors are counted and
/// tolerated: the clients give up on a `kXR_wait` at once (`maximumTotalWait` 0), so writes stalled
/// by a role change fail fast and are retried 2 ms later; redirects are followed.
final class LoadGenerator: @unchecked Sendable {
    // @unchecked: `clients` and the configuration are immutable after init; results go through `results`.
    struct Result {
        var succeeded = 0
        var failed = 0
        var seconds = 0.0
        /// Mutations acknowledged per second over the run.
        var rate: Double { Double(succeeded) / max(seconds, 1e-9) }
        var latenciesNanoseconds: [UInt64] = []
        /// When each acknowledged mutation returned (uptime nanoseconds), sorted.
        var successStamps: [UInt64] = []
        var firstError: String?
    }

    let threads: Int
    let rate: Double
    let base: String
    private let clients: [XRootDClient]
    private let stopping = Atomic<Bool>(false)
    private let results = Mutex<[Result]>([])
    private let group = DispatchGroup()
    private var startedAt: UInt64 = 0

    init(node: ReplicationPair.Node, threads: Int, rate: Double, tag: String) throws {
        self.threads = threads
        self.rate = rate
        base = "/load/\(tag)"
        clients = try (0..<threads).map { _ in try node.client(wait: .zero) }
        for t in 0..<threads { try clients[0].mkdir("\(base)/t\(t)", options: .makePath) }
    }

    func start() {
        startedAt = DispatchTime.now().uptimeNanoseconds
        let interval = UInt64(Double(threads) * 1e9 / rate)
        for t in 0..<threads {
            group.enter()
            let thread = Thread { [self] in
                let result = work(thread: t, interval: interval)
                results.withLock { $0.append(result) }
                group.leave()
            }
            thread.start()
        }
    }

    /// Stops the writers and returns what they did (all threads merged).
    func stop() -> Result {
        stopping.store(true, ordering: .relaxed)
        group.wait()
        var merged = Result(seconds: Double(DispatchTime.now().uptimeNanoseconds - startedAt) / 1e9)
        for r in results.withLock({ $0 }) {
            merged.succeeded += r.succeeded
            merged.failed += r.failed
            merged.latenciesNanoseconds += r.latenciesNanoseconds
            merged.successStamps += r.successStamps
            merged.firstError = merged.firstError ?? r.firstError
        }
        merged.latenciesNanoseconds.sort()
        merged.successStamps.sort()
        return merged
    }

    private func work(thread t: Int, interval: UInt64) -> Result {
        let client = clients[t]
        var result = Result()
        result.latenciesNanoseconds.reserveCapacity(200_000)
        result.successStamps.reserveCapacity(200_000)
        var next = DispatchTime.now().uptimeNanoseconds + UInt64(t) * interval / UInt64(threads)
        var i = 0
        while !stopping.load(ordering: .relaxed) {
            var now = DispatchTime.now().uptimeNanoseconds
            if now < next {
                let pause = next - now
                if pause > 20_000 { usleep(UInt32(pause / 1000)) }
                continue
            }
            if now > next + 100_000_000 { next = now }
            next += interval
            let path = "\(base)/t\(t)/d\(i / 2)"
            do throws(XRootDError) {
                if i % 2 == 0 { try client.mkdir(path) } else { try client.rmdir(path) }
                let done = DispatchTime.now().uptimeNanoseconds
                result.latenciesNanoseconds.append(done - now)
                result.successStamps.append(done)
                result.succeeded += 1
                i += 1
            } catch {
                result.failed += 1
                if result.firstError == nil { result.firstError = "\(path): \(error)" }
                // A failed mkdir: skip its rmdir. A failed rmdir leaves the directory behind.
                i += i % 2 == 0 ? 2 : 1
                usleep(2_000)
                now = DispatchTime.now().uptimeNanoseconds
                if next < now { next = now }
            }
        }
        return result
    }
}

/// Nanoseconds of the monotonic clock.
func uptimeNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
