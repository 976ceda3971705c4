import Glibc
import Synchronization

/// The namespace's operator log: short timestamped lines about background work (compaction
/// runs, skipped damaged spans, failures, boot recovery), kept in memory, newest last. Bounded:
/// beyond `capacity` lines the oldest are dropped. Each line is also handed to the sink set with
/// `forward(to:)` (the server's service log), once; a line repeating the previous one (a slave
/// retrying a master that is down, every second) is counted instead, and the count is forwarded
/// (`previous message repeated N times`) before the next different line. Thread-safe.
public final class MasterLog: Sendable {
    public struct Line: Sendable, Equatable, CustomStringConvertible {
        public enum Level: String, Sendable { case info = "INFO", warning = "WARN", error = "ERROR" }
        /// Unix seconds.
        public var time: Int64
        public var level: Level
        public var message: String
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
    }

    public let capacity: Int
    private let storage = Mutex<[Line]>([])
    private let sink = Mutex<Forwarding?>(nil)

    private struct Forwarding {
        var deliver: @Sendable (Line) -> Void
        var last: Line?
        var repeats = 0
    }

    public init(capacity: Int = 1_000) {
        self.capacity = max(1, capacity)
    }

    public func log(_ level: Line.Level, _ message: String) {
        let line = Line(time: Timestamp.now().seconds, level: level, message: message)
        storage.withLock { lines in
            if lines.count >= capacity { lines.removeFirst(lines.count - capacity + 1) }
            lines.append(line)
        }
        let (deliver, lines) = sink.withLock { forwarding -> ((@Sendable (Line) -> Void)?, [Line]) in
            guard var f = forwarding else { return (nil, []) }
            defer { forwarding = f }
            if let last = f.last, last.level == line.level, last.message == line.message {
                f.repeats += 1
                return (f.deliver, [])
            }
            var out: [Line] = []
            if let last = f.last, f.repeats > 0 {
                out.append(Line(time: line.time, level: last.level,
                                message: "previous message repeated \(f.repeats) times: \(last.message)"))
            }
            out.append(line)
            f.last = line
            f.repeats = 0
            return (f.deliver, out)
        }
        if let deliver { for forwarded in lines { deliver(forwarded) } }
    }

    /// Hands every line logged from now on to `sink` too (called on the logging thread, no lock held).
    public func forward(to sink: @escaping @Sendable (Line) -> Void) {
        self.sink.withLock { $0 = Forwarding(deliver: sink) }
    }

    /// The kept lines, oldest first.
    public var lines: [Line] { storage.withLock { $0 } }

    /// Appends an informational line (operator actions, role changes).
    public func append(_ message: String) { log(.info, message) }

    /// The whole log as text, one line each, oldest first (what `ns master` prints).
    public var text: String { storage.withLock { $0.map { $0.description + "\n" }.joined() } }

    /// Empties the log (`ns master --log-clear`).
    public func clear() { storage.withLock { $0.removeAll() } }

    /// Lines whose message contains `text`.
    public func lines(containing text: String) -> [Line] {
        storage.withLock { $0.filter { $0.message.contains(text) } }
    }
}
