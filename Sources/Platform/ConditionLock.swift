import Glibc

/// A pthread mutex with one condition variable: the primitive behind group commit and tailing
/// readers. Owns its heap-allocated pthread objects (they must not move).
/// Thread-safe by construction; lives as long as its owner.
public final class ConditionLock: @unchecked Sendable {
    // @unchecked: the pointers are allocated once, never reassigned, and only used through
    // pthread calls, which are thread-safe.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    @inline(__always)
    public func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits for a broadcast; the lock must be held. Spurious wake-ups happen: loop on a predicate.
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// Waits at most `seconds`; returns false on time-out. The lock must be held.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let whole = Int(seconds)
        var nsec = now.tv_nsec + Int((seconds - Double(whole)) * 1e9)
        var sec = now.tv_sec + whole
        if nsec >= 1_000_000_000 { sec += 1; nsec -= 1_000_000_000 }
        var deadline = timespec(tv_sec: sec, tv_nsec: nsec)
        return pthread_cond_timedwait(condition, mutex, &deadline) == 0
    }

    public func broadcast() { pthread_cond_broadcast(condition) }

    /// Waits for a broadcast of `condition` (a further condition variable on this lock's mutex);
    /// the lock must be held. Spurious wake-ups happen: loop on a predicate.
    public func wait(on condition: Condition) { pthread_cond_wait(condition.pointer, mutex) }

    /// Wakes the waiters of `condition` only (not those of the lock's own condition).
    public func broadcast(_ condition: Condition) { pthread_cond_broadcast(condition.pointer) }

    /// Wakes one waiter of `condition`, if any.
    public func signal(_ condition: Condition) { pthread_cond_signal(condition.pointer) }

    /// A condition variable used with a `ConditionLock`'s mutex, for waiters of a different event
    /// than the lock's own condition (group commit's waiters wait for a flush, tailing readers
    /// for an append: one broadcast per append woke every flush waiter too).
    public final class Condition: @unchecked Sendable {
        // @unchecked: allocated once, never reassigned, only used through pthread calls.
        fileprivate let pointer: UnsafeMutablePointer<pthread_cond_t>

        public init() {
            pointer = .allocate(capacity: 1)
            pthread_cond_init(pointer, nil)
        }

        deinit {
            pthread_cond_destroy(pointer)
            pointer.deallocate()
        }
    }
}
