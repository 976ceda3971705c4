import Changelog

/// What `Namespace.compact` rewrites, in the legacy `ns compact` vocabulary: one log or both,
/// and whether damaged spans are skipped (`-repair`, each reported in the master log) or stop
/// the run (leaving the live log untouched).
public enum CompactionType: String, Sendable, CaseIterable, CustomStringConvertible {
    case files
    case directories
    case all
    case filesRepair = "files-repair"
    case directoriesRepair = "directories-repair"
    case allRepair = "all-repair"

    /// Parses the legacy argument (`files`, `all-repair`, ...).
    public init?(argument: String) { self.init(rawValue: argument) }

    /// The logs to compact, files first.
    public var logs: [CompactedLog] {
        switch self {
        case .files, .filesRepair: [.files]
        case .directories, .directoriesRepair: [.directories]
        case .all, .allRepair: [.files, .directories]
        }
    }

    public var isRepair: Bool {
        switch self {
        case .filesRepair, .directoriesRepair, .allRepair: true
        case .files, .directories, .all: false
        }
    }

    /// `.salvage` (skip damaged spans under 1 KiB) for the repair variants, `.strict` otherwise.
    public var damagePolicy: DamagePolicy { isRepair ? .salvage : .strict }

    public var description: String { rawValue }
}

/// One of the namespace's two logs.
public enum CompactedLog: String, Sendable, CaseIterable {
    case files, directories
}

/// The steps of one log's online compaction, in order, as `CompactionOptions.observer` sees them.
public enum CompactionPhase: String, Sendable {
    /// Under the namespace write lock: note the log's end (constant time).
    case prepare
    /// No lock: copy the live records as of prepare into `<log>.oc`.
    case copy
    /// No lock: copy what was appended meanwhile (repeated until a round is small).
    case catchUp = "catch-up"
    /// Under the namespace write lock: copy the remainder, sync, swap the files and the log.
    case commit
    /// No lock: close the old log, make the swap durable, prune archives.
    case finish
    /// The log's run is over (successfully).
    case done
}

/// Knobs of `Namespace.compact`.
public struct CompactionOptions: Sendable {
    /// Archives (`<log>.<unix time>`) kept per log after a run; older ones are deleted.
    public var keepArchives: Int
    /// Catch-up stops once a round copies fewer bytes than this...
    public var catchUpThreshold: UInt64
    /// ... or after this many rounds, whatever the write rate (the commit copies the rest).
    public var maximumCatchUpRounds: Int
    /// Called on the compacting thread when a phase of a log begins (for progress and tests).
    public var observer: (@Sendable (CompactedLog, CompactionPhase) -> Void)?

    public init(keepArchives: Int = 2, catchUpThreshold: UInt64 = 8 << 10, maximumCatchUpRounds: Int = 16,
                observer: (@Sendable (CompactedLog, CompactionPhase) -> Void)? = nil) {
        self.keepArchives = keepArchives
        self.catchUpThreshold = catchUpThreshold
        self.maximumCatchUpRounds = maximumCatchUpRounds
        self.observer = observer
    }
}
