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

    public static func start(_ work: @escaping @Sendable () -> Result) -> BackgroundThread<Result> {
        if let task = startIfPossible(work) { return task }
        // No thread: run inline so the caller still gets a result.
        let task = BackgroundThread()
        task.store(work())
        return task
    }

    /// Starts `work` on a new thread, or returns nil when no thread can be created (never runs it
    /// inline: for work that never returns, or that takes a lock the caller holds).
    public static func startIfPossible(_ work: @escaping @Sendable () -> Result) -> BackgroundThread<Result>? {
        let task = BackgroundThread()
        let body: @Sendable () -> Void = { task.store(work()) }
        let context = Unmanaged.passRetained(ThreadStart(body)).toOpaque()
        var thread = pthread_t()
        guard pthread_create(&thread, nil, threadEntry, context) == 0 else {
            Unmanaged<ThreadStart>.fromOpaque(context).release()
            return nil
        }
        task.thread = thread
        task.started = true
        return task
    }

    public func join() -> Result {
        if started {
            pthread_join(thread, nil)
            started = false
        }
        return result!
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
