import BenchSupport
import Foundation
import Glibc
import Namespace
import Synchronization
import XRootD

/// `beryl-bench xrootd`: metadata operations over loopback with 16 connections (stat, mkdir, ls of a
/// 1,000-entry directory, xattr get, checksum query, xattr set), the same client code (`XRootDClient`, one per thread) against `beryl-mgm`
/// (a child process, durability `none`, then `batch` for mkdir) and the stock `xrootd` (as `nobody`),
/// with each server's CPU time per operation from /proc/<pid>/stat; then the cost of permission checks
/// and sss authentication (`AuthenticationBench.swift`).
struct XRootDSuite {
    var quick: Bool
    var connections = 16
    var phaseSeconds: Double { quick ? 1.5 : 4 }

    struct Phase {
        var operations: Int
        var seconds: Double
        var p99Milliseconds: Double
        var serverCPUSeconds: Double
        /// The part of `serverCPUSeconds` spent in the kernel (system time).
        var serverSystemSeconds: Double
        var opsPerSecond: Double { Double(operations) / seconds }
        var cpuMicrosecondsPerOp: Double { serverCPUSeconds * 1e6 / Double(max(1, operations)) }
        var kernelMicrosecondsPerOp: Double { serverSystemSeconds * 1e6 / Double(max(1, operations)) }
    }

    struct Results {
        var stat: Phase
        var mkdir: Phase
        var ls: Phase
        /// kXR_fattr get of one name, kXR_Qcksum, kXR_fattr set of one name (issue 21).
        var xattrGet: Phase
        var checksum: Phase
        var fattrSet: Phase
    }

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
        let batchServer = try BenchServer.beryl(durability: "batch")
        let batch: Phase
        do {
            defer { batchServer.stop() }
            try prepare(batchServer)
            batch = try phase(batchServer, "mkdir-batch") { client, thread, index in
                try client.mkdir("/bench/mk/t\(thread)/b\(index)")
            }
        }
        var figures: [Figure] = []
        func add(_ name: String, _ value: Double, _ unit: String, _ goal: Figure.Goal = .report) {
            figures.append(Figure(name: name, value: value, unit: unit, goal: goal))
        }
        for (name, ours, theirs) in [("stat", beryl.stat, xrootd.stat), ("mkdir", beryl.mkdir, xrootd.mkdir),
                                     ("ls", beryl.ls, xrootd.ls)] {
            add("\(name)_ops_per_s_beryl", ours.opsPerSecond, "ops/s")
            add("\(name)_ops_per_s_xrootd", theirs.opsPerSecond, "ops/s")
            add("\(name)_p99_ms_beryl", ours.p99Milliseconds, "ms")
            add("\(name)_p99_ms_xrootd", theirs.p99Milliseconds, "ms")
            add("\(name)_server_cpu_us_per_op_beryl", ours.cpuMicrosecondsPerOp, "us")
            add("\(name)_server_cpu_us_per_op_xrootd", theirs.cpuMicrosecondsPerOp, "us")
            add("\(name)_server_kernel_us_per_op_beryl", ours.kernelMicrosecondsPerOp, "us")
            add("\(name)_server_kernel_us_per_op_xrootd", theirs.kernelMicrosecondsPerOp, "us")
        }
        add("stat_ratio_vs_xrootd", beryl.stat.opsPerSecond / xrootd.stat.opsPerSecond, "x", .atLeast(2))
        add("mkdir_ratio_vs_xrootd", beryl.mkdir.opsPerSecond / xrootd.mkdir.opsPerSecond, "x", .atLeast(2))
        add("ls_ratio_vs_xrootd", beryl.ls.opsPerSecond / xrootd.ls.opsPerSecond, "x", .atLeast(2))
        add("stat_cpu_ratio_vs_xrootd", xrootd.stat.cpuMicrosecondsPerOp / beryl.stat.cpuMicrosecondsPerOp, "x", .atLeast(3))
        add("mkdir_cpu_ratio_vs_xrootd", xrootd.mkdir.cpuMicrosecondsPerOp / beryl.mkdir.cpuMicrosecondsPerOp, "x", .atLeast(3))
        for (name, ours, theirs) in [("xattr_get", beryl.xattrGet, xrootd.xattrGet), ("cksum_query", beryl.checksum, xrootd.checksum),
                                     ("fattr_set", beryl.fattrSet, xrootd.fattrSet)] {
            add("\(name)_ops_per_s_beryl", ours.opsPerSecond, "ops/s")
            add("\(name)_ops_per_s_xrootd", theirs.opsPerSecond, "ops/s")
            add("\(name)_server_cpu_us_per_op_beryl", ours.cpuMicrosecondsPerOp, "us")
            add("\(name)_server_cpu_us_per_op_xrootd", theirs.cpuMicrosecondsPerOp, "us")
        }
        add("fattr_set_ratio_vs_xrootd", beryl.fattrSet.opsPerSecond / xrootd.fattrSet.opsPerSecond, "x", .atLeast(2))
        add("stat_p99_ms", beryl.stat.p99Milliseconds, "ms")
        add("mkdir_batch_ops_per_s", batch.opsPerSecond, "ops/s")
        add("mkdir_batch_p99_ms", batch.p99Milliseconds, "ms")
        figures += try measureAuthentication()
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
        let stat = try phase(server, "stat") { client, _, _ in _ = try client.stat("/bench/stat") }
        let mkdir = try phase(server, "mkdir") { client, thread, index in try client.mkdir("/bench/mk/t\(thread)/d\(index)") }
        let ls = try phase(server, "ls") { client, _, _ in
            let listing = try client.dirlist("/bench/ls")
            guard listing.entries.count == 1000 else { throw XRootDError.unexpectedResponse("\(listing.entries.count) entries") }
        }
        let xattrGet = try phase(server, "xattr-get") { client, _, _ in
            let answers = try client.getAttributes("/bench/stat", names: ["user.bench"])
            guard answers.first?.value == "atlas.data" else { throw XRootDError.unexpectedResponse("\(answers)") }
        }
        let checksum = try phase(server, "cksum-query") { client, _, _ in
            guard try client.checksum("/bench/cksum").type == "adler32" else { throw XRootDError.unexpectedResponse("checksum type") }
        }
        let fattrSet = try phase(server, "fattr-set") { client, thread, index in
            let answers = try client.setAttributes("/bench/fa-t\(thread)", [("user.n", "\(index)")])
            guard answers.first?.code == nil else { throw XRootDError.unexpectedResponse("\(answers)") }
        }
        return Results(stat: stat, mkdir: mkdir, ls: ls, xattrGet: xattrGet, checksum: checksum, fattrSet: fattrSet)
    }

    /// `connections` threads, each with its own client, run `operation` for `phaseSeconds`.
    func phase(_ server: BenchServer, _ name: String, user: String = BenchServer.user,
                       _ operation: @escaping @Sendable (XRootDClient, Int, Int) throws -> Void) throws -> Phase {
        let clients = try (0..<connections).map { _ in try server.client(user: user) }
        let latencies = Mutex<[[UInt64]]>(Array(repeating: [], count: connections))
        let failures = Mutex<[String]>([])
        let seconds = phaseSeconds
        let cpuBefore = server.cpuTimes()
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: connections) { thread in
            var mine: [UInt64] = []
            mine.reserveCapacity(200_000)
            let end = start + UInt64(seconds * 1e9)
            var index = 0
            while true {
                let before = DispatchTime.now().uptimeNanoseconds
                if before >= end { break }
                do {
                    try operation(clients[thread], thread, index)
                } catch {
                    failures.withLock { $0.append("\(name) thread \(thread): \(error)") }
                    break
                }
                mine.append(DispatchTime.now().uptimeNanoseconds - before)
                index += 1
            }
            latencies.withLock { $0[thread] = mine }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpuAfter = server.cpuTimes()
        let cpu = cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system
        if let failure = failures.withLock({ $0.first }) { throw XRootDError.unexpectedResponse(failure) }
        let all = latencies.withLock { $0.flatMap { $0 } }.sorted()
        let p99 = all.isEmpty ? .nan : Double(all[min(all.count - 1, Int(Double(all.count) * 0.99))]) / 1e6
        print("  \(server.name) \(name): \(all.count) ops in \(String(format: "%.2f", elapsed)) s, "
              + "\(Int(Double(all.count) / elapsed)) ops/s, p99 \(String(format: "%.3f", p99)) ms, "
              + "server CPU \(String(format: "%.1f", cpu * 1e6 / Double(max(1, all.count)))) us/op, "
              + "of it kernel \(String(format: "%.1f", (cpuAfter.system - cpuBefore.system) * 1e6 / Double(max(1, all.count)))) us/op")
        return Phase(operations: all.count, seconds: elapsed, p99Milliseconds: p99, serverCPUSeconds: cpu,
                     serverSystemSeconds: cpuAfter.system - cpuBefore.system)
    }
}
