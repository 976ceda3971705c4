/// What `unlink` did.
public enum UnlinkOutcome: Sendable, Equatable {
    /// The file still has locations: it left its directory and waits (container 0) until
    /// `dropLocation` removes the last one.
    case detached
    /// The file had no locations and was deleted.
    case deleted
}

extension Namespace {
    /// Deletes the file at `path` (one delete record). EISDIR for a directory.
    public func removeFile(_ path: String) throws(NamespaceError) {
        let parts = try NameRules.components(of: path)
        try mutate { () throws(NamespaceError) in
            try checkWritable()
            let ref = try tree.resolve(parts, path: path)
            guard !ref.isContainer else { throw .isADirectory(path) }
            try deleteFile(ref.row)
        }
    }

    /// Deletes file `id`, attached or detached.
    public func removeFile(_ id: FileID) throws(NamespaceError) {
        try mutate { () throws(NamespaceError) in
            try checkWritable()
            try deleteFile(try fileRow(id))
        }
    }

    /// Takes the file at `path` out of its directory. With locations left it is kept detached
    /// (container 0, one update record); without, it is deleted (one delete record).
    @discardableResult
    public func unlink(_ path: String) throws(NamespaceError) -> UnlinkOutcome {
        let parts = try NameRules.components(of: path)
        return try mutate { () throws(NamespaceError) -> UnlinkOutcome in
            try checkWritable()
            let ref = try tree.resolve(parts, path: path)
            guard !ref.isContainer else { throw .isADirectory(path) }
            let hasLocations = try tree.files.withExtras(ref.row, throwing: { (e) throws(NamespaceError) -> Bool in
                do throws(CodecError) {
                    let x = try FileExtras(parsing: e)
                    return !(x.locations.isEmpty && x.unlinked.isEmpty)
                } catch {
                    throw .invalidArgument("\(error)")
                }
            })
            guard hasLocations else {
                try deleteFile(ref.row)
                return .deleted
            }
            var row = tree.files.rows[ref.row]
            let parent = row.container
            row.container = ContainerID.detached.rawValue
            row.ctime = Timestamp.now()
            try appendFile(row, extrasOf: ref.row, unlinkedFrom: parent)
            tree.unlink(ref)
            row.previous = NodeRef.none.raw
            row.next = NodeRef.none.raw
            tree.files.replace(ref.row, with: row, extras: nil)
            tree.touch(parent, at: row.ctime)
            return .detached
        }
    }

    /// Removes the empty directory at `path` (ENOTEMPTY otherwise, ENOTDIR for a file, EINVAL
    /// for the root).
    public func removeContainer(_ path: String) throws(NamespaceError) {
        let parts = try NameRules.components(of: path)
        try mutate { () throws(NamespaceError) in
            try checkWritable()
            let ref = try tree.resolve(parts, path: path)
            guard ref.isContainer else { throw .notADirectory(path) }
            let row = tree.containers.rows[ref.row]
            guard row.id != ContainerID.root.rawValue else { throw .invalidArgument("cannot remove the root") }
            guard row.childCount == 0 else { throw .notEmpty(path) }
            let now = Timestamp.now()
            try appendDelete(row.id, to: try directoriesLogForWriting(), parent: row.parent, time: now)
            tree.unlink(ref)
            tree.removeContainer(ref.row)
            tree.timesNotInLog.remove(row.id)
            tree.touch(row.parent, at: now)
        }
    }

    // MARK: Lock held

    func fileRow(_ id: FileID) throws(NamespaceError) -> Int {
        guard let at = tree.files.row(of: id.rawValue) else { throw .notFound("file \(id)") }
        return at
    }

    func containerRow(_ id: ContainerID) throws(NamespaceError) -> Int {
        guard let at = tree.containers.row(of: id.rawValue) else { throw .notFound("container \(id)") }
        return at
    }

    /// One delete record; an attached file's parent gets the delete's time (ParentTimes.swift).
    func deleteFile(_ at: Int) throws(NamespaceError) {
        let parent = tree.files.rows[at].container
        let now = Timestamp.now()
        try appendDelete(tree.files.rows[at].id, to: try filesLogForWriting(), parent: parent, time: now)
        if parent != ContainerID.detached.rawValue { tree.unlink(.file(at)) }
        tree.files.remove(at)
        if parent != ContainerID.detached.rawValue { tree.touch(parent, at: now) }
    }
}
