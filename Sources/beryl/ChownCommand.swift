import ArgumentParser

/// `beryl chown [-r] USER[:GROUP] PATH`: the legacy `eos chown`, an admin command (root only).
struct ChownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chown", abstract: "Give an entry (with -r, a subtree) to a user and group (admin command: root only).",
        discussion: "USER and GROUP are names or numbers; USER alone also sets the user's primary group; :GROUP alone "
            + "changes only the group. Example: beryl chown -r alice:users /eos/user/alice")

    @Flag(name: .customShort("r"), help: "Also every entry below PATH.") var recursive = false
    @Argument(help: "USER[:GROUP] or :GROUP") var owner: String
    @Argument(help: "The entry (absolute path).") var path: String

    func run() throws {
        try Console.admin(["chown"] + (recursive ? ["-r"] : []) + [owner, path])
    }
}
