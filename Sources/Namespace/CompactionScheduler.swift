import Changelog
import Platform

/// Runs `Namespace.compact` on a schedule (the legacy `ns compact on|off` interface), on one
/// background thread, and keeps the schedule persisted in the data directory.
///
/// The thread sleeps on a condition variable until the next start (waking at least once a
/// second to re-check role and schedule), runs the compaction on itself, then schedules the next
/// run `interval` seconds after the run ended, or turns the schedule off after a one-shot run.
/// While the namespace is not a read-write master the schedule is kept but nothing runs and the
/// status reads `blocked`; a due run starts as soon as the role becomes master. A failed run is
/// logged by `compact` (status `failed`) and the schedule goes on. `stop()` wakes and joins the
/// thread (waiting for a run in progress to end); call it before dropping the scheduler.
public final class CompactionScheduler: @unchecked Sendable {
    // @unchecked: `schedule`, `stopping` and `thread` are guarded by `lock`.
    public let namespace: Namespace
    public let options: CompactionOptions
    private let lock = ConditionLock()
    private var schedule: CompactionSchedule?
    private var stopping = false
    private var thread: BackgroundThread<Void>?

    /// Loads the schedule persisted in the namespace's data directory (if any); call `start()`.
    public init(namespace: Namespace, options: CompactionOptions = CompactionOptions()) throws(NamespaceError) {
        self.namespace = namespace
        self.options = options
        schedule = try CompactionSchedule.load(from: namespace.configuration.directory)
        publish(schedule)
    }

    /// The current schedule (nil: off).
    public var current: CompactionSchedule? { lock.withLock { schedule } }

    /// Applies a legacy command, `on <delay> [<interval>] [<type>]` or `off`, persists it, and
    /// wakes the thread. Returns the schedule now in force.
    @discardableResult
    public func execute(_ command: String) throws(NamespaceError) -> CompactionSchedule? {
        let words = command.split(separator: " ").map(String.init)
        let parsed = try CompactionSchedule.parse(words, now: Timestamp.now().seconds)
        try set(parsed)
        return parsed
    }

    /// Replaces the schedule (nil: off), persisting it first: on a persistence error nothing changes.
    public func set(_ new: CompactionSchedule?) throws(NamespaceError) {
        try lock.withLock { () throws(NamespaceError) in
            try CompactionSchedule.store(new, in: namespace.configuration.directory)
            schedule = new
            publish(new)
            lock.broadcast()
        }
    }

    /// Starts the background thread (once). When no thread can be created the master log says so
    /// and no scheduled compaction runs (`ns compact` on demand still works); false then.
    @discardableResult
    public func start() -> Bool {
        lock.withLock {
            guard thread == nil, !stopping else { return true }
            do {
                thread = try BackgroundThread.start(named: "compaction-scheduler") { [self] in loop() }
                return true
            } catch {
                namespace.masterLog.log(.error, "compaction schedule: \(error); scheduled compactions do not run "
                                        + "until beryl-mgm is restarted")
                return false
            }
        }
    }

    /// Stops the thread and waits for it (and for a run in progress). The schedule stays persisted.
    public func stop() {
        let running = lock.withLock { () -> BackgroundThread<Void>? in
            stopping = true
            lock.broadcast()
            defer { thread = nil }
            return thread
        }
        running?.join()
    }

    private func publish(_ s: CompactionSchedule?) {
        namespace.compaction.update { f in
            f.nextStart = s?.start
            f.interval = s?.interval ?? 0
            if s == nil { f.blocked = false }
        }
    }

    private func loop() {
        lock.lock()
        defer { lock.unlock() }
        while !stopping {
            guard let due = schedule else {
                lock.wait(seconds: 1)
                continue
            }
            let now = Timestamp.now().seconds
            if now < due.start {
                lock.wait(seconds: min(Double(due.start - now), 1))
                continue
            }
            let runnable = namespace.role == .masterReadWrite && !namespace.compactionHeld
                && (namespace.bootState == .booted || namespace.bootState == .compacting)
            namespace.compaction.update { $0.blocked = !runnable }
            guard runnable else {
                lock.wait(seconds: 1)
                continue
            }
            lock.unlock()
            let outcome = Result { () throws(NamespaceError) in try namespace.compact(due.type, options: options) }
            lock.lock()
            if case .failure(let error) = outcome, case .busy = error {
                namespace.masterLog.log(.warning, "scheduled compaction \(due.type): skipped, \(error)")
            }
            // Unless the schedule was changed meanwhile, plan the next run (or turn it off).
            guard schedule == due else { continue }
            let next = due.interval > 0
                ? CompactionSchedule(start: Timestamp.now().seconds + Int64(due.interval), interval: due.interval, type: due.type)
                : nil
            do {
                try CompactionSchedule.store(next, in: namespace.configuration.directory)
            } catch {
                namespace.masterLog.log(.error, "compaction schedule could not be persisted: \(error)")
            }
            schedule = next
            publish(next)
        }
    }
}
