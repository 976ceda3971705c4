import Glibc

/// `beryl-mgm serve --config FILE`: the long options of `serve`, one per line, as `key = value`.
///
///     # comments start with '#' (anywhere outside quotes); blank lines are ignored
///     data = /var/lib/beryl/a
///     listen = 127.0.0.1:1094
///     admin-allow = 10.0.0.5 10.0.0.6     # a list: words separated by spaces or commas
///     secret-file = "/etc/beryl/pair secret"  # double quotes keep spaces
///
/// The keys are the long option names without `--`. Every key is checked (an unknown key, a line
/// without `=`, an empty value, a key given twice, a `[section]` is an error naming the file and the
/// line); an option given on the command line replaces the file's value.
public enum ConfigFile {
    /// How an option takes its value.
    public enum Kind: Sendable, Equatable {
        /// One value (`--listen 127.0.0.1:1094`).
        case single
        /// One or more values (`--admin-allow a b`).
        case list
        /// No value: `key = true` gives the flag, `false` leaves it out.
        case flag
    }

    public struct Entry: Sendable, Equatable {
        public var key: String
        public var values: [String]
        /// 1-based.
        public var line: Int

        public init(key: String, values: [String], line: Int) {
            self.key = key
            self.values = values
            self.line = line
        }
    }

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var path: String
        /// 1-based; 0 when the file itself is the problem.
        public var line: Int
        public var reason: String
        public var description: String { line > 0 ? "\(path):\(line): \(reason)" : "\(path): \(reason)" }

        public init(path: String, line: Int, reason: String) {
            self.path = path
            self.line = line
            self.reason = reason
        }
    }

    /// The options a file may set, read from a command's usage line (ArgumentParser's
    /// `usageString()`, e.g. `serve [--config <config>] --data <data> [--admin-allow <admin-allow> ...]
    /// [--verbose]`): `--name <value>` takes one value, `--name <value> ...` several, `--name` alone is a
    /// flag. Every option of the command is settable, and a new option needs no change here.
    public static func options(fromUsage usage: String, excluding: Set<String> = ["config", "help"]) -> [String: Kind] {
        let tokens = usage.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
            .map { $0.filter { $0 != "[" && $0 != "]" && $0 != "(" && $0 != ")" } }
        var options: [String: Kind] = [:]
        for (index, token) in tokens.enumerated() where token.hasPrefix("--") {
            for alternative in token.split(separator: "|") where alternative.hasPrefix("--") {
                let name = String(alternative.dropFirst(2))
                guard !name.isEmpty, !excluding.contains(name) else { continue }
                let takesValue = index + 1 < tokens.count && tokens[index + 1].hasPrefix("<")
                let repeats = takesValue && index + 2 < tokens.count && tokens[index + 2] == "..."
                options[name] = repeats ? .list : takesValue ? .single : .flag
            }
        }
        return options
    }

    /// Parses `text` (the contents of `path`) against the options in `known`.
    public static func parse(_ text: String, path: String, known: [String: Kind]) throws(Failure) -> [Entry] {
        var entries: [Entry] = []
        var seen: [String: Int] = [:]
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = index + 1
            func fail(_ reason: String) -> Failure { Failure(path: path, line: number, reason: reason) }
            let line = try withoutComment(raw, fail)
            let content = line.trimmed
            if content.isEmpty { continue }
            if content.hasPrefix("[") { throw fail("sections are not supported: write key = value lines only") }
            guard let equals = content.firstIndex(of: "=") else {
                throw fail("expected key = value, found '\(content)'")
            }
            let key = String(content[..<equals]).trimmed
            guard let kind = known[key] else {
                let hint = key.hasPrefix("--") ? " (write the option name without '--')" : ""
                throw fail("unknown key '\(key)'\(hint); known: \(known.keys.sorted().joined(separator: ", "))")
            }
            if let first = seen[key] { throw fail("'\(key)' is already set on line \(first)") }
            seen[key] = number
            let values = try words(String(content[content.index(after: equals)...]), fail)
            guard !values.isEmpty else { throw fail("'\(key)' has no value") }
            switch kind {
            case .single:
                guard values.count == 1 else {
                    throw fail("'\(key)' takes one value, found \(values.count) (quote a value with spaces)")
                }
            case .list:
                break
            case .flag:
                guard values.count == 1, let on = flagValue(values[0]) else {
                    throw fail("'\(key)' is a flag: true or false, found '\(values.joined(separator: " "))'")
                }
                if !on { continue }
            }
            entries.append(Entry(key: key, values: kind == .flag ? [] : values, line: number))
        }
        return entries
    }

    /// The command line `serve` runs with: the file's options that the command line does not give,
    /// then the command line (whose options therefore win).
    public static func merged(_ entries: [Entry], commandLine: [String]) -> [String] {
        let given = Set(commandLine.compactMap { argument -> String? in
            guard argument.hasPrefix("--") else { return nil }
            return String(argument.dropFirst(2).prefix { $0 != "=" })
        })
        var out: [String] = []
        for entry in entries where !given.contains(entry.key) {
            out.append("--" + entry.key)
            out += entry.values
        }
        return out + commandLine
    }

    /// `arguments` after a subcommand name with `--config FILE` (or `--config=FILE`) among them,
    /// expanded with the file's options (`--config` itself is kept, so `serve` still sees it);
    /// unchanged without `--config`. `read` returns the file's text or throws a failure.
    public static func expand(_ arguments: [String], known: [String: Kind],
                              read: (String) throws(Failure) -> String) throws(Failure) -> [String] {
        var path: String?
        for (index, argument) in arguments.enumerated() {
            if argument == "--config" {
                guard index + 1 < arguments.count else {
                    throw Failure(path: "--config", line: 0, reason: "needs a file name")
                }
                path = arguments[index + 1]
            } else if argument.hasPrefix("--config=") {
                path = String(argument.dropFirst("--config=".count))
            }
        }
        guard let path else { return arguments }
        let entries = try parse(try read(path), path: path, known: known)
        return merged(entries, commandLine: arguments)
    }

    /// The text of the file at `path`.
    public static func text(of path: String) throws(Failure) -> String {
        guard let file = fopen(path, "r") else {
            throw Failure(path: path, line: 0, reason: "cannot read: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            bytes += chunk[0..<n]
            if n < chunk.count { break }
        }
        if ferror(file) != 0 { throw Failure(path: path, line: 0, reason: "cannot read: \(String(cString: strerror(errno)))") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Failure(path: path, line: 0, reason: "not UTF-8 text") }
        return text
    }

    // MARK: Lexing

    /// The line up to a '#' that is not inside double quotes.
    private static func withoutComment(_ line: Substring, _ fail: (String) -> Failure) throws(Failure) -> Substring {
        var quoted = false, escaped = false
        for index in line.indices {
            switch line[index] {
            case _ where escaped: escaped = false
            case "\\" where quoted: escaped = true
            case "\"": quoted.toggle()
            case "#" where !quoted: return line[..<index]
            default: break
            }
        }
        if quoted { throw fail("unterminated quote") }
        return line
    }

    /// Words separated by spaces, tabs or commas; a double-quoted word keeps them (`\"` and `\\` escape).
    private static func words(_ text: String, _ fail: (String) -> Failure) throws(Failure) -> [String] {
        var out: [String] = []
        var current = ""
        var inWord = false, quoted = false, escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if quoted {
                switch character {
                case "\\": escaped = true
                case "\"": quoted = false
                default: current.append(character)
                }
            } else if character == "\"" {
                quoted = true
                inWord = true
            } else if character == " " || character == "\t" || character == "," || character == "\r" {
                if inWord { out.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if quoted || escaped { throw fail("unterminated quote") }
        if inWord { out.append(current) }
        if out.contains(where: \.isEmpty) { throw fail("empty quoted value") }
        return out
    }

    private static func flagValue(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: return nil
        }
    }
}

extension StringProtocol {
    fileprivate var trimmed: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
