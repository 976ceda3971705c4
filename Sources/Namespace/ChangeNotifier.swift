import Changelog
import Platform

/// A generation counter that waiters can block on: bumped after every acknowledged mutation (and
/// every applied replica batch), so a sync sender wakes as soon as there is something to ship
/// instead of polling. Thread-safe.
public final class ChangeNotifier: @unchecked Sendable {
    // @unchecked: `generation` and `waiters` are only touched with `condition` held.
    private let condition = ConditionLock()
    private var generation: UInt64 = 0
    private var waiters = 0

    public init() {}

    /// The current generation.
    public var current: UInt64 { condition.withLock { generation } }

    /// Bumps the generation and wakes the waiters (cheap when nobody waits).
    public func bump() {
        condition.withLock {
            generation &+= 1
            if waiters > 0 { condition.broadcast() }
        }
    }

    /// Blocks until the generation differs from `seen` or `timeout` seconds pass; returns the
    /// generation then.
    @discardableResult
    public func wait(after seen: UInt64, timeout: Double) -> UInt64 {
        condition.withLock {
            if generation != seen || timeout <= 0 { return generation }
            waiters += 1
            defer { waiters -= 1 }
            _ = condition.wait(seconds: timeout)
            return generation
        }
    }
}
