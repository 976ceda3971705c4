import ArgumentParser
import Glibc
import XRootD

// Namespace commands against the MGM, one XRootD request each (ls -l is one kXR_dirlist with kXR_dstat).

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List a directory.")
    @Flag(name: .customShort("l"), help: "Long format: mode, owner, group, size, time, name.") var long = false
    @Argument(help: "Directory path.") var path = "/"

    func run() throws {
        let client = try Console.client()
        let listing = try Console.run("ls \(path)") { () throws(XRootDError) in
            try client.dirlist(path, options: long ? .withStat : [])
        }
        // The stat answer has no link type: the targets of the directory's symlinks come from the server's
        // `fileinfo --symlinks` (an admin command; without it, links show as files).
        let links = long ? Console.symlinks(in: path) : [:]
        // Plain listings come in the server's directory order; print them sorted, as `ls` does.
        for entry in listing.entries.sorted(by: { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }) {
            guard long, let stat = entry.stat else {
                print(entry.name)
                continue
            }
            print(ConsoleFormat.longLine(stat, name: entry.name, linkTarget: links[entry.name]))
        }
    }
}

struct MakeDirectoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mkdir", abstract: "Create a directory.")
    @Flag(name: .customShort("p"), help: "Create missing parents; an existing directory is no error.") var parents = false
    @Argument(help: "Directory path.") var path: String

    func run() throws {
        let client = try Console.client()
        try Console.run("mkdir \(path)") { () throws(XRootDError) in
            try client.mkdir(path, options: parents ? .makePath : [], mode: 0o755)
        }
    }
}

struct RemoveDirectoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rmdir", abstract: "Remove an empty directory.")
    @Argument(help: "Directory path.") var path: String

    func run() throws {
        let client = try Console.client()
        try Console.run("rmdir \(path)") { () throws(XRootDError) in try client.rmdir(path) }
    }
}

struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a file.")
    @Argument(help: "File path.") var path: String

    func run() throws {
        let client = try Console.client()
        try Console.run("rm \(path)") { () throws(XRootDError) in try client.rm(path) }
    }
}

struct MoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mv", abstract: "Rename or move a file or directory.")
    @Argument(help: "Source path.") var source: String
    @Argument(help: "Destination path.") var destination: String

    func run() throws {
        let client = try Console.client()
        try Console.run("mv \(source) \(destination)") { () throws(XRootDError) in try client.mv(source, to: destination) }
    }
}

struct StatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stat", abstract: "Show a file's or directory's metadata.")
    @Argument(help: "Path.") var path: String

    func run() throws {
        let client = try Console.client()
        let stat = try Console.run("stat \(path)") { () throws(XRootDError) in try client.stat(path) }
        print(ConsoleFormat.statText(stat, path: path), terminator: "")
    }
}

struct TouchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "touch", abstract: "Create an empty file if it does not exist.")
    @Argument(help: "File path.") var path: String

    func run() throws {
        let client = try Console.client()
        try Console.run("touch \(path)") { () throws(XRootDError) in
            do throws(XRootDError) {
                _ = try client.stat(path)
            } catch where error.serverError?.errno == ENOENT {
                let file = try client.open(path, options: [.new, .update], mode: 0o644)
                try client.close(file)
            }
        }
    }
}

struct ChmodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "chmod", abstract: "Change permission bits (octal).")
    @Argument(help: "Mode in octal, e.g. 755.") var mode: String
    @Argument(help: "Path.") var path: String

    func run() throws {
        guard let bits = UInt16(mode, radix: 8), bits <= 0o7777 else { throw ValidationError("mode must be octal, e.g. 755") }
        let client = try Console.client()
        try Console.run("chmod \(mode) \(path)") { () throws(XRootDError) in
            try client.chmod(path, mode: FileMode(rawValue: bits & 0o777))
        }
    }
}

/// Output layouts close to the legacy console's.
enum ConsoleFormat {
    /// `drwxr-xr-x   1 root     root            4096 Nov 27 18:50 name`; a symlink as
    /// `lrwxrwxrwx ... name -> target`.
    static func longLine(_ stat: StatInfo, name: String, linkTarget: String? = nil) -> String {
        let mode = stat.extended?.mode ?? (stat.isDirectory ? 0o755 : 0o644)
        let owner = stat.extended?.owner ?? "-", group = stat.extended?.group ?? "-"
        var bits = modeString(mode, directory: stat.isDirectory)
        if linkTarget != nil { bits = "l" + bits.dropFirst() }
        return bits + "   1 " + pad(owner, 8) + " " + pad(group, 8) + " "
            + leftPad("\(stat.size)", 12) + " " + date(stat.modificationTime, "%b %d %H:%M") + " " + name
            + (linkTarget.map { " -> " + $0 } ?? "")
    }

    static func statText(_ stat: StatInfo, path: String) -> String {
        let kind = stat.isDirectory ? "directory" : "regular file"
        var text = "  File: '\(path)'  Size: \(stat.size)  \(kind)\n"
        if let e = stat.extended {
            text += "  Mode: \(modeString(e.mode, directory: stat.isDirectory)) (0\(String(e.mode, radix: 8)))"
                + "  Owner: \(e.owner)  Group: \(e.group)\n"
            text += "Change: \(date(e.changeTime, "%a %b %d %H:%M:%S %Y")) Timestamp: \(e.changeTime)\n"
        }
        text += "Modify: \(date(stat.modificationTime, "%a %b %d %H:%M:%S %Y")) Timestamp: \(stat.modificationTime)\n"
        text += "    Id: \(stat.id)  Flags: \(stat.flags.rawValue)\n"
        return text
    }

    static func modeString(_ mode: UInt32, directory: Bool) -> String {
        let letters = Array("rwxrwxrwx")
        var text = directory ? "d" : "-"
        for bit in 0..<9 { text.append(mode & (0o400 >> UInt32(bit)) != 0 ? letters[bit] : "-") }
        return text
    }

    static func date(_ seconds: Int64, _ format: String) -> String {
        var time = time_t(seconds)
        var parts = tm()
        localtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func leftPad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
