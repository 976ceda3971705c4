import Changelog
import Synchronization
import Platform

/// What a path names.
public enum NamespaceEntry: Sendable, Equatable {
    case file(FileMetadata)
    case container(ContainerMetadata)
}

/// One entry of a directory listing.
public struct DirectoryEntry: Sendable, Equatable {
    public enum Kind: String, Sendable { case file, container, symlink }
    public var name: String
    public var kind: Kind
    /// The file or container id (see `kind`).
    public var id: UInt64
}

/// An in-memory file-system namespace (files and directories, as in the EOS MGM) persisted in
/// two changelogs, `files.mdlog` and `directories.mdlog`.
///
/// Every mutation appends one record per changed object (the full object on update, its id on
/// delete; a parent directory's new mtime and ctime travel in its child's record, see
/// ParentTimes.swift) before it becomes visible; memory changes only after the append succeeds, so
/// a failed append leaves the namespace as it was. Thread-safety: all methods may be called
/// from any thread; reads share a reader-writer lock, mutations take it exclusively while they
/// append and apply, then release it and wait for their acknowledgement (group commit; see
/// docs/DURABILITY.md): a mutation may be visible to readers before it returns.
public final class Namespace: @unchecked Sendable {
    // @unchecked: every mutable property below is guarded by `lock`.
    public let configuration: NamespaceConfiguration
    let lock = ReadWriteLock()
    var tree = NamespaceTree()
    var filesLog: Changelog?
    var directoriesLog: Changelog?
    var state: BootState = .down
    var report = BootReport()
    var bootTime = Timestamp(seconds: 0)
    /// Monotonic clock at the start of the current boot.
    var bootStarted = 0.0
    var firstFileIDAtBoot: UInt64 = 0
    var firstContainerIDAtBoot: UInt64 = 0
    /// Reused payload buffer for appends (only touched under the write lock).
    var scratch: [UInt8] = []
    /// Acknowledgements the current mutation must await after releasing the lock (see `mutate`).
    var pending = PendingAcknowledgements()
    /// Compaction status, role and schedule (its own lock; see `CompactionTracker`).
    let compaction: CompactionTracker
    /// The operator log of background work (compaction runs, skipped spans, failures, boot recovery),
    /// set up from `configuration.masterLog`.
    public let masterLog: MasterLog
    /// The role (its `code`): starts as configured; `promote()`, `demote()` and the owner change it,
    /// under the write lock so a mutation sees one role from its check to its append. An atomic, so
    /// the compaction status reads it without waiting for the lock.
    let roleCode: Atomic<UInt8>
    /// Booted as a read-only master: the logs are open read-only, so no role change makes it writable.
    let logsReadOnly: Bool
    /// A replica's entries waiting for a parent or a free name (guarded by `lock`).
    var pendingEntries = PendingEntries()
    /// Records a replica applied since boot (guarded by `lock`).
    var replicatedRecords = 0
    /// Signalled after every mutation is acknowledged and every replicated batch applied.
    let changes = ChangeNotifier()
    /// Virtual memory when this namespace was made (the server's start): `ns` prints the growth since.
    let startupVirtualMemory = SystemInfo.memory().virtual

    init(configuration: NamespaceConfiguration) {
        self.configuration = configuration
        masterLog = MasterLog(configuration.masterLog)
        roleCode = Atomic(configuration.role.code)
        logsReadOnly = configuration.opensLogsReadOnly
        compaction = CompactionTracker()
    }

    public var bootState: BootState { lock.withReadLock { state } }
    public var bootReport: BootReport { lock.withReadLock { report } }
    /// True unless the namespace accepts mutations (a replica is read-only for its clients).
    public var isReadOnly: Bool { role != .masterReadWrite }
    /// The failed write or sync that poisoned a log, if one did: every later mutation fails until the
    /// namespace is closed and booted again (a server restart); reads go on.
    public var logWriteFailure: ChangelogError? {
        lock.withReadLock { directoriesLog?.writeFailure ?? filesLog?.writeFailure }
    }
    /// The role now (see `Role`): `promote()` and `demote()` change it, and so may the owner (a
    /// replication node, which also withholds compaction from a namespace that is not a read-write
    /// master by setting its role). Compaction runs only on a `masterReadWrite` namespace.
    public var role: Role {
        get { Role(code: roleCode.load(ordering: .acquiring)) ?? .invalid }
        set { lock.withWriteLock { roleCode.store(newValue.code, ordering: .releasing) } }
    }

    /// Number of files, detached ones included.
    public var fileCount: Int { lock.withReadLock { tree.files.count } }
    public var containerCount: Int { lock.withReadLock { tree.containers.count } }
    /// The id the next created file gets.
    public var nextFileID: FileID { lock.withReadLock { FileID(tree.files.largestID + 1) } }
    public var nextContainerID: ContainerID { lock.withReadLock { ContainerID(tree.containers.largestID + 1) } }

    /// Closes both logs; later calls fail with `.notBooted(.down)`.
    public func close() {
        lock.withWriteLock {
            filesLog?.close()
            directoriesLog?.close()
            filesLog = nil
            directoriesLog = nil
            tree = NamespaceTree()
            state = .down
        }
    }

    // MARK: Reads

    /// The entry at `path` (symbolic links are not followed).
    public func stat(_ path: String) throws(NamespaceError) -> NamespaceEntry {
        let parts = try NameRules.components(of: path)
        return try lock.withReadLock { () throws(NamespaceError) -> NamespaceEntry in
            try checkReadable()
            return entry(try tree.resolve(parts, path: path))
        }
    }

    public func file(_ id: FileID) -> FileMetadata? {
        lock.withReadLock { tree.files.row(of: id.rawValue).map { fileMetadata($0) } }
    }

    public func container(_ id: ContainerID) -> ContainerMetadata? {
        lock.withReadLock { tree.containers.row(of: id.rawValue).map { containerMetadata($0) } }
    }

    /// The entries of the directory at `path`, sorted by name bytes.
    public func list(_ path: String) throws(NamespaceError) -> [DirectoryEntry] {
        let parts = try NameRules.components(of: path)
        return try lock.withReadLock { () throws(NamespaceError) -> [DirectoryEntry] in
            try checkReadable()
            return listing(try tree.resolveContainer(parts, path: path))
        }
    }

    public func list(_ id: ContainerID) throws(NamespaceError) -> [DirectoryEntry] {
        try lock.withReadLock { () throws(NamespaceError) -> [DirectoryEntry] in
            guard let row = tree.containers.row(of: id.rawValue) else { throw .notFound("container \(id)") }
            return listing(row)
        }
    }

    /// The target of the symbolic link at `path` (EINVAL if it is not one).
    public func readLink(_ path: String) throws(NamespaceError) -> String {
        guard case .file(let f) = try stat(path) else { throw .invalidArgument("\(path) is not a symbolic link") }
        guard let target = f.symlinkTarget else { throw .invalidArgument("\(path) is not a symbolic link") }
        return target
    }

    /// The path of an attached file; nil if it does not exist or is detached.
    public func path(of id: FileID) -> String? {
        lock.withReadLock { tree.files.row(of: id.rawValue).flatMap { tree.path(of: .file($0)) } }
    }

    public func path(of id: ContainerID) -> String? {
        lock.withReadLock { tree.containers.row(of: id.rawValue).flatMap { tree.path(of: .container($0)) } }
    }

    /// The id of the file at `path` (EISDIR for a directory).
    public func fileID(at path: String) throws(NamespaceError) -> FileID {
        switch try stat(path) {
        case .file(let f): return f.id
        case .container: throw .isADirectory(path)
        }
    }

    /// The id of the directory at `path` (ENOTDIR for a file).
    public func containerID(at path: String) throws(NamespaceError) -> ContainerID {
        switch try stat(path) {
        case .container(let c): return c.id
        case .file: throw .notADirectory(path)
        }
    }

    // MARK: Helpers (lock held)

    func checkReadable() throws(NamespaceError) {
        guard state == .booted || state == .compacting else { throw .notBooted(state) }
    }

    func checkWritable() throws(NamespaceError) {
        try checkReadable()
        guard role == .masterReadWrite else { throw .readOnly }
    }

    func entry(_ ref: NodeRef) -> NamespaceEntry {
        ref.isContainer ? .container(containerMetadata(ref.row)) : .file(fileMetadata(ref.row))
    }

    func fileMetadata(_ row: Int) -> FileMetadata {
        let r = tree.files.rows[row]
        // The arena holds only sections that decoded when stored; a failure here is a bug.
        let extras = tree.files.withExtras(row) { try? FileExtras(parsing: $0) }
        return extras?.metadata(r) ?? FileMetadata(id: FileID(r.id), container: ContainerID(r.container), name: "")
    }

    func containerMetadata(_ row: Int) -> ContainerMetadata {
        let r = tree.containers.rows[row]
        let m = tree.containers.withExtras(row) { try? ContainerCodec.metadata(r, extras: $0) }
        return m ?? ContainerMetadata(id: ContainerID(r.id), parent: ContainerID(r.parent), name: "")
    }

    func listing(_ row: Int) -> [DirectoryEntry] {
        let refs = tree.children(ofContainerRow: row)
        var named: [(name: [UInt8], ref: NodeRef)] = refs.map { ref in (tree.withName(ref) { Array($0) }, ref) }
        named.sort { VariableFields.lessThan($0.name, $1.name) }
        return named.map { item in
            let kind: DirectoryEntry.Kind
            if item.ref.isContainer {
                kind = .container
            } else {
                kind = FileSymlinkProbe.isSymlink(tree.files, row: item.ref.row) ? .symlink : .file
            }
            return DirectoryEntry(name: String(decoding: item.name, as: UTF8.self), kind: kind, id: tree.id(item.ref))
        }
    }
}

/// Reads the symlink flag of a file's variable section without parsing the rest into arrays.
enum FileSymlinkProbe {
    static func isSymlink(_ table: RowTable<FileRow>, row: Int) -> Bool {
        table.withExtras(row) { e in
            var r = PayloadReader(e)
            do throws(CodecError) {
                _ = try VariableFields.readName(&r, allowEmpty: true)
                _ = try r.span(Int(try r.u8("checksum length")), "checksum")
                _ = try r.span(Int(try r.u16("location count")) * 4, "locations")
                _ = try r.span(Int(try r.u16("unlinked count")) * 4, "unlinked locations")
                try VariableFields.skipAttributes(&r)
                return try r.u8("symlink flag") == 1
            } catch {
                return false
            }
        }
    }
}
