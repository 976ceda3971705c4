import Glibc
import Synchronization

/// How a `MasterLog` is set up; fixed at construction (a namespace takes it from its configuration).
public struct MasterLogOptions: Sendable {
    /// Lines kept in memory (what `ns master` prints); the oldest are dropped beyond it.
    public var capacity: Int
    /// A file that keeps the lines across restarts (`<data>/master.log`), rotated once into
    /// `<file>.1` when it would exceed `maximumFileBytes`; at construction the last `capacity` lines
    /// of both are loaded. Nil: memory only (offline tools, which never write the data directory).
    public var file: String?
    public var maximumFileBytes: Int
    /// Receives every line as it is kept, after folding (a server routes them to its service log).
    public var sink: MasterLog.Sink?
    /// Identical lines within this many seconds of the first one are counted, not kept: one
    /// "... repeated N times in T" line stands for them (see `MasterLog`).
    public var foldSeconds: Int64

    public init(capacity: Int = 10_000, file: String? = nil, maximumFileBytes: Int = 1 << 20,
                sink: MasterLog.Sink? = nil, foldSeconds: Int64 = 600) {
        self.capacity = max(1, capacity)
        self.file = file
        self.maximumFileBytes = max(4096, maximumFileBytes)
        self.sink = sink
        self.foldSeconds = max(1, foldSeconds)
    }
}

/// The namespace's operator log (`ns master`): short timestamped lines about role changes, peers,
/// fencing, compaction runs, skipped damaged spans, failures and boot recovery, newest last.
/// Thread-safe.
///
/// * **Bounded**: `capacity` lines in memory; with a `file`, at most about twice
///   `maximumFileBytes` on disk (the file and one rotated predecessor), reloaded at construction,
///   so the history survives restarts.
/// * **Folded**: a line identical (level and text) to one of the last 16 distinct lines, within
///   `foldSeconds` of its first occurrence, is counted instead of kept (so two lines that alternate
///   fold too); the count appears as one line, `<message> ... repeated 273 times in 4 m 33 s`, before
///   the next new line, when the window ends, or at `flush()`; `lines` and `text` show pending counts
///   at the end.
/// * **Forwarded**: every kept line also goes to the `sink` (outside the lock), once.
public final class MasterLog: Sendable {
    public typealias Sink = @Sendable (Line) -> Void

    public struct Line: Sendable, Equatable, CustomStringConvertible {
        public enum Level: String, Sendable { case info = "INFO", warning = "WARN", error = "ERROR" }
        /// Unix seconds.
        public var time: Int64
        public var level: Level
        public var message: String

        public init(time: Int64, level: Level, message: String) {
            self.time = time
            self.level = level
            self.message = message
        }

        /// `2026-11-27 21:05:03 INFO message` (UTC).
        public var description: String { "\(Self.utc(time)) \(level.rawValue) \(message)" }

        static func utc(_ seconds: Int64) -> String {
            var t = time_t(seconds)
            var parts = tm()
            gmtime_r(&t, &parts)
            func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
            return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) "
                + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        }

        /// Parses what `description` wrote; nil for anything else.
        init?(parsing text: Substring) {
            let words = text.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard words.count == 4, let level = Level(rawValue: String(words[2])) else { return nil }
            let date = words[0].split(separator: "-").compactMap { Int32($0) }
            let clock = words[1].split(separator: ":").compactMap { Int32($0) }
            guard date.count == 3, clock.count == 3 else { return nil }
            var parts = tm()
            parts.tm_year = date[0] - 1900
            parts.tm_mon = date[1] - 1
            parts.tm_mday = date[2]
            parts.tm_hour = clock[0]
            parts.tm_min = clock[1]
            parts.tm_sec = clock[2]
            self.init(time: Int64(timegm(&parts)), level: level, message: String(words[3]))
        }
    }

    private struct State {
        var lines: [Line] = []
        var folds = LineFolds()
        var file: MasterLogFile?
    }

    public let options: MasterLogOptions
    public var capacity: Int { options.capacity }
    private let state: Mutex<State>
    /// Seconds now; tests replace it to fold over simulated time.
    private let clock: @Sendable () -> Int64

    public convenience init(capacity: Int = 10_000) {
        self.init(MasterLogOptions(capacity: capacity))
    }

    public init(_ options: MasterLogOptions, clock: @escaping @Sendable () -> Int64 = { Timestamp.now().seconds }) {
        self.options = options
        self.clock = clock
        var initial = State()
        if let path = options.file {
            let file = MasterLogFile(path: path, maximumBytes: options.maximumFileBytes)
            initial.lines = Array(file.load().suffix(options.capacity))
            initial.file = file
        }
        state = Mutex(initial)
    }

    /// Keeps `message` (one line: line breaks in it become spaces) at `level`, or counts it (folding).
    public func log(_ level: Line.Level, _ raw: String) {
        let message = raw.contains(where: \.isNewline) ? raw.split(whereSeparator: \.isNewline).joined(separator: " ") : raw
        let now = clock()
        let kept = state.withLock { s -> [Line] in
            var out: [Line] = []
            for summary in s.folds.record(level: level, message: message, at: now, window: options.foldSeconds) {
                out.append(summary)
            }
            if s.folds.lastRecordWasFolded == false { out.append(Line(time: now, level: level, message: message)) }
            return keep(out, in: &s)
        }
        if let sink = options.sink { for line in kept { sink(line) } }
    }

    /// Writes the pending "repeated" counts as lines (a server calls it when it stops).
    public func flush() {
        let kept = state.withLock { s -> [Line] in
            keep(s.folds.drain(), in: &s)
        }
        if let sink = options.sink { for line in kept { sink(line) } }
    }

    private func keep(_ new: [Line], in s: inout State) -> [Line] {
        guard !new.isEmpty else { return [] }
        var kept = new
        if let failure = s.file?.append(new) { kept.append(Line(time: clock(), level: .error, message: failure)) }
        s.lines.append(contentsOf: kept)
        if s.lines.count > options.capacity { s.lines.removeFirst(s.lines.count - options.capacity) }
        return kept
    }

    deinit {
        state.withLock { $0.file?.closeDescriptor() }
    }

    /// The kept lines, oldest first, then one line per pending repeat count.
    public var lines: [Line] { state.withLock { $0.lines + $0.folds.pending() } }

    /// Appends an informational line (operator actions, role changes).
    public func append(_ message: String) { log(.info, message) }

    /// The whole log as text, one line each, oldest first (what `ns master` prints).
    public var text: String { lines.map { $0.description + "\n" }.joined() }

    /// Empties the log, in memory and on disk (`ns master --log-clear`).
    public func clear() {
        state.withLock { s in
            s.lines.removeAll()
            s.folds = LineFolds()
            s.file?.clear()
        }
    }

    /// Lines whose message contains `text`.
    public func lines(containing text: String) -> [Line] {
        lines.filter { $0.message.contains(text) }
    }
}
