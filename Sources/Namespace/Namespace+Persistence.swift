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

    /// Appends the update record of `row` with the variable section `extras`.
    func appendFile(_ row: FileRow, extras: UnsafeRawBufferPointer) throws(NamespaceError) {
        let log = try filesLogForWriting()
        scratch.removeAll(keepingCapacity: true)
        FileCodec.encode(row, extras: extras, into: &scratch)
        try append(.update, to: log)
    }

    /// Appends the update record of `row` with the variable section currently stored for row `at`.
    func appendFile(_ row: FileRow, extrasOf at: Int) throws(NamespaceError) {
        let log = try filesLogForWriting()
        scratch.removeAll(keepingCapacity: true)
        tree.files.withExtras(at) { FileCodec.encode(row, extras: $0, into: &scratch) }
        try append(.update, to: log)
    }

    func appendContainer(_ row: ContainerRow, extras: UnsafeRawBufferPointer) throws(NamespaceError) {
        let log = try directoriesLogForWriting()
        scratch.removeAll(keepingCapacity: true)
        ContainerCodec.encode(row, extras: extras, into: &scratch)
        try append(.update, to: log)
    }

    func appendContainer(_ row: ContainerRow, extrasOf at: Int) throws(NamespaceError) {
        let log = try directoriesLogForWriting()
        scratch.removeAll(keepingCapacity: true)
        tree.containers.withExtras(at) { ContainerCodec.encode(row, extras: $0, into: &scratch) }
        try append(.update, to: log)
    }

    func appendDelete(_ id: UInt64, to log: Changelog) throws(NamespaceError) {
        scratch.removeAll(keepingCapacity: true)
        scratch.appendLE(id)
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
