import Changelog
import Platform

/// Namespace checkpoints (docs/CHECKPOINT.md): written after each compaction run at the logs'
/// positions of that moment, loaded at boot when they match the live logs, so that boot replays
/// only the records after them.
extension Namespace {
    /// Writes a checkpoint of the namespace as it stands now (both logs' ends under the lock), keeping
    /// the newest `keep`. Called at the end of a compaction run; a failure is logged and thrown, and
    /// leaves the previous checkpoints as they were.
    @discardableResult
    public func writeCheckpoint(keep: Int = 2) throws(CheckpointError) -> String {
        let started = MonotonicClock.seconds()
        let directory = configuration.directory
        // Read lock: no mutation runs, so both ends are one state of the namespace. Only the ends are
        // noted: the tree written is rebuilt from the logs up to them on this thread, so no mutation
        // waits for the checkpoint, and what it holds is what a full replay of those records gives.
        let taken = lock.withReadLock { () -> Taken? in
            guard let f = filesLog, let d = directoriesLog else { return nil }
            return Taken(files: f, directories: d, filesEnd: f.end, filesSequence: f.lastSequence,
                         directoriesEnd: d.end, directoriesSequence: d.lastSequence, pending: pendingEntries.count)
        }
        guard let taken else { throw CheckpointError(path: directory, reason: "the namespace is not booted") }
        guard taken.pending == 0 else {
            throw CheckpointError(path: directory, reason: "\(taken.pending) entries are waiting for their parent or name")
        }
        let marks: (files: CheckpointLogMark, directories: CheckpointLogMark)
        do {
            marks = (try Self.mark(of: taken.files, end: taken.filesEnd, lastSequence: taken.filesSequence),
                     try Self.mark(of: taken.directories, end: taken.directoriesEnd, lastSequence: taken.directoriesSequence))
        } catch {
            throw CheckpointError(path: directory, reason: "cannot sync or read the logs before the checkpoint: \(error)")
        }
        let tree = try replayed(taken)
        let written = try CheckpointFile.write(tree.checkpointImage, files: marks.files, directories: marks.directories,
                                               in: directory, keep: keep)
        masterLog.log(.info, "checkpoint written: \(written.path) (\(tree.files.count) files, "
                      + "\(tree.containers.count) containers, \(written.bytes) bytes) at files \(marks.files), "
                      + "directories \(marks.directories), "
                      + "in \(NamespaceStatistics.seconds(MonotonicClock.seconds() - started)) s")
        return written.path
    }

    /// The tree a full boot builds from the logs' records up to the noted ends: both loads, the
    /// parent effects, the attach. Refused when the attach would repair (a master's boot writes
    /// those repairs to the logs first) or leave entries unattached.
    private func replayed(_ taken: Taken) throws(CheckpointError) -> NamespaceTree {
        let config = configuration
        let replica = config.role == .slaveReadOnly
        let containerLoader = LogLoader<ContainerRow>(path: taken.directories.path, configuration: config.changelogConfiguration(.directories),
                                                      bytesPerRecordGuess: 96)
        let fileLoader = LogLoader<FileRow>(path: taken.files.path, configuration: config.changelogConfiguration(.files),
                                            bytesPerRecordGuess: 96)
        var files = fileLoader.load(from: taken.files, upTo: taken.filesEnd)
        var containers = containerLoader.load(from: taken.directories, upTo: taken.directoriesEnd)
        if let error = containers.error ?? files.error {
            throw CheckpointError(path: config.directory, reason: "replaying the logs up to the checkpoint's position failed: \(error)")
        }
        var tree = NamespaceTree()
        tree.files = files.table
        tree.containers = containers.table
        files.table = RowTable()
        containers.table = RowTable()
        tree.applyParentEffects(files.effects, pendingUntilArrival: replica)
        tree.applyParentEffects(containers.effects, pendingUntilArrival: replica)
        let attach = tree.attachAll(now: Timestamp.now(), relocating: !replica)
        guard attach.repairs.isEmpty, attach.unattached.isEmpty, attach.touchedContainers.isEmpty, attach.touchedFiles.isEmpty else {
            throw CheckpointError(path: config.directory, reason: "the logs need \(attach.repairs.count) repairs and leave "
                                  + "\(attach.unattached.count) entries unattached; a read-write boot writes the repairs first")
        }
        return tree
    }

    private struct Taken {
        var files: Changelog
        var directories: Changelog
        var filesEnd: LogOffset
        var filesSequence: SequenceNumber
        var directoriesEnd: LogOffset
        var directoriesSequence: SequenceNumber
        var pending: Int
    }

    /// The mark of `log` at its end when the snapshot was taken: the bytes up to there are synced
    /// first, so the checkpoint never covers a record that a crash could take back.
    static func mark(of log: Changelog, end: LogOffset, lastSequence: SequenceNumber) throws -> CheckpointLogMark {
        try log.sync()
        return CheckpointLogMark(identity: log.identity, end: end, lastSequence: lastSequence,
                                 fingerprint: try log.tailFingerprint(at: end))
    }

    /// Why the live log at `path` is not the one `mark` covers, or nil when it is: its identity,
    /// its length and the fingerprint of its bytes before the mark's end.
    static func mismatch(of mark: CheckpointLogMark, logAt path: String) -> String? {
        guard let file = try? SystemFile.open(path, access: .readOnly, creation: .openExisting),
              let size = try? file.size(), let head = try? file.read(count: RecordFormat.fileHeaderSize, at: 0),
              let header = try? withArrayBytes(head, { (b) throws(ChangelogError) in try FileHeader.decode(b, path: path) }) else {
            return "\(path) is missing or unreadable"
        }
        guard header.identity == mark.identity else {
            return "\(path) is log \(header.identity), the checkpoint covers log \(mark.identity)"
        }
        guard size >= mark.end.rawValue else { return "\(path) ends at \(size), before the checkpoint's position \(mark.end)" }
        let from = Changelog.fingerprintStart(mark.end)
        let fingerprint: UInt64
        if mark.end > from {
            guard let tail = try? file.read(count: Int(mark.end.rawValue - from.rawValue), at: from.rawValue) else {
                return "\(path) is unreadable before \(mark.end)"
            }
            fingerprint = tail.withUnsafeBytes { RecordFormat.xxh3($0) }
        } else {
            fingerprint = 0
        }
        guard fingerprint == mark.fingerprint else { return "\(path) holds other bytes before \(mark.end) than the checkpoint covered" }
        return nil
    }
}
