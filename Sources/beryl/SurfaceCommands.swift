import ArgumentParser
import Glibc
import MGM
import XRootD

// The legacy console's entry commands: fileinfo (an admin command on the server), attr (kXR_fattr),
// find (kXR_dirlist with stat, printed as each directory's listing arrives).

struct FileInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fileinfo",
        abstract: "Show everything the namespace holds about an entry: id, size, times, checksum and its type, "
            + "layout, locations, flags, xattrs (an admin command: user root from loopback).")
    @Flag(help: "One JSON object.") var json = false
    @Argument(help: "Path.") var path: String

    func run() throws {
        try Console.admin(["fileinfo", path] + (json ? ["--json"] : []))
    }
}

struct AttrCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attr",
        abstract: "Extended attributes: attr [-r] ls <path> | attr [-r] get <key> <path> | attr [-r] set <key>=<value> <path> "
            + "| attr [-r] rm <key> <path>. With -r: the directory and every directory below it. sys.* keys: root only.")
    @Flag(name: .customShort("r"), help: "Recursively: the directory and every directory below it.") var recursive = false
    @Argument(help: "ls, get, set or rm.") var verb: String
    @Argument(help: "<path> | <key> <path> | <key>=<value> <path>.") var words: [String] = []

    func validate() throws {
        switch (verb, words.count) {
        case ("ls", 1), ("get", 2), ("rm", 2): break
        case ("set", 2):
            guard let equals = words[0].firstIndex(of: "="), equals != words[0].startIndex else {
                throw ValidationError("set takes <key>=<value>")
            }
        default:
            throw ValidationError("usage: attr [-r] ls <path> | get <key> <path> | set <key>=<value> <path> | rm <key> <path>")
        }
    }

    func run() throws {
        let client = try Console.client()
        let path = words[words.count - 1]
        let targets = recursive ? try Console.run("attr -r \(verb) \(path)") { () throws(XRootDError) in
            try FindWalk.directories(below: path, client: client)
        } : [path]
        var failed: Int32 = 0
        for target in targets {
            let header = recursive ? "\(target):\n" : ""
            switch verb {
            case "ls":
                let pairs = try Console.run("attr ls \(target)") { () throws(XRootDError) in try client.listAttributes(target) }
                print(header + pairs.sorted { $0.name < $1.name }.map { "\($0.name)=\"\($0.value)\"\n" }.joined(), terminator: "")
            case "get":
                let answers = try Console.run("attr get \(words[0]) \(target)") { () throws(XRootDError) in
                    try client.getAttributes(target, names: [words[0]])
                }
                for a in answers { failed = max(failed, report(a, target) { print(header + "\(a.name)=\"\(a.value)\"") }) }
            case "set":
                let key = String(words[0].prefix { $0 != "=" })
                var value = String(words[0].drop { $0 != "=" }.dropFirst())
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
                let answers = try Console.run("attr set \(key) \(target)") { () throws(XRootDError) in
                    try client.setAttributes(target, [(key, value)])
                }
                for a in answers { failed = max(failed, report(a, target) {}) }
            default:
                let answers = try Console.run("attr rm \(words[0]) \(target)") { () throws(XRootDError) in
                    try client.removeAttributes(target, names: [words[0]])
                }
                for a in answers { failed = max(failed, report(a, target) {}) }
            }
        }
        if failed != 0 { throw ExitCode(failed) }
    }

    /// Prints the error of a name the server refused (its errno as the exit code), or runs `done`.
    private func report(_ answer: AttributeAnswer, _ path: String, _ done: () -> Void) -> Int32 {
        guard let code = answer.code else {
            done()
            return 0
        }
        let text = code == .attributeNotFound ? "no such attribute" : code == .notFound ? "no such file or directory" : "\(code)"
        Console.printError("error: attr \(verb) \(answer.name) \(path): \(text)")
        return code == .attributeNotFound ? ENODATA : code.errno
    }
}

struct FindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "List a tree: every entry below a path, directories with a trailing '/', as the server's listings arrive.")
    @Flag(name: .customShort("d"), help: "Directories only.") var directoriesOnly = false
    @Flag(name: .customShort("f"), help: "Files only.") var filesOnly = false
    @Option(help: "Descend at most N levels below the path (0: the path itself).") var maxdepth: Int?
    @Option(help: "Only entries whose name matches this shell pattern (fnmatch).") var name: String?
    @Argument(help: "Directory path.") var path: String

    func validate() throws {
        if directoriesOnly && filesOnly { throw ValidationError("-d and -f exclude each other") }
        if let maxdepth, maxdepth < 0 { throw ValidationError("--maxdepth must be 0 or more") }
    }

    func run() throws {
        let client = try Console.client()
        let root = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        func matches(_ entryName: String) -> Bool { name.map { fnmatch($0, entryName, 0) == 0 } ?? true }
        let rootName = root == "/" ? "/" : String(root.split(separator: "/").last ?? "")
        if !filesOnly, matches(rootName) { print(root == "/" ? "/" : root + "/") }
        try Console.run("find \(path)") { () throws(XRootDError) in
            try FindWalk.walk(root, client: client, maximumDepth: maxdepth ?? Int.max) { entryPath, isDirectory in
                let entryName = String(entryPath.split(separator: "/").last ?? "")
                guard matches(entryName) else { return }
                if isDirectory, !filesOnly { print(entryPath + "/") }
                if !isDirectory, !directoriesOnly { print(entryPath) }
            }
        }
    }
}

/// A depth-first walk over `kXR_dirlist` with stat: one listing per directory, each handed out as it
/// arrives (no tree held in memory beyond the directories still to visit).
enum FindWalk {
    static func walk(_ root: String, client: XRootDClient, maximumDepth: Int,
                     _ visit: (String, Bool) -> Void) throws(XRootDError) {
        var pending: [(path: String, depth: Int)] = [(root, 0)]
        while let (directory, depth) = pending.popLast() {
            guard depth < maximumDepth else { continue }
            let listing = try client.dirlist(directory, options: .withStat)
            var below: [(String, Int)] = []
            for entry in listing.entries.sorted(by: { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }) {
                let child = (directory == "/" ? "" : directory) + "/" + entry.name
                let isDirectory = entry.stat?.isDirectory ?? false
                visit(child, isDirectory)
                if isDirectory { below.append((child, depth + 1)) }
            }
            pending += below.reversed()
        }
    }

    /// `path` and every directory below it, parents first.
    static func directories(below path: String, client: XRootDClient) throws(XRootDError) -> [String] {
        var out = [path]
        try walk(path, client: client, maximumDepth: Int.max) { child, isDirectory in if isDirectory { out.append(child) } }
        return out
    }
}
