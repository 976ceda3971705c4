import ArgumentParser

/// `beryl-bench <suite> [--quick]`: prints a table and writes Benchmarks/results/<suite>.json.
struct BerylBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beryl-bench",
        abstract: "Beryl benchmarks (build with -c release).",
        discussion: "Each suite prints a table and writes Benchmarks/results/<suite>.json. Set BERYL_BENCH_SCRATCH to choose where scratch logs go (default /tmp).",
        subcommands: [Core.self, Compaction.self, Tools.self, XRootD.self])

    struct Options: ParsableArguments {
        @Flag(help: "A smaller run that finishes in under 60 s.")
        var quick = false
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
            abstract: "stat, mkdir and ls of 1,000 entries with 16 connections against beryl-mgm and the stock xrootd (same client), with server CPU per operation.")
        @OptionGroup var options: Options
        func run() throws {
            try report(suite: "xrootd", figures: XRootDSuite(quick: options.quick).run())
        }
    }
}

BerylBench.main()
