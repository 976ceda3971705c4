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
        subcommands: [NsStat.self, NsMaster.self, NsCompact.self, CompactionWorkload.self], defaultSubcommand: NsStat.self)
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
        let ns = try Namespace.boot(NamespaceConfiguration(directory: data, role: .masterReadOnly, allowMissingLog: allowMissingLog))
        let stats = ns.statistics()
        print(monitoring ? stats.monitoringFormatted() : stats.formatted())
        guard !monitoring else { return }
        // Offline: which way the boot went, and every checkpoint of the directory.
        print(ns.bootReport.path)
        for path in CheckpointFile.list(in: data) { print(CheckpointFile.verify(path, logsIn: data).description) }
    }
}

struct NsMaster: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "master", abstract: "Print or clear the master log, toggle the remote check, change the master.",
        discussion: "beryl ns master [--log | --log-clear | --enable | --disable | --sync required|preferred|off | <host:port> [--force] [--discard-divergent]]")
    @Argument(parsing: .captureForPassthrough, help: "--log | --log-clear | --enable | --disable | <host:port>")
    var words: [String] = []

    /// The forms the MGM understands; anything else is a usage error here (exit 64), before it
    /// reaches a server (a typo must never start a role change).
    func validate() throws {
        guard let first = words.first else { return }
        switch first {
        case "--help", "-h":
            return
        case "--log", "--log-clear", "--enable", "--disable":
            guard words.count == 1 else { throw ValidationError("ns master \(first) takes nothing after it") }
        case "--sync":
            guard words.count == 2, ["required", "preferred", "off"].contains(words[1]) else {
                throw ValidationError("usage: ns master --sync required|preferred|off")
            }
        default:
            guard !first.hasPrefix("-"), Endpoint(parsing: first) != nil else {
                throw ValidationError("unknown option or address '\(first)'; usage: \(Self.configuration.discussion)")
            }
            for word in words.dropFirst() where word != "--force" && word != "--discard-divergent" {
                throw ValidationError("unexpected '\(word)' after \(first) (only --force, --discard-divergent)")
            }
        }
    }

    func run() throws {
        if words.first == "--help" || words.first == "-h" {
            print(Self.helpMessage())
            return
        }
        try Console.admin(["ns", "master"] + words)
    }
}

/// `beryl ns compact on [<delay> [<interval> [<type>]]] | off`: the legacy online-compaction schedule.
struct NsCompact: ParsableCommand {
    static let types = ["files", "directories", "all", "files-repair", "directories-repair", "all-repair"]
    static let configuration = CommandConfiguration(
        commandName: "compact", abstract: "Schedule online compaction on the MGM (admin command), as the legacy `ns compact`.",
        discussion: "beryl ns compact on [<delay> [<interval>] [<type>]] | off — delay and interval in seconds (delay 0, "
            + "the default, starts at once; interval 0 or none: once); type one of \(types.joined(separator: ", ")) "
            + "(default files). Exit status: 0 when the MGM took the schedule; 64 for a usage error; otherwise the "
            + "MGM's errno (22 for a value it refuses, 95 when compaction cannot run there).")
    @Argument(help: "on [<delay> [<interval>] [<type>]] | off") var words: [String] = []

    func validate() throws {
        let usage = "usage: ns compact on [<delay> [<interval>] [<type>]] | off"
        guard let verb = words.first else { throw ValidationError(usage) }
        if verb == "off" {
            guard words.count == 1 else { throw ValidationError(usage) }
            return
        }
        guard verb == "on", words.count <= 4 else { throw ValidationError(usage) }
        var rest = words.dropFirst()
        var numbers = 0
        while let word = rest.first, numbers < 2, let n = Int(word) {
            guard n >= 0 else { throw ValidationError("\(word): seconds cannot be negative (\(usage))") }
            numbers += 1
            rest.removeFirst()
        }
        if let type = rest.first {
            guard Self.types.contains(type), rest.count == 1 else { throw ValidationError("\(type): not a compaction type (\(usage))") }
            guard numbers >= 1 else { throw ValidationError("a type needs a delay before it (\(usage))") }
        }
    }

    func run() throws { try Console.admin(["ns", "compact"] + words) }
}

/// `beryl access ls | set redirect|stall ... | rm redirect|stall ...`.
struct AccessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access", abstract: "Show or change the MGM's redirection and stall rules (admin command).",
        discussion: "beryl access ls | access set redirect <host:port> [r|w|ENOENT] | access set stall <seconds> [r|w] | access rm redirect|stall [r|w|ENOENT]")

    @Argument(parsing: .captureForPassthrough, help: "ls | set ... | rm ...") var words: [String] = []

    func run() throws { try Console.admin(["access"] + (words.isEmpty ? ["ls"] : words)) }
}
