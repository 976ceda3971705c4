import ArgumentParser
import BenchSupport

/// `beryl-bench append|boot|compact|repair|follow`: the figures the issues ask for, one subcommand
/// per topic. Each runs (the needed part of) an existing suite, keeps the figures of its topic,
/// prints the table and writes `Benchmarks/results/<name>.json`; nothing is measured twice.
extension BerylBench {
    /// The figures of `all` whose names `keep` accepts, in order.
    static func select(_ all: [Figure], _ keep: (String) -> Bool) -> [Figure] { all.filter { keep($0.name) } }

    struct Append: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append figures of suite core: unsynced, group commit (8 threads, batch), always; against raw pwrite.")
        @OptionGroup var options: Options
        func run() throws {
            var suite = CoreSuite(quick: options.quick)
            suite.scanAndIndex = false
            try report(suite: "append", figures: suite.run())
        }
    }

    struct Boot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Boot figures of suite namespace: boot rate and time of 1 M files against a raw scan, resident bytes per file, checkpoint boot.")
        @OptionGroup var options: Options
        func run() throws {
            var suite = NamespaceSuite(quick: options.quick)
            suite.compactionUnderWriter = false
            let (figures, notes) = try suite.run()
            let boot = BerylBench.select(figures) { name in
                name.hasPrefix("boot_") || name == "baseline_raw_scan_records_per_s" || name == "live_files"
                    || name.hasSuffix("_bytes_per_file") || name.hasPrefix("checkpoint_") || name.hasPrefix("compacted_replay_")
            }
            try report(suite: "boot", figures: boot, notes: notes)
        }
    }

    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Suite compaction: online compaction under a 50,000 records/s writer (lock holds, MB/s, ratio, writer latency).")
        @OptionGroup var options: Options
        func run() throws {
            try report(suite: "compact", figures: CompactionSuite(quick: options.quick).run())
        }
    }

    struct Repair: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Repair figures of suite tools: log-repair of a damaged native and legacy log, against a raw copy.")
        @OptionGroup var options: Options
        func run() throws {
            let figures = try ToolsSuite(quick: options.quick).run()
            try report(suite: "repair", figures: BerylBench.select(figures) { $0.contains("repair") || $0.contains("raw_copy") })
        }
    }

    struct Follow: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lag and catch-up figures of suite replication (needs beryl-mgm built next to beryl-bench).")
        @OptionGroup var options: Options
        func run() throws {
            let (figures, notes) = try ReplicationSuite(quick: options.quick, parts: [.lag, .catchUp]).run()
            try report(suite: "follow", figures: figures, notes: notes)
        }
    }
}
