import Glibc

/// Runs one closure on a new pthread; `join()` waits for it and returns its result (so the two
/// boot scans use both cores without an executor; replication runs its sender, receiver and
/// supervisor loops on them; the mapping worker runs on one for the life of the process and is
/// never joined). Join at most once.
public final class BackgroundThread<Result>: @unchecked Sendable {
    // @unchecked: `result` is written by the worker before it exits and read only after
    // pthread_join, which orders the two.
    private var result: Result?
    private var thread = pthread_t()
    private var started = false

    private init() {}

    private func store(_ value: Result) { result = value }

    /// Starts `work` on a new thread named `name` (in errors and fault plans), or throws when no
    /// thread can be created: never runs it inline. For every loop (replication, schedulers) and for
    /// any caller holding a lock: run inline, such work would never return, or would take a lock
    /// its caller holds, and wedge everything waiting on that lock. The caller fails the one
    /// operation that needed the thread and logs it.
    public static func start(named name: String,
                             _ work: @escaping @Sendable () -> Result) throws(ThreadStartError) -> BackgroundThread<Result> {
        #if DEBUG
        if FaultInjection.threadStartFails(name) { throw ThreadStartError(name: name, errno: EAGAIN, injected: true) }
        #endif
        let task = BackgroundThread()
        let rc = task.spawn(work)
        guard rc == 0 else { throw ThreadStartError(name: name, errno: rc, injected: false) }
        return task
    }

    /// Starts finite `work` on a new thread, or runs it inline when no thread can be created (the
    /// caller still gets its result, later). Only for work that ends on its own and for callers that
    /// hold no lock the work could need (the two boot scans); anything else uses `start(named:_:)`.
    public static func startOrRunInline(_ work: @escaping @Sendable () -> Result) -> BackgroundThread<Result> {
        if let task = startIfPossible(work) { return task }
        let task = BackgroundThread()
        task.store(work())
        return task
    }

    /// Starts `work` on a new thread, or returns nil when no thread can be created (never runs it
    /// inline: for work that never returns, or that takes a lock the caller holds).
    public static func startIfPossible(_ work: @escaping @Sendable () -> Result) -> BackgroundThread<Result>? {
        let task = BackgroundThread()
        return task.spawn(work) == 0 ? task : nil
    }

    /// pthread_create's result (0, or the errno).
    private func spawn(_ work: @escaping @Sendable () -> Result) -> Int32 {
        let body: @Sendable () -> Void = { self.store(work()) }
        let context = Unmanaged.passRetained(ThreadStart(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, threadEntry, context)
        guard rc == 0 else {
            Unmanaged<ThreadStart>.fromOpaque(context).release()
            return rc
        }
        self.thread = thread
        started = true
        return 0
    }

    public func join() -> Result {
        if started {
            pthread_join(thread, nil)
            started = false
        }
        return result!
    }
}

/// No thread could be created for `name` (pthread_create's errno, usually EAGAIN: the process's or
/// the system's thread limit, or no memory for a stack).
public struct ThreadStartError: Error, Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var errno: Int32
    /// A debug fault plan refused it (`BERYL_FAULT_THREAD_START`), not the system.
    public var injected: Bool

    public var description: String {
        "cannot start the \(name) thread: \(String(cString: strerror(errno))) (errno \(errno))"
            + (injected ? " [injected fault]" : "")
    }
}

private final class ThreadStart: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

private func threadEntry(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let raw else { return nil }
    Unmanaged<ThreadStart>.fromOpaque(raw).takeRetainedValue().body()
    return nil
}
