import Glibc

/// A POSIX thread for tests that need a real peer blocking on a socket (Swift concurrency's pool
/// must not block). `join` returns what the body returned.
final class TestThread<Result: Sendable>: @unchecked Sendable {
    // @unchecked: `result` is written by the thread before it exits and read after pthread_join.
    private var result: Result?
    private var thread = pthread_t()

    private init() {}

    private func store(_ value: Result) { result = value }

    /// Starts `body` on a new thread (a factory rather than an init: capturing `self` in an
    /// initializer crashes the 6.3 compiler's region analysis).
    static func start(_ body: @escaping @Sendable () -> Result) -> TestThread<Result> {
        let task = TestThread()
        let run: @Sendable () -> Void = { task.store(body()) }
        let context = Unmanaged.passRetained(TestThreadStart(run)).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, testThreadEntry, context)
        precondition(created == 0, "pthread_create failed: \(created)")
        task.thread = thread
        return task
    }

    func join() -> Result {
        pthread_join(thread, nil)
        return result!
    }
}

private final class TestThreadStart: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

private func testThreadEntry(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<TestThreadStart>.fromOpaque(raw!).takeRetainedValue().body()
    return nil
}
