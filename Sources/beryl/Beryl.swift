import ArgumentParser

/// The Beryl console: offline log tools and a demo.
@main
struct Beryl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beryl",
        abstract: "Beryl console: offline changelog tools.",
        subcommands: [Demo.self, NsCommand.self, LogCommand.self])
}

/// `beryl log ...`: offline, read-only tools on one changelog file.
struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Offline tools on a changelog file (read-only on their input).",
        subcommands: [LogVerify.self, LogDump.self, LogStats.self, LogCompact.self, LogConvert.self, LogTree.self, LogWorkload.self])
}
