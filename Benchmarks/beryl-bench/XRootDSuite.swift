import BenchSupport
import Foundation
import Glibc
import Namespace
import Synchronization
import XRootD

/// `beryl-bench xrootd`: metadata operations over loopback with 16 connections (stat, mkdir, ls of a
/// 1,000-entry directory, xattr get, checksum query, xattr set), the same client code (`XRootDClient`,
/// one per thread) against `beryl-mgm` (a child process, durability `none`, then `batch` for mkdir)
/// and the stock `xrootd` (as `nobody`), with each server's CPU time per operation from
/// /proc/<pid>/stat. stat, mkdir and xattr set run with one request in flight per connection and with
/// `depth` in flight (the client's `pipeline`); the system calls and context switches per request of
/// each server are counted (perf stat) in separate stat and xattr-set phases at both depths. Then the
/// cost of permission checks and sss authentication (`AuthenticationBench.swift`). `parts` (nil: all)
/// runs some of it (`--only`).
struct XRootDSuite {
    var quick: Bool
    var parts: Set<Part>? = nil
    var connections = 16
    /// Requests in flight per connection in the pipelined phases.
    var depth = 16
    var phaseSeconds: Double { quick ? 1.5 : 4 }

    enum Part: String, CaseIterable {
        case stat, mkdir, ls, xattr, cksum, fattr, syscalls, batch, auth
    }

    func wants(_ part: Part) -> Bool { parts?.contains(part) ?? true }

    /// The phases measured against one server, by name ("stat", "stat-d16", ...).
    typealias Results = [String: Phase]

    /// /bench/cksum with an adler32 checksum stored in the namespace (layout 0x00100002), written before
    /// the server starts: the protocol has no request that sets a checksum.
    static func seedChecksum(_ directory: String) throws {
        let ns = try Namespace.boot(NamespaceConfiguration(directory: directory, durability: .none))
        defer { ns.close() }
        try ns.createContainer("/bench", missingParents: .create)
        let id = try ns.createFile("/bench/cksum", attributes: CreationAttributes(layoutID: 0x0010_0002))
        try ns.setChecksum(id, [0x0f, 0xc8, 0x02, 0x71])
    }

    func run() throws -> [Figure] {
        let ours = try BenchServer.beryl(durability: "none", seed: Self.seedChecksum)
        let beryl: Results
        do { defer { ours.stop() }; beryl = try measure(ours) }
        // The stock server computes checksums from the file's data (then keeps them in an xattr): context only.
        let stock = try BenchServer.stock(extraConfiguration: "xrootd.chksum adler32\n")
        let xrootd: Results
        do { defer { stock.stop() }; xrootd = try measure(stock) }
        var figures: [Figure] = []
        func add(_ name: String, _ value: Double, _ unit: String, _ goal: Figure.Goal = .report) {
            figures.append(Figure(name: name, value: value, unit: unit, goal: goal))
        }
        let d = "depth\(depth)"
        let compared: [(figure: String, phase: String, full: Bool)] = [
            ("stat", "stat", true), ("mkdir", "mkdir", true), ("ls", "ls", true),
            ("stat_\(d)", "stat-d\(depth)", true), ("mkdir_\(d)", "mkdir-d\(depth)", true),
            ("xattr_get", "xattr-get", false), ("cksum_query", "cksum-query", false),
            ("fattr_set", "fattr-set", true), ("fattr_set_\(d)", "fattr-set-d\(depth)", true),
        ]
        for (name, phase, full) in compared {
            guard let ours = beryl[phase], let theirs = xrootd[phase] else { continue }
            add("\(name)_ops_per_s_beryl", ours.opsPerSecond, "ops/s")
            add("\(name)_ops_per_s_xrootd", theirs.opsPerSecond, "ops/s")
            if full {
                add("\(name)_p99_ms_beryl", ours.p99Milliseconds, "ms")
                add("\(name)_p99_ms_xrootd", theirs.p99Milliseconds, "ms")
            }
            add("\(name)_server_cpu_us_per_op_beryl", ours.cpuMicrosecondsPerOp, "us")
            add("\(name)_server_cpu_us_per_op_xrootd", theirs.cpuMicrosecondsPerOp, "us")
            add("\(name)_client_cpu_us_per_op_beryl", ours.clientCPUMicrosecondsPerOp, "us")
            add("\(name)_client_cpu_us_per_op_xrootd", theirs.clientCPUMicrosecondsPerOp, "us")
            if full {
                add("\(name)_server_kernel_us_per_op_beryl", ours.kernelMicrosecondsPerOp, "us")
                add("\(name)_server_kernel_us_per_op_xrootd", theirs.kernelMicrosecondsPerOp, "us")
            }
        }
        func ratios(_ name: String, _ phase: String, ops: Double?, cpu: Double?) {
            guard let ours = beryl[phase], let theirs = xrootd[phase] else { return }
            add("\(name)_ratio_vs_xrootd", ours.opsPerSecond / theirs.opsPerSecond, "x", ops.map { .atLeast($0) } ?? .report)
            if ops != nil {
                // What bounds the ops/s ratio when the clients share the cores with the server: with
                // the cores busy, ops/s ~ cores / (client + server CPU per op), so even a server that
                // cost nothing would reach (their client + their server) / our client times theirs.
                add("\(name)_ratio_bound_vs_xrootd", (theirs.clientCPUMicrosecondsPerOp + theirs.cpuMicrosecondsPerOp)
                    / ours.clientCPUMicrosecondsPerOp, "x")
                // The same with our server's kernel time kept (the socket read and write, the wake-ups
                // over loopback TCP) and only its user-space time at zero: what no change to our code
                // can go past while the clients share the cores.
                add("\(name)_ratio_bound_zero_user_vs_xrootd", (theirs.clientCPUMicrosecondsPerOp + theirs.cpuMicrosecondsPerOp)
                    / (ours.clientCPUMicrosecondsPerOp + ours.kernelMicrosecondsPerOp), "x")
                add("\(name)_cores_busy_beryl", ours.busyFraction, "fraction")
                add("\(name)_cores_busy_xrootd", theirs.busyFraction, "fraction")
            }
            add("\(name)_cpu_ratio_vs_xrootd", theirs.cpuMicrosecondsPerOp / ours.cpuMicrosecondsPerOp, "x",
                cpu.map { .atLeast($0) } ?? .report)
        }
        ratios("stat", "stat", ops: 2, cpu: 3)
        ratios("mkdir", "mkdir", ops: 2, cpu: 3)
        if let ours = beryl["ls"], let theirs = xrootd["ls"] {
            add("ls_ratio_vs_xrootd", ours.opsPerSecond / theirs.opsPerSecond, "x", .atLeast(2))
        }
        ratios("stat_\(d)", "stat-d\(depth)", ops: 2, cpu: 2)
        ratios("mkdir_\(d)", "mkdir-d\(depth)", ops: nil, cpu: nil)
        ratios("fattr_set", "fattr-set", ops: 2, cpu: nil)
        ratios("fattr_set_\(d)", "fattr-set-d\(depth)", ops: nil, cpu: nil)
        for (name, phase) in [("stat", "syscalls-stat"), ("stat_\(d)", "syscalls-stat-d\(depth)"),
                              ("fattr_set", "syscalls-fattr-set"), ("fattr_set_\(d)", "syscalls-fattr-set-d\(depth)")] {
            for (server, results) in [("beryl", beryl), ("xrootd", xrootd)] {
                guard let counted = results[phase] else { continue }
                add("\(name)_syscalls_per_op_\(server)", counted.syscallsPerOp, "calls")
                add("\(name)_context_switches_per_op_\(server)", counted.contextSwitchesPerOp, "switches")
            }
        }
        if let stat = beryl["stat"] { add("stat_p99_ms", stat.p99Milliseconds, "ms") }
        if wants(.batch) {
            let batchServer = try BenchServer.beryl(durability: "batch")
            defer { batchServer.stop() }
            try prepare(batchServer)
            let batch = try phase(batchServer, "mkdir-batch") { client, thread, index in
                try client.mkdir("/bench/mk/t\(thread)/b\(index)")
            }
            add("mkdir_batch_ops_per_s", batch.opsPerSecond, "ops/s")
            add("mkdir_batch_p99_ms", batch.p99Milliseconds, "ms")
        }
        if wants(.auth) { figures += try measureAuthentication() }
        return figures
    }

    /// /bench/stat (a file), /bench/ls (1,000 files), /bench/mk/t<thread> (mkdir targets).
    private func prepare(_ server: BenchServer) throws {
        let client = try server.client()
        try client.mkdir("/bench/ls", options: .makePath)
        for thread in 0..<connections { try client.mkdir("/bench/mk/t\(thread)", options: .makePath) }
        try client.close(try client.open("/bench/stat", options: [.delete, .update], mode: 0o644))
        if (try? client.stat("/bench/cksum")) == nil {
            try client.close(try client.open("/bench/cksum", options: [.delete, .update], mode: 0o644))
        }
        _ = try client.setAttributes("/bench/stat", [("user.bench", "atlas.data")])
        // The stock server answers its first checksum query of a file later (kXR_waitresp, then an
        // asynchronous answer this client does not take): warm it up on throw-away clients.
        for _ in 0..<5 {
            guard let warm = try? server.client() else { break }
            if (try? warm.checksum("/bench/cksum")) != nil { break }
            usleep(200_000)
        }
        for thread in 0..<connections {
            try client.close(try client.open("/bench/fa-t\(thread)", options: [.delete, .update], mode: 0o644))
        }
        for index in 0..<1000 {
            try client.close(try client.open("/bench/ls/file-\(index).root", options: [.delete, .update], mode: 0o644))
        }
    }

    private func measure(_ server: BenchServer) throws -> Results {
        try prepare(server)
        var results: Results = [:]
        let statPath = "/bench/stat"
        let setOK: @Sendable (XRootDClient.Answer) -> String? = { answer in
            // errors count, then per name: code (0: done) and name.
            answer.body.count >= 4 && answer.body[0] == 0 && answer.body[2] == 0 && answer.body[3] == 0
                ? nil : "kXR_fattr set answered \(answer.body)"
        }
        let statOK: @Sendable (XRootDClient.Answer) -> String? = { answer in
            answer.body.isEmpty ? "empty stat answer" : nil
        }
        let statRequest: @Sendable (Int, Int) -> XRootDRequest = { _, _ in .stat(StatRequest(path: statPath)) }
        let setRequest: @Sendable (Int, Int) -> XRootDRequest = { thread, index in
            .fattr(FattrRequest(subcode: .set, path: "/bench/fa-t\(thread)", names: [Array("user.n".utf8)],
                                values: [Array("\(index)".utf8)]))
        }
        if wants(.stat) {
            results["stat"] = try phase(server, "stat") { client, _, _ in _ = try client.stat(statPath) }
            results["stat-d\(depth)"] = try pipelinedPhase(server, "stat-d\(depth)", depth: depth, statRequest, check: statOK)
        }
        if wants(.mkdir) {
            results["mkdir"] = try phase(server, "mkdir") { client, thread, index in try client.mkdir("/bench/mk/t\(thread)/d\(index)") }
            results["mkdir-d\(depth)"] = try pipelinedPhase(server, "mkdir-d\(depth)", depth: depth, { thread, index in
                .mkdir(MkdirRequest(path: "/bench/mk/t\(thread)/p\(index)"))
            }, check: { _ in nil })
        }
        if wants(.ls) {
            results["ls"] = try phase(server, "ls") { client, _, _ in
                let listing = try client.dirlist("/bench/ls")
                guard listing.entries.count == 1000 else { throw XRootDError.unexpectedResponse("\(listing.entries.count) entries") }
            }
        }
        if wants(.xattr) {
            results["xattr-get"] = try phase(server, "xattr-get") { client, _, _ in
                let answers = try client.getAttributes(statPath, names: ["user.bench"])
                guard answers.first?.value == "atlas.data" else { throw XRootDError.unexpectedResponse("\(answers)") }
            }
        }
        if wants(.cksum) {
            results["cksum-query"] = try phase(server, "cksum-query") { client, _, _ in
                guard try client.checksum("/bench/cksum").type == "adler32" else { throw XRootDError.unexpectedResponse("checksum type") }
            }
        }
        if wants(.fattr) {
            results["fattr-set"] = try phase(server, "fattr-set") { client, thread, index in
                let answers = try client.setAttributes("/bench/fa-t\(thread)", [("user.n", "\(index)")])
                guard answers.first?.code == nil else { throw XRootDError.unexpectedResponse("\(answers)") }
            }
            results["fattr-set-d\(depth)"] = try pipelinedPhase(server, "fattr-set-d\(depth)", depth: depth, setRequest, check: setOK)
        }
        if wants(.syscalls) {
            results["syscalls-stat"] = try pipelinedPhase(server, "syscalls-stat", depth: 1, countSyscalls: true, statRequest, check: statOK)
            results["syscalls-stat-d\(depth)"] = try pipelinedPhase(server, "syscalls-stat-d\(depth)", depth: depth,
                                                                    countSyscalls: true, statRequest, check: statOK)
            results["syscalls-fattr-set"] = try pipelinedPhase(server, "syscalls-fattr-set", depth: 1, countSyscalls: true,
                                                               setRequest, check: setOK)
            results["syscalls-fattr-set-d\(depth)"] = try pipelinedPhase(server, "syscalls-fattr-set-d\(depth)", depth: depth,
                                                                         countSyscalls: true, setRequest, check: setOK)
        }
        return results
    }
}
