import BenchSupport
import Foundation
import Glibc
import Platform
import Synchronization
import XRootD

/// One timed phase of `beryl-bench xrootd`: `connections` threads, each with its own client, for
/// `phaseSeconds`, one request in flight per connection (`phase`) or `depth` (`pipelinedPhase`, the
/// client's `pipeline`, as libXrdCl keeps many requests in flight on one connection); the server's CPU
/// time from /proc/<pid>/stat and, when `countSyscalls`, its system calls and context switches from
/// `perf stat` attached to it for the phase.
extension XRootDSuite {
    struct Phase {
        var operations: Int
        var seconds: Double
        var p99Milliseconds: Double
        var serverCPUSeconds: Double
        /// The part of `serverCPUSeconds` spent in the kernel (system time).
        var serverSystemSeconds: Double
        /// CPU time of this process (the clients: every connection's thread) during the phase.
        var clientCPUSeconds: Double = .nan
        /// System calls and context switches of the server during the phase (nil: not counted).
        var syscalls: Double? = nil
        var contextSwitches: Double? = nil
        var opsPerSecond: Double { Double(operations) / seconds }
        var cpuMicrosecondsPerOp: Double { serverCPUSeconds * 1e6 / Double(max(1, operations)) }
        var kernelMicrosecondsPerOp: Double { serverSystemSeconds * 1e6 / Double(max(1, operations)) }
        var clientCPUMicrosecondsPerOp: Double { clientCPUSeconds * 1e6 / Double(max(1, operations)) }
        /// Share of the machine's cores the server and the clients used together during the phase
        /// (near 1: the phase was bound by CPU, and the two shared it).
        var busyFraction: Double {
            (serverCPUSeconds + clientCPUSeconds) / (seconds * Double(ProcessInfo.processInfo.activeProcessorCount))
        }
        var syscallsPerOp: Double { (syscalls ?? .nan) / Double(max(1, operations)) }
        var contextSwitchesPerOp: Double { (contextSwitches ?? .nan) / Double(max(1, operations)) }
    }

    /// `connections` threads, each with its own client, run `operation` for `phaseSeconds`.
    func phase(_ server: BenchServer, _ name: String, user: String = BenchServer.user,
               _ operation: @escaping @Sendable (XRootDClient, Int, Int) throws -> Void) throws -> Phase {
        try timed(server, name, user: user, countSyscalls: false) { client, thread, end, fail in
            var mine: [UInt64] = []
            mine.reserveCapacity(200_000)
            var index = 0
            while true {
                let before = DispatchTime.now().uptimeNanoseconds
                if before >= end { break }
                do {
                    try operation(client, thread, index)
                } catch {
                    fail("\(name) thread \(thread): \(error)")
                    break
                }
                mine.append(DispatchTime.now().uptimeNanoseconds - before)
                index += 1
            }
            return mine
        }
    }

    /// Each of `connections` threads keeps `depth` requests in flight on its connection: `request(thread,
    /// index)` is sent, `check` tells what is wrong with its answer (nil: right). Latency is from the
    /// request's submission to the delivery of its answer.
    func pipelinedPhase(_ server: BenchServer, _ name: String, depth: Int, countSyscalls: Bool = false,
                        _ request: @escaping @Sendable (Int, Int) -> XRootDRequest,
                        check: @escaping @Sendable (XRootDClient.Answer) -> String?) throws -> Phase {
        try timed(server, name, user: BenchServer.user, countSyscalls: countSyscalls) { client, thread, end, fail in
            var submitted: [UInt64] = []
            submitted.reserveCapacity(400_000)
            var mine: [UInt64] = []
            mine.reserveCapacity(400_000)
            var failed = false
            do {
                try client.pipeline(depth: depth, next: { index in
                    let now = DispatchTime.now().uptimeNanoseconds
                    guard now < end, !failed else { return nil }
                    submitted.append(now)
                    return request(thread, index)
                }, answered: { index, result in
                    let now = DispatchTime.now().uptimeNanoseconds
                    let problem: String?
                    switch result {
                    case .success(let answer): problem = check(answer)
                    case .failure(let error): problem = "\(error)"
                    }
                    if let problem {
                        if !failed { fail("\(name) thread \(thread) request \(index): \(problem)") }
                        failed = true
                        return
                    }
                    mine.append(now - submitted[index])
                })
            } catch {
                fail("\(name) thread \(thread): \(error)")
            }
            return mine
        }
    }

    private func timed(_ server: BenchServer, _ name: String, user: String, countSyscalls: Bool,
                       _ body: @escaping @Sendable (XRootDClient, Int, UInt64, @Sendable (String) -> Void) -> [UInt64]) throws -> Phase {
        let clients = try (0..<connections).map { _ in try server.client(user: user) }
        let latencies = Mutex<[[UInt64]]>(Array(repeating: [], count: connections))
        let failures = Mutex<[String]>([])
        let seconds = phaseSeconds
        let counter = countSyscalls ? SyscallCounter(pid: server.pid) : nil
        let cpuBefore = server.cpuTimes()
        let clientBefore = processCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(seconds * 1e9)
        // One thread per connection, all running for the whole phase. (`DispatchQueue.concurrentPerform`
        // runs only as many iterations at once as there are cores: on 2 cores, 2 of the 16 connections
        // were driven and the others started after the phase's end, so a phase measured the latency of
        // 2 requests in flight, not a server under 16 connections.)
        var workers: [BackgroundThread<Void>] = []
        for thread in 0..<connections {
            let client = clients[thread]
            let work: @Sendable () -> Void = {
                let mine = body(client, thread, end) { failure in failures.withLock { $0.append(failure) } }
                latencies.withLock { $0[thread] = mine }
            }
            do {
                workers.append(try BackgroundThread.start(named: "bench connection \(thread)", work))
            } catch {
                failures.withLock { $0.append("\(name): \(error)") }
            }
        }
        for worker in workers { worker.join() }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpuAfter = server.cpuTimes()
        let clientCPU = processCPUSeconds() - clientBefore
        let counts = counter?.stop()
        let cpu = cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system
        if let failure = failures.withLock({ $0.first }) { throw XRootDError.unexpectedResponse(failure) }
        let all = latencies.withLock { $0.flatMap { $0 } }.sorted()
        let p99 = all.isEmpty ? .nan : Double(all[min(all.count - 1, Int(Double(all.count) * 0.99))]) / 1e6
        var phase = Phase(operations: all.count, seconds: elapsed, p99Milliseconds: p99, serverCPUSeconds: cpu,
                          serverSystemSeconds: cpuAfter.system - cpuBefore.system,
                          syscalls: counts?.syscalls, contextSwitches: counts?.contextSwitches)
        phase.clientCPUSeconds = clientCPU
        if counts == nil, countSyscalls { phase.syscalls = .nan }
        let syscallText = countSyscalls ? String(format: ", %.2f syscalls/op, %.2f context switches/op",
                                                 phase.syscallsPerOp, phase.contextSwitchesPerOp) : ""
        print("  \(server.name) \(name): \(all.count) ops in \(String(format: "%.2f", elapsed)) s, "
              + "\(Int(Double(all.count) / elapsed)) ops/s, p99 \(String(format: "%.3f", p99)) ms, "
              + "server CPU \(String(format: "%.1f", phase.cpuMicrosecondsPerOp)) us/op, "
              + "of it kernel \(String(format: "%.1f", phase.kernelMicrosecondsPerOp)) us/op, "
              + "client CPU \(String(format: "%.1f", phase.clientCPUMicrosecondsPerOp)) us/op, "
              + "cores busy \(String(format: "%.0f", phase.busyFraction * 100)) %" + syscallText)
        return phase
    }
}

/// `perf stat -e raw_syscalls:sys_enter,context-switches -p <pid>` over a phase: the server's system
/// calls (every thread's) and context switches. Counting tracepoints costs the server a little; the
/// phases that count are separate from the ones whose ops/s and CPU are reported.
final class SyscallCounter {
    private let process: Process
    private let output: String

    init?(pid: pid_t) {
        let candidates: [String] = ["/usr/bin/perf", "/usr/local/bin/perf"]
        guard let perf = candidates.first(where: { (path: String) in access(path, X_OK) == 0 }) else { return nil }
        output = scratchDirectory("perf-stat") + "/counts.csv"
        process = Process()
        process.executableURL = URL(fileURLWithPath: perf)
        process.arguments = ["stat", "-x", ",", "-e", "raw_syscalls:sys_enter,context-switches", "-p", "\(pid)", "-o", output]
        do { try process.run() } catch { return nil }
        usleep(300_000)  // attached before the phase starts
    }

    /// Stops counting; nil when perf could not count.
    func stop() -> (syscalls: Double, contextSwitches: Double)? {
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: (output as NSString).deletingLastPathComponent) }
        guard let text = try? String(contentsOfFile: output, encoding: .utf8) else { return nil }
        var syscalls: Double?, switches: Double?
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count > 2, let value = Double(fields[0]) else { continue }
            if fields[2].contains("raw_syscalls:sys_enter") { syscalls = value }
            if fields[2].contains("context-switches") { switches = value }
        }
        guard let syscalls, let switches else { return nil }
        return (syscalls, switches)
    }
}
