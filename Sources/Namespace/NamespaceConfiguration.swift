import Changelog

/// Where a namespace lives and how it persists mutations.
public struct NamespaceConfiguration: Sendable {
    /// Directory holding `files.mdlog` and `directories.mdlog` (created if missing when read-write).
    public var directory: String
    /// When a mutation is acknowledged: the changelogs' durability.
    public var durability: Durability
    /// The role it boots in (see `Role`): `masterReadWrite` (the default) accepts mutations;
    /// `slaveReadOnly` is a replica — read-only for clients, while replication appends verbatim copies
    /// of a master's records to the logs (opened for append) and applies them, until `promote()`
    /// makes it read-write; `masterReadOnly` reads only, its logs opened read-only (another process
    /// may own them). A boot in `transition` or `invalid` is refused.
    public var role: Role
    /// How boot treats damaged records in the middle of a log.
    public var damagePolicy: DamagePolicy
    /// Boot even when one log of the pair is missing or empty while the other holds records
    /// (`--allow-missing-log`): the entries whose parents are lost then move to /lost+found. False:
    /// boot refuses, changing nothing (see `NamespaceError.missingLog`). A replica never refuses:
    /// it fetches a missing log from its master.
    public var allowMissingLog: Bool
    /// The operator log's memory bound, file and sink (`MasterLogOptions`; by default in memory only).
    public var masterLog: MasterLogOptions

    public init(directory: String, durability: Durability = .batch, role: Role = .masterReadWrite,
                damagePolicy: DamagePolicy = .strict, allowMissingLog: Bool = false,
                masterLog: MasterLogOptions = MasterLogOptions()) {
        self.directory = directory
        self.durability = durability
        self.role = role
        self.damagePolicy = damagePolicy
        self.allowMissingLog = allowMissingLog
        self.masterLog = masterLog
    }

    /// The file a server keeps its master log in (`MasterLogOptions.file`).
    public static let masterLogName = "master.log"

    public static let filesLogName = "files.mdlog"
    public static let directoriesLogName = "directories.mdlog"

    public var filesLogPath: String { directory + "/" + Self.filesLogName }
    public var directoriesLogPath: String { directory + "/" + Self.directoriesLogName }

    /// A read-only master boot opens the logs read-only and writes nothing, not even a repair.
    var opensLogsReadOnly: Bool { role == .masterReadOnly }

    func changelogConfiguration(_ kind: ContentKind) -> ChangelogConfiguration {
        ChangelogConfiguration(access: opensLogsReadOnly ? .readOnly : .append,
                               creation: opensLogsReadOnly ? .openExisting : .createIfMissing,
                               contentKind: kind, durability: durability, damagePolicy: damagePolicy)
    }
}

/// The namespace's life cycle, as the legacy `ns` command prints it.
public enum BootState: String, Sendable {
    case down, booting, booted, failed, compacting
}

/// One entry that boot found broken and re-attached under /lost+found.
public struct RepairedEntry: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case file, container }
    public enum Reason: String, Sendable {
        /// The parent container does not exist (or its chain does not reach the root).
        case orphan
        /// Another entry of the same parent has the same name.
        case nameConflict
    }
    public var kind: Kind
    public var id: UInt64
    public var reason: Reason
    /// The parent id the record named.
    public var originalParent: UInt64
    public var originalName: String
    /// Where the entry is now.
    public var newPath: String

    public var description: String {
        "\(reason.rawValue): \(kind.rawValue) \(id) \"\(originalName)\" of parent \(originalParent) -> \(newPath)"
    }
}

/// What boot did and how long it took.
public struct BootReport: Sendable {
    /// Records scanned in each log (updates, deletes and others).
    public var fileRecords = 0
    public var containerRecords = 0
    public var files = 0
    public var containers = 0
    /// Seconds for the whole boot, and for each log's scan-and-decode (run concurrently).
    public var seconds = 0.0
    public var fileSeconds = 0.0
    public var containerSeconds = 0.0
    /// Seconds attaching entries to their parents (after both scans).
    public var attachSeconds = 0.0
    public var repairs: [RepairedEntry] = []
    /// True when repairs were written to the logs (read-write boot); false when they exist in memory only.
    public var repairsPersisted = false
    /// Damage the changelog layer found (torn tails cut, spans salvaged), as text.
    public var logWarnings: [String] = []
    /// What boot did about an interrupted compaction (a leftover `.oc` removed, or an
    /// interrupted swap completed), one line per log it touched.
    public var compactionRecovery: [String] = []
    /// The checkpoint boot loaded before replaying the records after it (nil: a full replay), and
    /// the seconds reading and checking it took.
    public var checkpointPath: String?
    public var checkpointSeconds = 0.0
    /// The line that said which way boot went (checkpoint, or full replay and why).
    public var path = ""

    public var recordsScanned: Int { fileRecords + containerRecords }
    public var recordsPerSecond: Double { seconds > 0 ? Double(recordsScanned) / seconds : 0 }
}
