import Glibc

/// A pthread reader-writer lock (many readers or one writer). The pthread object is heap
/// allocated once and never moves. Writers are preferred so a stream of readers cannot starve
/// mutations.
public final class ReadWriteLock: @unchecked Sendable {
    // @unchecked: the pointer is set once and only used through pthread calls, which are thread-safe.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    public init() {
        lock = .allocate(capacity: 1)
        var attr = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attr)
        pthread_rwlockattr_setkind_np(&attr, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attr)
        pthread_rwlockattr_destroy(&attr)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    @inline(__always)
    public func withReadLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    @inline(__always)
    public func withWriteLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    /// Takes the write lock; pair with `unlock()`. For loops that release it between slices of
    /// work (a replica applying records), where a closure scope does not fit.
    public func lockForWriting() { pthread_rwlock_wrlock(lock) }
    public func unlock() { pthread_rwlock_unlock(lock) }
}
