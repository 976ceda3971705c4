import Changelog
import Platform

/// Writing and reading checkpoint files (layout in CheckpointFormat.swift and docs/CHECKPOINT.md).
///
/// A checkpoint is written as `namespace.checkpoint.tmp`, synced, renamed to
/// `namespace.checkpoint.<unix time>` and the directory synced, the same crash safety as a
/// compaction's swap: a crash leaves either no new checkpoint or a complete one, never a partial
/// file under a checkpoint's name. The newest `keep` are kept, like the logs' archives.
public enum CheckpointFile {
    static let prefix = "namespace.checkpoint."
    public static let temporaryName = "namespace.checkpoint.tmp"

    /// The checkpoints in `directory`, newest first.
    public static func list(in directory: String) -> [String] {
        FileSystem.list(directory).compactMap { name -> (Int, String)? in
            guard name.hasPrefix(prefix), let t = Int(name.dropFirst(prefix.count)) else { return nil }
            return (t, directory + "/" + name)
        }.sorted { $0.0 > $1.0 }.map(\.1)
    }

    /// Writes `image` as the newest checkpoint of `directory`, covering the logs at `files` and
    /// `directories`; deletes the oldest beyond `keep`. Returns its path and size.
    static func write(_ image: NamespaceImage, files: CheckpointLogMark, directories: CheckpointLogMark,
                      in directory: String, keep: Int) throws(CheckpointError) -> (path: String, bytes: UInt64) {
        let temporary = directory + "/" + temporaryName
        var header = CheckpointHeader(created: SystemClock.wallNanoseconds(), files: files, directories: directories, sections: [])
        let seed = header.seed
        let state = image.stateBytes
        // Layout first: offsets and checksums go into the header, which is written before the sections.
        var offset = UInt64(CheckpointHeader.fixedSize + CheckpointSection.allCases.count * CheckpointHeader.entrySize + 8)
        func place(_ kind: CheckpointSection, count: Int, checksum: UInt64) {
            offset = (offset + CheckpointHeader.alignment - 1) / CheckpointHeader.alignment * CheckpointHeader.alignment
            let e = CheckpointSectionEntry(kind: kind, offset: offset, count: UInt64(count), checksum: checksum)
            header.sections.append(e)
            offset += e.length
        }
        func sum<T: BitwiseCopyable>(_ a: [T]) -> UInt64 { a.withUnsafeBytes { RecordFormat.xxh3($0, seed: seed) } }
        place(.fileRows, count: image.files.rows.count, checksum: sum(image.files.rows))
        place(.fileFreeRows, count: image.files.freeRows.count, checksum: sum(image.files.freeRows))
        place(.fileDenseIndex, count: image.files.index.dense.count, checksum: sum(image.files.index.dense))
        place(.fileSparseIndex, count: image.files.index.sparseSlots.count, checksum: sum(image.files.index.sparseSlots))
        place(.fileArena, count: image.files.arena.count, checksum: sum(image.files.arena))
        place(.containerRows, count: image.containers.rows.count, checksum: sum(image.containers.rows))
        place(.containerFreeRows, count: image.containers.freeRows.count, checksum: sum(image.containers.freeRows))
        place(.containerDenseIndex, count: image.containers.index.dense.count, checksum: sum(image.containers.index.dense))
        place(.containerSparseIndex, count: image.containers.index.sparseSlots.count,
              checksum: sum(image.containers.index.sparseSlots))
        place(.containerArena, count: image.containers.arena.count, checksum: sum(image.containers.arena))
        place(.directorySizes, count: image.directorySizes.count, checksum: sum(image.directorySizes))
        place(.directorySlots, count: image.directorySlots.count, checksum: sum(image.directorySlots))
        place(.state, count: state.count, checksum: sum(state))
        let sections = header.sections
        func at(_ kind: CheckpointSection) -> UInt64 { sections.first { $0.kind == kind }!.offset }
        do throws(SystemError) {
            try FileSystem.remove(temporary)
            let file = try SystemFile.open(temporary, access: .readWrite, creation: .createNew)
            try file.write(header.encoded(), at: 0)
            try file.write(array: image.files.rows, at: at(.fileRows))
            try file.write(array: image.files.freeRows, at: at(.fileFreeRows))
            try file.write(array: image.files.index.dense, at: at(.fileDenseIndex))
            try file.write(array: image.files.index.sparseSlots, at: at(.fileSparseIndex))
            try file.write(array: image.files.arena, at: at(.fileArena))
            try file.write(array: image.containers.rows, at: at(.containerRows))
            try file.write(array: image.containers.freeRows, at: at(.containerFreeRows))
            try file.write(array: image.containers.index.dense, at: at(.containerDenseIndex))
            try file.write(array: image.containers.index.sparseSlots, at: at(.containerSparseIndex))
            try file.write(array: image.containers.arena, at: at(.containerArena))
            try file.write(array: image.directorySizes, at: at(.directorySizes))
            try file.write(array: image.directorySlots, at: at(.directorySlots))
            try file.write(array: state, at: at(.state))
            // Empty sections at the end still lie inside the file.
            try file.truncate(to: offset)
            try file.syncAll()
        } catch {
            try? FileSystem.remove(temporary)
            throw CheckpointError(path: temporary, offset: error.offset, reason: "writing the checkpoint failed", cause: error)
        }
        var stamp = FileSystem.unixTime()
        while FileSystem.entryExists(directory + "/" + prefix + String(stamp)) { stamp += 1 }
        let path = directory + "/" + prefix + String(stamp)
        do throws(SystemError) {
            try FileSystem.rename(temporary, to: path)
        } catch {
            try? FileSystem.remove(temporary)
            throw CheckpointError(path: temporary, reason: "renaming the checkpoint into place failed", cause: error)
        }
        do throws(SystemError) {
            try FileSystem.syncDirectory(directory)
        } catch {
            // Not known durable: take it back rather than leave a checkpoint whose name may vanish.
            try? FileSystem.remove(path)
            throw CheckpointError(path: path, reason: "syncing the directory after the rename failed", cause: error)
        }
        for old in list(in: directory).dropFirst(max(1, keep)) { try? FileSystem.remove(old) }
        return (path, offset)
    }

    /// An open checkpoint whose header verified.
    struct Opened {
        var file: SystemFile
        var header: CheckpointHeader
        var size: UInt64
    }

    /// Opens `path` and verifies its header (not yet the sections).
    static func open(_ path: String) throws(CheckpointError) -> Opened {
        let file: SystemFile, size: UInt64, head: [UInt8]
        do throws(SystemError) {
            file = try SystemFile.open(path, access: .readOnly, creation: .openExisting)
            size = try file.size()
            head = try file.read(count: Int(min(size, UInt64(CheckpointHeader.maximumSize))), at: 0)
        } catch {
            throw CheckpointError(path: path, offset: error.offset, reason: "cannot read", cause: error)
        }
        let header = try withArrayBytes(head) { (b) throws(CheckpointError) -> CheckpointHeader in
            try CheckpointHeader.decode(b, fileSize: size, path: path)
        }
        return Opened(file: file, header: header, size: size)
    }

    /// Reads one section into an array (one `pread`, huge pages advised for large ones) and
    /// verifies its checksum.
    static func section<T: BitwiseCopyable>(_ c: Opened, _ kind: CheckpointSection, _ type: T.Type) throws(CheckpointError) -> [T] {
        let e = c.header.sections.first { $0.kind == kind }!
        let a: [T]
        do throws(SystemError) { a = try c.file.readArray(of: type, count: Int(e.count), at: e.offset, hugePages: true) } catch {
            throw CheckpointError(path: c.file.path, offset: e.offset, reason: "section \(kind.name) unreadable", cause: error)
        }
        guard a.withUnsafeBytes({ RecordFormat.xxh3($0, seed: c.header.seed) }) == e.checksum else {
            throw CheckpointError(path: c.file.path, offset: e.offset, reason: "section \(kind.name): checksum mismatch")
        }
        return a
    }

    /// The decoded `state` section.
    static func state(_ c: Opened) throws(CheckpointError) -> NamespaceImage.State {
        let bytes = try section(c, .state, UInt8.self)
        do { return try NamespaceImage.decodeState(bytes) } catch {
            let at = c.header.sections.first { $0.kind == .state }!.offset
            throw CheckpointError(path: c.file.path, offset: at, reason: "section state: \(error)")
        }
    }

    /// The file table's sections but its arena, read and verified (`loadTree` reads the arena on
    /// the other thread).
    static func fileImageWithoutArena(_ c: Opened, _ state: NamespaceImage.State) throws(CheckpointError) -> RowTableImage<FileRow> {
        RowTableImage<FileRow>(
            rows: try section(c, .fileRows, FileRow.self), freeRows: try section(c, .fileFreeRows, UInt32.self),
            index: IDIndex.Image(dense: try section(c, .fileDenseIndex, UInt32.self),
                                 sparseSlots: try section(c, .fileSparseIndex, UInt64.self),
                                 sparseCount: state.fileSparseCount, count: state.fileCount),
            arena: [], largestID: state.fileLargestID)
    }

    /// Every section but the file table's, read and verified (the image's `files` left empty).
    static func restImage(_ c: Opened, _ state: NamespaceImage.State) throws(CheckpointError) -> NamespaceImage {
        let containers = RowTableImage<ContainerRow>(
            rows: try section(c, .containerRows, ContainerRow.self), freeRows: try section(c, .containerFreeRows, UInt32.self),
            index: IDIndex.Image(dense: try section(c, .containerDenseIndex, UInt32.self),
                                 sparseSlots: try section(c, .containerSparseIndex, UInt64.self),
                                 sparseCount: state.containerSparseCount, count: state.containerCount),
            arena: try section(c, .containerArena, UInt8.self), largestID: state.containerLargestID)
        let noFiles = RowTableImage<FileRow>(rows: [], freeRows: [], index: IDIndex.Image(dense: [], sparseSlots: [], sparseCount: 0, count: 0),
                                             arena: [], largestID: 0)
        return NamespaceImage(files: noFiles, containers: containers, directorySizes: try section(c, .directorySizes, UInt32.self),
                              directorySlots: try section(c, .directorySlots, UInt64.self), timesNotInLog: state.timesNotInLog,
                              pendingParentTimes: state.pendingParentTimes)
    }

    /// Reads, verifies and checks a whole checkpoint into a tree, on two threads, in two phases.
    /// Reading is the kernel copying page-cache pages into fresh anonymous pages (faulted in 2 MiB
    /// at a time where huge pages are allowed) and XXH3 over them: a second thread reads the file
    /// rows and id index (about 60 % of the bytes) while this one reads the file arena and the rest.
    /// Then a second thread checks the file table while this one checks the containers and the
    /// directory tables. Errors are the same as one thread's (the file rows' first).
    static func loadTree(_ c: Opened) throws(CheckpointError) -> NamespaceTree {
        let state = try state(c)
        let path = c.file.path
        func inconsistent(_ error: CheckpointImageError) -> CheckpointError {
            CheckpointError(path: path, reason: "checksums verify but the \(error.part) is inconsistent")
        }
        let reader = BackgroundThread.startOrRunInline { () -> Result<(RowTableImage<FileRow>), CheckpointError> in
            do throws(CheckpointError) { return .success(try fileImageWithoutArena(c, state)) } catch {
                return .failure(error)
            }
        }
        let arena: Result<[UInt8], CheckpointError>
        do throws(CheckpointError) { arena = .success(try section(c, .fileArena, UInt8.self)) } catch { arena = .failure(error) }
        let restRead: Result<NamespaceImage, CheckpointError>
        do throws(CheckpointError) { restRead = .success(try restImage(c, state)) } catch { restRead = .failure(error) }
        var files = try reader.join().get()
        files.arena = try arena.get()
        let rest = try restRead.get()
        let handoff = Handoff((files, rest.containers.rows.count))
        let checker = BackgroundThread.startOrRunInline { () -> Result<RowTable<FileRow>, CheckpointImageError> in
            do throws(CheckpointImageError) {
                return .success(try NamespaceTree.checkedFiles(handoff.value.0, containerRows: handoff.value.1))
            } catch {
                return .failure(error)
            }
        }
        let checkedRest: Result<(RowTable<ContainerRow>, [RefTable]), CheckpointImageError>
        do throws(CheckpointImageError) {
            checkedRest = .success(try NamespaceTree.checkedRest(rest, fileRows: files.rows.count))
        } catch {
            checkedRest = .failure(error)
        }
        let checkedFiles = checker.join()
        do throws(CheckpointImageError) {
            let (containers, tables) = try checkedRest.get()
            return NamespaceTree(files: try checkedFiles.get(), containers: containers, childTables: tables, rest: rest)
        } catch {
            throw inconsistent(error)
        }
    }

    /// Hands values to the one thread that reads them before it is joined (BackgroundThread's
    /// closure must be Sendable; the values are never touched by two threads at once).
    private final class Handoff<T>: @unchecked Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }

    /// What `verify` found in one checkpoint file.
    public struct Verification: Sendable {
        public var path: String
        public var bytes: UInt64 = 0
        /// The logs it covers (nil when the header does not verify).
        public var files: CheckpointLogMark?
        public var directories: CheckpointLogMark?
        public var liveFiles = 0
        public var containers = 0
        /// Why it cannot be used (a section, the header, or a mismatch with the live logs); nil: usable.
        public var problem: String?
        /// Whether it matches the logs beside it (checked only when it verifies).
        public var matchesLogs = false

        public var description: String {
            var s = "checkpoint \(path): \(bytes) bytes"
            if let files, let directories { s += ", files \(files), directories \(directories)" }
            if let problem { return s + ": NOT USABLE: " + problem }
            return s + ": \(liveFiles) files, \(containers) containers, every section verified"
                + (matchesLogs ? ", matches the live logs" : "")
        }
    }

    /// Reads and checks the checkpoint at `path` whole (header, every section's checksum, the
    /// tables' consistency) and, when `logsIn` names its data directory, whether it matches the
    /// logs there (what boot checks before it uses one).
    public static func verify(_ path: String, logsIn directory: String?) -> Verification {
        var v = Verification(path: path)
        v.bytes = FileSystem.size(path) ?? 0
        do throws(CheckpointError) {
            let opened = try open(path)
            v.files = opened.header.files
            v.directories = opened.header.directories
            let tree = try loadTree(opened)
            v.liveFiles = tree.files.count
            v.containers = tree.containers.count
            if let directory {
                let c = NamespaceConfiguration(directory: directory)
                for (mark, log) in [(opened.header.files, c.filesLogPath), (opened.header.directories, c.directoriesLogPath)] {
                    if let why = Namespace.mismatch(of: mark, logAt: log) { throw CheckpointError(path: path, reason: why) }
                }
                v.matchesLogs = true
            }
        } catch {
            v.problem = error.description
        }
        return v
    }

    /// Whether the file at `path` starts like a checkpoint (its magic), for `beryl log verify`.
    public static func looksLikeCheckpoint(_ path: String) -> Bool {
        guard let f = try? SystemFile.open(path, access: .readOnly, creation: .openExisting),
              let head = try? f.read(count: 8, at: 0), head.count == 8 else { return false }
        return head.withUnsafeBytes { ByteCursor($0).u64(0) } == CheckpointHeader.magic
    }
}
