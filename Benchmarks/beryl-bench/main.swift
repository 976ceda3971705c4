import ArgumentParser

/// `beryl-bench <suite> [--quick]`: prints a table and writes Benchmarks/results/<suite>.json.
struct BerylBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beryl-bench",
        abstract: "Beryl benchmarks (build with -c release).",
        discussion: "Each suite prints a table and writes Benchmarks/results/<suite>.json. Set BERYL_BENCH_SCRATCH to choose where scratch logs go (default /tmp).",
        subcommands: [Core.self, Compaction.self, NamespaceBench.self, NamespaceBoot.self])

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
}

extension BerylBench {
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
