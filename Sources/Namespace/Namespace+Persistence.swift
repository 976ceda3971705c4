import Changelog

/// Appending records. Called with the write lock held; each helper returns only after the
/// record is acknowledged, and the caller changes memory only after it returns.
extension Namespace {
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
            try withArrayBytes(scratch) { (p) throws(ChangelogError) in _ = try log.append(type, payload: p) }
        } catch {
            throw .log(error)
        }
    }
}
