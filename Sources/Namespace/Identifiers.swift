import Glibc
import Platform

/// The id of a file. Ids are never reused: the next id is the largest ever seen (deletes
/// included) plus one.
public struct FileID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ value: UInt64) { self.rawValue = value }
    public static func < (a: FileID, b: FileID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}

/// The id of a container (directory). The root is container 1, its own parent. Container 0 is
/// "no container": a file whose container is 0 is detached (unlinked, kept until its
/// locations are dropped).
public struct ContainerID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ value: UInt64) { self.rawValue = value }
    public static func < (a: ContainerID, b: ContainerID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }

    public static let root = ContainerID(1)
    /// The container of a detached file.
    public static let detached = ContainerID(0)
}

/// A point in time: seconds and nanoseconds since the Unix epoch.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var seconds: Int64
    public var nanoseconds: UInt32

    public init(seconds: Int64, nanoseconds: UInt32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// The current wall-clock time (CLOCK_REALTIME).
    public static func now() -> Timestamp {
        let (seconds, nanoseconds) = SystemClock.wall()
        return Timestamp(seconds: Int64(seconds), nanoseconds: UInt32(nanoseconds))
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }
    public var description: String { "\(seconds).\(nanoseconds)" }
}

/// Monotonic clock readings for timing boots and phases.
enum MonotonicClock {
    static func seconds() -> Double { SystemClock.monotonicSeconds() }
}
