import ArgumentParser
import Glibc

/// The Beryl console: namespace commands against an MGM server, offline log tools and a demo.
@main
struct Beryl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beryl",
        abstract: "Beryl console: namespace commands against an MGM (beryl [--mgm root://host:port] ...), offline changelog tools.",
        discussion: """
            Network commands talk to the MGM named by --mgm (before the command), $BERYL_MGM or $EOS_MGM_URL, \
            default root://127.0.0.1:1094, through the XRootD protocol; they follow redirects and honour stalls. \
            `beryl ns stat --data DIR` stays an offline command.

            Exit status of the network commands: 0 on success; otherwise the errno the MGM answered \
            (2 ENOENT, 13 EACCES, 17 EEXIST, 39 ENOTEMPTY, ...) or of an admin command's return code, and \
            5 (EIO) when the MGM cannot be reached. The offline commands list theirs in their own --help; \
            64 is a usage error everywhere.
            """,
        subcommands: [Demo.self, NsCommand.self, AccessCommand.self, ListCommand.self, MakeDirectoryCommand.self,
                      RemoveDirectoryCommand.self, RemoveCommand.self, MoveCommand.self, StatCommand.self,
                      TouchCommand.self, ChmodCommand.self, ChownCommand.self, FileInfoCommand.self, AttrCommand.self,
                      FindCommand.self, LogCommand.self])

    /// `--mgm URL` (or `--mgm=URL`) before the command word is taken here and handed to the commands
    /// through $BERYL_MGM, so that it can precede any subcommand.
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var index = 0
        while index < arguments.count, arguments[index].hasPrefix("-") {
            if arguments[index] == "--mgm", index + 1 < arguments.count {
                setenv("BERYL_MGM", arguments[index + 1], 1)
                arguments.removeSubrange(index...index + 1)
            } else if arguments[index].hasPrefix("--mgm=") {
                setenv("BERYL_MGM", String(arguments[index].dropFirst("--mgm=".count)), 1)
                arguments.remove(at: index)
            } else {
                index += 1
            }
        }
        main(arguments)
    }
}

/// `beryl log ...`: offline, read-only tools on one changelog file.
struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Offline tools on a changelog file (read-only on their input).",
        subcommands: [LogVerify.self, LogDump.self, LogStats.self, LogCompact.self, LogConvert.self, LogTree.self, LogWorkload.self])
}
