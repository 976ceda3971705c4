/// When an append is acknowledged (see docs/DURABILITY.md).
public enum Durability: String, Sendable, CaseIterable {
    /// `append` returns once the record is in the page cache (survives a process kill, not a
    /// power loss or kernel crash).
    case none
    /// Group commit: `append` returns once an fdatasync that started after the record was
    /// written has completed; concurrent appenders share one fdatasync.
    case batch
    /// `append` issues its own fdatasync and returns after it completes.
    case always
}

/// How the payload of a single appended record is stored.
public enum CompressionPolicy: Sendable, Equatable {
    case never
    /// LZ4-compress payloads of at least `minimumBytes` when that saves space.
    case lz4(minimumBytes: Int)
}

/// Whether a writer's preallocated pages are mapped ahead of its appends (see `MappingWorker`).
public enum PrefaultPolicy: Sendable {
    /// A shared thread maps the next MiB ahead of the end, so appends do not take page faults.
    case ahead
    /// Every append that reaches a new page faults it in on the writer's thread.
    case off
}

/// How `open` treats an existing file and whether it may write.
public struct ChangelogConfiguration: Sendable {
    public enum Access: Sendable { case readOnly, append }
    public enum Creation: Sendable {
        /// The file must exist.
        case openExisting
        /// Create the file if it does not exist (a new log with a fresh identity).
        case createIfMissing
        /// The file must not exist.
        case createNew
    }

    public var access: Access = .append
    public var creation: Creation = .createIfMissing
    /// Discard every record (keep the header and identity) when opening for append.
    public var truncateExisting = false
    /// Refuse a log of another content kind; nil accepts any.
    public var contentKind: ContentKind? = nil
    public var durability: Durability = .batch
    public var damagePolicy: DamagePolicy = .strict
    public var compression: CompressionPolicy = .never
    public var prefault: PrefaultPolicy = .ahead

    public init(access: Access = .append, creation: Creation = .createIfMissing, contentKind: ContentKind? = nil,
                durability: Durability = .batch, damagePolicy: DamagePolicy = .strict,
                compression: CompressionPolicy = .never, truncateExisting: Bool = false) {
        self.access = access
        self.creation = creation
        self.contentKind = contentKind
        self.durability = durability
        self.damagePolicy = damagePolicy
        self.compression = compression
        self.truncateExisting = truncateExisting
    }

    public static let readOnly = ChangelogConfiguration(access: .readOnly, creation: .openExisting)
}

/// What `open` found and did.
public struct OpenReport: Sendable {
    /// Records visited by the open scan.
    public var records: Int = 0
    /// A torn tail found at open. When opened for append it was cut off and saved to `tornCopyPath`.
    public var tornTail: TornTail?
    public var tornCopyPath: String?
    /// Preallocated zero bytes found after the last record (reused by the next appends).
    public var trailingZeroBytes: UInt64 = 0
    /// Spans skipped under `.salvage`.
    public var damagedSpans: [DamagedSpan] = []
    /// True when the file was created by this open.
    public var created = false
}
