import Changelog
import Platform

/// Appending records. Called with the write lock held (inside `mutate`): each helper writes its
/// record to the log and notes the acknowledgement to await; the caller changes memory right
/// after, and `mutate` waits for the acknowledgements only after releasing the write lock, so
/// concurrent mutations share one fdatasync under durability `batch` (group commit).
extension Namespace {
    /// Runs `body` under the write lock, then, with the lock released, waits until every record
    /// `body` appended is acknowledged under the logs' durability. A mutation is therefore visible
    /// to readers as soon as it is applied, and returns (is acknowledged) only once durable.
    func mutate<R>(_ body: () throws(NamespaceError) -> R) throws(NamespaceError) -> R {
        let (result, acknowledgements) = lock.withWriteLock { () -> (Result<R, NamespaceError>, PendingAcknowledgements) in
            let r = Result { () throws(NamespaceError) -> R in try body() }
            let pending = self.pending
            self.pending = PendingAcknowledgements()
            return (r, pending)
        }
        // Wait even when `body` failed part-way: earlier records of it are in the log.
        defer { changes.bump() }
        try acknowledgements.wait()
        return try result.get()
    }

    func filesLogForWriting() throws(NamespaceError) -> Changelog {
        guard let log = filesLog else { throw .notBooted(state) }
        return log
    }

    func directoriesLogForWriting() throws(NamespaceError) -> Changelog {
        guard let log = directoriesLog else { throw .notBooted(state) }
        return log
    }

    /// Appends the update record of `row` with the variable section `extras`. With `linked` or a
    /// non-zero `unlinkedFrom` the record is version 2 and carries that parent effect at the row's
    /// ctime (ParentTimes.swift); the caller applies the effect to memory.
    func appendFile(_ row: FileRow, extras: UnsafeRawBufferPointer, linked: Bool = false,
                    unlinkedFrom: UInt64 = 0) throws(NamespaceError) {
        let log = try filesLogForWriting()
        scratch.removeAll(keepingCapacity: true)
        FileCodec.encode(row, extras: extras, into: &scratch)
        if linked || unlinkedFrom != 0 { ParentTimes.markUpdate(&scratch, linked: linked, unlinkedFrom: unlinkedFrom) }
        try append(.update, to: log)
    }

    /// Appends the update record of `row` with the variable section currently stored for row `at`.
    func appendFile(_ row: FileRow, extrasOf at: Int, linked: Bool = false, unlinkedFrom: UInt64 = 0) throws(NamespaceError) {
        let log = try filesLogForWriting()
        scratch.removeAll(keepingCapacity: true)
        tree.files.withExtras(at) { FileCodec.encode(row, extras: $0, into: &scratch) }
        if linked || unlinkedFrom != 0 { ParentTimes.markUpdate(&scratch, linked: linked, unlinkedFrom: unlinkedFrom) }
        try append(.update, to: log)
    }

    /// A container record carries the container's times: once written, effects on them are in the log.
    func appendContainer(_ row: ContainerRow, extras: UnsafeRawBufferPointer, linked: Bool = false,
                         unlinkedFrom: UInt64 = 0) throws(NamespaceError) {
        let log = try directoriesLogForWriting()
        scratch.removeAll(keepingCapacity: true)
        ContainerCodec.encode(row, extras: extras, into: &scratch)
        if linked || unlinkedFrom != 0 { ParentTimes.markUpdate(&scratch, linked: linked, unlinkedFrom: unlinkedFrom) }
        try append(.update, to: log)
        tree.timesNotInLog.remove(row.id)
    }

    func appendContainer(_ row: ContainerRow, extrasOf at: Int, linked: Bool = false,
                         unlinkedFrom: UInt64 = 0) throws(NamespaceError) {
        let log = try directoriesLogForWriting()
        scratch.removeAll(keepingCapacity: true)
        tree.containers.withExtras(at) { ContainerCodec.encode(row, extras: $0, into: &scratch) }
        if linked || unlinkedFrom != 0 { ParentTimes.markUpdate(&scratch, linked: linked, unlinkedFrom: unlinkedFrom) }
        try append(.update, to: log)
        tree.timesNotInLog.remove(row.id)
    }

    /// Appends a delete: version 2 (parent and time, ParentTimes.swift) when `parent` is not 0.
    func appendDelete(_ id: UInt64, to log: Changelog, parent: UInt64 = 0, time: Timestamp = Timestamp(seconds: 0)) throws(NamespaceError) {
        scratch.removeAll(keepingCapacity: true)
        ParentTimes.appendDelete(id: id, parent: parent, time: time, to: &scratch)
        try append(.delete, to: log)
    }

    private func append(_ type: RecordType, to log: Changelog) throws(NamespaceError) {
        do {
            let ack = try withArrayBytes(scratch) { (p) throws(ChangelogError) -> PendingAcknowledgement in
                try log.appendDeferringAcknowledgement(type, payload: p).1
            }
            if configuration.durability != .none { pending.note(ack, of: log) }
        } catch {
            throw .log(error)
        }
    }
}

/// The acknowledgements one mutation must await: the last record it wrote to each log (a log
/// acknowledges in order, so the last covers the earlier ones). At most two logs per mutation.
struct PendingAcknowledgements {
    private var first: (Changelog, PendingAcknowledgement)?
    private var second: (Changelog, PendingAcknowledgement)?

    mutating func note(_ ack: PendingAcknowledgement, of log: Changelog) {
        if first == nil || first!.0 === log {
            first = (log, ack)
        } else {
            second = (log, ack)
        }
    }

    func wait() throws(NamespaceError) {
        do {
            if let (log, ack) = first { try log.waitUntilAcknowledged(ack) }
            if let (log, ack) = second { try log.waitUntilAcknowledged(ack) }
        } catch {
            throw .log(error)
        }
    }
}
