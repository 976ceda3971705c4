import Glibc

/// The clocks: monotonic (durations, deadlines) and wall (timestamps, file names, the master's
/// clock in sync messages). Every `clock_gettime` of the project is here.
public enum SystemClock {
    /// Monotonic nanoseconds (CLOCK_MONOTONIC; an arbitrary origin).
    @inline(__always)
    public static func monotonicNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Monotonic seconds, for timing phases.
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// The wall clock (CLOCK_REALTIME) as seconds and nanoseconds since 1970.
    public static func wall() -> (seconds: Int, nanoseconds: Int) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return (ts.tv_sec, ts.tv_nsec)
    }

    /// Wall-clock nanoseconds since 1970.
    public static func wallNanoseconds() -> UInt64 {
        let (s, ns) = wall()
        return UInt64(s) * 1_000_000_000 + UInt64(ns)
    }
}
