import BenchSupport
import ArgumentParser
import Changelog
import Foundation
import XRootD

/// `beryl-bench <suite> [--quick]`: prints a table and writes Benchmarks/results/<suite>.json.
struct BerylBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beryl-bench",
        abstract: "Beryl benchmarks (build with -c release).",
        discussion: "Each suite prints a table and writes Benchmarks/results/<suite>.json. append, boot, compact, repair and follow gather the figures of one topic from the suites (see docs/BENCHMARKS.md). Set BERYL_BENCH_SCRATCH to choose where scratch logs go (default /tmp).",
        subcommands: [Core.self, Compaction.self, Ratio.self, Scale.self, ScalePoint.self, ScaleGenerate.self, CheckpointBoot.self, Tools.self,
                      NamespaceBench.self, NamespaceBoot.self, XRootD.self, Replication.self,
                      Append.self, Boot.self, Compact.self, Repair.self, Follow.self, ReplicaApply.self, SyncedPath.self])

    struct Options: ParsableArguments {
        @Flag(help: "A smaller run that finishes in under 60 s.")
        var quick = false
    }

    struct ReplicaApply: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replica-apply", abstract: "The replica's apply path alone, in process (no network).", shouldDisplay: false)
        @Option var files = 500_000
        @Option var durability = "batch"
        @Flag(help: "Time a second backlog that updates every file (the resumed slave's case).") var updates = false
        func run() throws {
            let (records, seconds) = try ReplicaApplyBench.run(files: files, durability: Durability(rawValue: durability) ?? .batch,
                                                               updates: updates)
            print("applied \(records) records in \(seconds) s: \(Int(Double(records) / seconds)) records/s")
        }
    }

    struct SyncedPath: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "synced-path", abstract: "The namespace's setSize under `always` beside the bare log's synced append (for profiling).",
            shouldDisplay: false)
        @OptionGroup var options: Options
        func run() throws {
            let dir = scratchDirectory("synced")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let payloads = (0..<1024).map { i in [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 200) }
            for f in try SyncedPathBench(quick: options.quick).run(in: dir, payloads: payloads) { print(f.name, f.value) }
        }
    }

    struct Core: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Appends (unsynced, group commit, always), verified scan and index build of 200-byte records.")
        @OptionGroup var options: Options
        func run() throws {
            let figures = try CoreSuite(quick: options.quick).run()
            try report(suite: "core", figures: figures)
        }
    }

    struct Scale: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Boot time, memory per file and compaction time at 10^4..10^7 files, with the fitted growth.")
        @OptionGroup var options: Options
        func run() throws {
            try report(suite: "scale", figures: ScaleSuite(quick: options.quick).run())
        }
    }

    struct CheckpointBoot: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint-boot", abstract: "Boot a data directory through its checkpoint (writing one first if none), for profiling.",
            shouldDisplay: false)
        @Option var data: String
        @Option var rounds = 5
        func run() throws { try CheckpointBench.profileBoots(data, rounds: rounds) }
    }

    struct ScalePoint: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "scale-point", abstract: "One scale point (internal).", shouldDisplay: false)
        @Option var data: String
        func run() throws { try scalePoint(data) }
    }

    struct ScaleGenerate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scale-generate", abstract: "Write one scale point's data directory (for profiling a boot).", shouldDisplay: false)
        @Option var data: String
        @Option var files: Int
        @Option(help: "Records per file (the scale suite writes 2: a create and an update).") var versions: Int = 2
        func run() throws {
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            try ScaleSuite.generate(data, files: files, versions: max(1, versions))
        }
    }

    struct Ratio: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compaction ratio over a grid of workloads (updates per file 1/3/10/30, 0/10/50 % deleted, LZ4 blocks or plain frames).")
        @OptionGroup var options: Options
        func run() throws {
            try report(suite: "ratio", figures: RatioSuite(quick: options.quick).run())
        }
    }

    struct Compaction: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Online compaction of a 20%-live log under a 50,000 records/s writer: lock hold times, throughput, ratio.")
        @OptionGroup var options: Options
        func run() throws {
            try report(suite: "compaction", figures: CompactionSuite(quick: options.quick).run())
        }
    }

    struct Tools: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "verify and log-repair on a damaged 1 GiB native log (256 MiB with --quick) and a damaged legacy EOS log, against raw read and raw copy.")
        @OptionGroup var options: Options
        func run() throws {
            try report(suite: "tools", figures: ToolsSuite(quick: options.quick).run())
        }
    }

    struct XRootD: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "xrootd",
            abstract: "stat, mkdir, ls of 1,000 entries, xattr get, checksum query and xattr set with 16 connections against beryl-mgm and the stock xrootd (same client), with server CPU per operation.")
        @OptionGroup var options: Options
        @Option(help: "Run only these parts, comma-separated (\(XRootDSuite.Part.allCases.map(\.rawValue).joined(separator: ","))); the figures then go to Benchmarks/results/xrootd-partial.json (not committed).")
        var only: String?
        @Option(help: "Requests in flight per connection in the pipelined phases.")
        var depth = 16
        func validate() throws {
            for name in only?.split(separator: ",") ?? [] where XRootDSuite.Part(rawValue: String(name)) == nil {
                throw ValidationError("unknown part '\(name)'")
            }
            guard (1...XRootDClient.maximumPipelineDepth).contains(depth) else { throw ValidationError("--depth \(depth)") }
        }
        func run() throws {
            let parts = only.map { Set($0.split(separator: ",").compactMap { XRootDSuite.Part(rawValue: String($0)) }) }
            let figures = try XRootDSuite(quick: options.quick, parts: parts, depth: depth).run()
            try report(suite: parts == nil ? "xrootd" : "xrootd-partial", figures: figures)
        }
    }
}

extension BerylBench {
    struct Replication: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A beryl-mgm master and slave on loopback: replication lag under a 20,000 mutations/s load, slave catch-up after a 1 M-record backlog with reads meanwhile, role change time idle and loaded; with a 3-member etcd, coordinated failover time and mkdir overhead.")
        @OptionGroup var options: Options
        @Option(help: "Run only this part (repeatable): lag, role-change, catch-up, sync-modes, coordinated. The figures then go to results/replication-partial.json, not replication.json.")
        var part: [String] = []
        func run() throws {
            var suite = ReplicationSuite(quick: options.quick)
            if !part.isEmpty {
                suite.parts = Set(try part.map { name in
                    guard let p = ReplicationSuite.Part(rawValue: name) else { throw ValidationError("unknown part \(name)") }
                    return p
                })
            }
            let (figures, notes) = try suite.run()
            try report(suite: part.isEmpty ? "replication" : "replication-partial", figures: figures, notes: notes)
        }
    }

    struct NamespaceBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "namespace",
            abstract: "Namespace of 1,000 directories and 1 M files (3 updates each, 10 % removed): mutation rate, boot rate and time, resident bytes per file.")
        @OptionGroup var options: Options
        func run() throws {
            let (figures, notes) = try NamespaceSuite(quick: options.quick).run()
            try report(suite: "namespace", figures: figures, notes: notes)
        }
    }

    /// The child of the namespace suite's memory measurement (a fresh process, so the heap holds
    /// nothing from generating the namespace).
    struct NamespaceBoot: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "namespace-boot", shouldDisplay: false)
        @Argument var directory: String
        func run() throws { try NamespaceSuite.bootAndReportMemory(directory) }
    }
}

BerylBench.main()
