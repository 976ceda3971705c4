import Changelog
import Platform

/// A compaction schedule in the legacy `ns compact` interface: `on <delay> [<interval>] [<type>]`
/// starts after `delay` seconds, then every `interval` seconds (0: once), with `type` (default
/// `files`); `off` cancels. Persisted in the data directory as one line,
/// `on start=<unix seconds> interval=<seconds> type=<type>` (or `off`), so it survives restarts.
public struct CompactionSchedule: Sendable, Equatable, CustomStringConvertible {
    /// Unix seconds of the next run.
    public var start: Int64
    /// Seconds between runs; 0 runs once.
    public var interval: Int
    public var type: CompactionType

    public init(start: Int64, interval: Int = 0, type: CompactionType = .files) {
        self.start = start
        self.interval = interval
        self.type = type
    }

    /// Parses the legacy command words: `["on", "<delay>", "<interval>"?, "<type>"?]` or
    /// `["off"]`. Returns nil for `off`. `now` is unix seconds.
    public static func parse(_ words: [String], now: Int64) throws(NamespaceError) -> CompactionSchedule? {
        let usage = "usage: on [<delay> [<interval>] [<type>]] | off"
        guard let verb = words.first else { throw .invalidArgument(usage) }
        if verb == "off" && words.count == 1 { return nil }
        // `on` alone starts at once, as the legacy `ns compact on` does.
        guard verb == "on", (1...4).contains(words.count), let delay = words.count == 1 ? 0 : Int(words[1]), delay >= 0 else {
            throw .invalidArgument(usage)
        }
        var interval = 0
        var type = CompactionType.files
        var rest = words.dropFirst(min(2, words.count))
        if let word = rest.first, let n = Int(word) {
            guard n >= 0 else { throw .invalidArgument("negative interval (\(usage))") }
            interval = n
            rest.removeFirst()
        }
        if let word = rest.first {
            guard let t = CompactionType(argument: word) else {
                throw .invalidArgument("\(word): not a compaction type (\(usage))")
            }
            type = t
            rest.removeFirst()
        }
        guard rest.isEmpty else { throw .invalidArgument(usage) }
        return CompactionSchedule(start: now + Int64(delay), interval: interval, type: type)
    }

    /// The persisted line.
    public var description: String { "on start=\(start) interval=\(interval) type=\(type.rawValue)" }

    /// Parses a persisted line; nil for `off`.
    init?(persisted line: String) throws(NamespaceError) {
        let words = line.split(separator: " ").map(String.init)
        if words == ["off"] { return nil }
        var fields: [String: String] = [:]
        for w in words.dropFirst() {
            let kv = w.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { fields[kv[0]] = kv[1] }
        }
        guard words.first == "on", let start = fields["start"].flatMap({ Int64($0) }),
              let interval = fields["interval"].flatMap({ Int($0) }), let type = fields["type"].flatMap(CompactionType.init(argument:)) else {
            throw .invalidArgument("unreadable compaction schedule: \(line)")
        }
        self.init(start: start, interval: interval, type: type)
    }

    static let fileName = "compaction.schedule"

    /// Reads the schedule persisted in `directory` (nil: none or `off`).
    static func load(from directory: String) throws(NamespaceError) -> CompactionSchedule? {
        let path = directory + "/" + fileName
        guard FileSystem.exists(path) else { return nil }
        let bytes: [UInt8]
        do {
            let file = try SystemFile.open(path, access: .readOnly, creation: .openExisting)
            bytes = try file.read(count: Int(try file.size()), at: 0)
        } catch {
            throw .log(ChangelogError(error))
        }
        let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "off"
        return try CompactionSchedule(persisted: line)
    }

    /// Persists `schedule` (nil: `off`) atomically: write a temporary file, fsync it, rename it
    /// over the old one, fsync the directory. A crash leaves the old schedule or the new one.
    static func store(_ schedule: CompactionSchedule?, in directory: String) throws(NamespaceError) {
        let path = directory + "/" + fileName
        let temporary = path + ".tmp"
        do {
            try FileSystem.remove(temporary)
            let file = try SystemFile.open(temporary, access: .readWrite, creation: .createNew)
            try file.write(Array(((schedule?.description ?? "off") + "\n").utf8), at: 0)
            try file.syncAll()
            try FileSystem.rename(temporary, to: path)
            try FileSystem.syncDirectory(directory)
        } catch {
            try? FileSystem.remove(temporary)
            throw .log(ChangelogError(error))
        }
    }
}
