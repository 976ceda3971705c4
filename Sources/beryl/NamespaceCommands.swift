import ArgumentParser
import Glibc
import MGM
import Namespace
import XRootD

/// `beryl ns ...`: the MGM's `ns` admin command; `beryl ns stat --data DIR` reads a data directory offline.
struct NsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ns",
        abstract: "Namespace statistics and master control (admin command; `ns stat --data DIR` is offline).",
        subcommands: [NsStat.self, NsMaster.self, CompactionWorkload.self], defaultSubcommand: NsStat.self)
}

struct NsStat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stat", abstract: "The `ns` statistics.",
        discussion: "Exit status: 0 when the statistics were printed; 1 when the MGM cannot be reached or refuses, or the data directory does not boot (with --data: one log of the pair missing or empty while the other holds records, unless --allow-missing-log).")
    @Option(help: "Read this data directory offline (read-only boot) instead of asking the MGM.") var data: String?
    @Flag(name: .customShort("m"), help: "Monitoring format (key=value pairs).") var monitoring = false
    @Flag(name: .customLong("allow-missing-log"), help: "With --data: boot even when one log of the pair is missing or empty while the other holds records.")
    var allowMissingLog = false

    func run() throws {
        guard let data else { return try Console.admin(["ns", "stat"] + (monitoring ? ["-m"] : [])) }
        let ns = try Namespace.boot(NamespaceConfiguration(directory: data, access: .readOnly, allowMissingLog: allowMissingLog))
        let stats = ns.statistics()
        print(monitoring ? stats.monitoringFormatted() : stats.formatted())
    }
}

struct NsMaster: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "master", abstract: "Print or clear the master log, toggle the remote check, change the master.",
        discussion: "beryl ns master [--log | --log-clear | --enable | --disable | --sync required|preferred|off | <host:port> [--force] [--discard-divergent]]")
    @Argument(parsing: .captureForPassthrough, help: "--log | --log-clear | --enable | --disable | <host:port>")
    var words: [String] = []

    func run() throws { try Console.admin(["ns", "master"] + words) }
}

/// `beryl access ls | set redirect|stall ... | rm redirect|stall ...`.
struct AccessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access", abstract: "Show or change the MGM's redirection and stall rules (admin command).",
        discussion: "beryl access ls | access set redirect <host:port> [r|w|ENOENT] | access set stall <seconds> [r|w] | access rm redirect|stall [r|w|ENOENT]")

    @Argument(parsing: .captureForPassthrough, help: "ls | set ... | rm ...") var words: [String] = []

    func run() throws { try Console.admin(["access"] + (words.isEmpty ? ["ls"] : words)) }
}
