import Glibc
import Synchronization

/// The master log of the legacy MGM (`IMaster::mLog`): transitions, supervisor and admin events,
/// printed by `ns master` and emptied by `ns master --log-clear`. Thread-safe, bounded.
public final class MasterLog: Sendable {
    private let lines = Mutex<[String]>([])
    public let capacity: Int

    public init(capacity: Int = 10_000) { self.capacity = capacity }

    /// Appends `message` with a UTC time stamp (`yymmdd hh:mm:ss`).
    public func append(_ message: String) {
        let line = Self.timestamp() + " " + message
        lines.withLock { lines in
            lines.append(line)
            if lines.count > capacity { lines.removeFirst(lines.count - capacity) }
        }
    }

    public var text: String { lines.withLock { $0.map { $0 + "\n" }.joined() } }

    public func clear() { lines.withLock { $0.removeAll() } }

    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return two(parts.tm_year % 100) + two(parts.tm_mon + 1) + two(parts.tm_mday) + " "
            + two(parts.tm_hour) + ":" + two(parts.tm_min) + ":" + two(parts.tm_sec)
    }
}
