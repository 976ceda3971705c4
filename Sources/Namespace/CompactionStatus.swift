import Synchronization

/// What the `Compactification` line of the `ns` statistics shows.
public struct CompactionStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        /// No schedule and nothing running.
        case off
        /// Scheduled; waiting for the start time.
        case wait
        /// A run was triggered and is preparing.
        case starting
        /// A run is copying or committing.
        case compacting
        /// Scheduled, but the namespace is not a read-write master (or compaction is held).
        case blocked
        /// The last run failed (the live logs were left as they were); cleared by the next run.
        case failed
    }

    public var state: State
    /// Seconds until the scheduled start (0 when not waiting).
    public var secondsUntilStart: Int
    /// Seconds between scheduled runs (0: once).
    public var interval: Int
    /// Old size / new size of each log's last compaction (0 before the first).
    public var filesRatio: Double
    public var directoriesRatio: Double
    /// Why the last run failed, if it did.
    public var lastFailure: String?
    /// Runs completed since boot.
    public var completedRuns: Int

    public init(state: State = .off, secondsUntilStart: Int = 0, interval: Int = 0, filesRatio: Double = 0,
                directoriesRatio: Double = 0, lastFailure: String? = nil, completedRuns: Int = 0) {
        self.state = state
        self.secondsUntilStart = secondsUntilStart
        self.interval = interval
        self.filesRatio = filesRatio
        self.directoriesRatio = directoriesRatio
        self.lastFailure = lastFailure
        self.completedRuns = completedRuns
    }
}

/// Shared, lock-protected compaction bookkeeping of one namespace: written by `compact` and by
/// the scheduler, read by `statistics()`. Independent of the namespace's rwlock so reading the
/// status never waits for a mutation or a commit.
final class CompactionTracker: Sendable {
    enum Running { case starting, compacting }

    struct Fields {
        var running: Running?
        /// Set by the owner while a master prepares to stop writing (`Namespace.compactionHeld`).
        var held = false
        /// Unix seconds of the next scheduled start, and the interval (nil: no schedule).
        var nextStart: Int64?
        var interval = 0
        var blocked = false
        var lastFailure: String?
        var filesRatio = 0.0
        var directoriesRatio = 0.0
        var completedRuns = 0
    }

    let fields: Mutex<Fields>

    init() {
        fields = Mutex(Fields())
    }

    /// Marks a run as started; throws EBUSY if one is running.
    func begin() throws(NamespaceError) {
        let started = fields.withLock { f -> Bool in
            guard f.running == nil else { return false }
            f.running = .starting
            return true
        }
        guard started else { throw .busy("a compaction is already running") }
    }

    func update(_ body: (inout Fields) -> Void) { fields.withLock { body(&$0) } }

    func status(now: Int64, role: Role) -> CompactionStatus {
        fields.withLock { f in
            let state: CompactionStatus.State
            switch f.running {
            case .starting?: state = .starting
            case .compacting?: state = .compacting
            case nil:
                if f.lastFailure != nil { state = .failed }
                else if f.nextStart == nil { state = .off }
                else if f.blocked || f.held || role != .masterReadWrite { state = .blocked }
                else { state = .wait }
            }
            let wait = f.running == nil ? f.nextStart.map { Int(max(0, $0 - now)) } ?? 0 : 0
            return CompactionStatus(state: state, secondsUntilStart: wait, interval: f.nextStart == nil ? 0 : f.interval,
                                    filesRatio: f.filesRatio, directoriesRatio: f.directoriesRatio,
                                    lastFailure: f.lastFailure, completedRuns: f.completedRuns)
        }
    }
}
