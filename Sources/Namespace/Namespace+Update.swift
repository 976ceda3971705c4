import Platform

extension Namespace {
    // MARK: Fixed fields of a file (no re-encoding of the variable section: the fast paths)

    public func setSize(_ id: FileID, _ size: UInt64, mtime: Timestamp? = nil) throws(NamespaceError) {
        try updateFileRow(id) { row in
            row.size = size
            if let mtime { row.mtime = mtime }
        }
    }

    public func setMode(_ id: FileID, _ mode: UInt32) throws(NamespaceError) {
        try updateFileRow(id) { $0.mode = mode }
    }

    public func setOwner(_ id: FileID, uid: UInt32, gid: UInt32) throws(NamespaceError) {
        try updateFileRow(id) { row in
            row.uid = uid
            row.gid = gid
        }
    }

    public func setTimes(_ id: FileID, ctime: Timestamp? = nil, mtime: Timestamp? = nil) throws(NamespaceError) {
        try updateFileRow(id) { row in
            if let ctime { row.ctime = ctime }
            if let mtime { row.mtime = mtime }
        }
    }

    public func setFlags(_ id: FileID, _ flags: UInt32) throws(NamespaceError) {
        try updateFileRow(id) { $0.flags = flags }
    }

    public func setLayout(_ id: FileID, _ layoutID: UInt32) throws(NamespaceError) {
        try updateFileRow(id) { $0.layoutID = layoutID }
    }

    // MARK: Variable fields of a file

    public func setChecksum(_ id: FileID, _ checksum: [UInt8]) throws(NamespaceError) {
        try updateFileExtras(id) { $0.checksum = checksum }
    }

    public func setXattr(_ id: FileID, key: String, value: String) throws(NamespaceError) {
        try updateFileExtras(id) { $0.xattrs[key] = value }
    }

    public func removeXattr(_ id: FileID, key: String) throws(NamespaceError) {
        try updateFileExtras(id) { $0.xattrs[key] = nil }
    }

    /// Adds a replica location (no-op if present; taken off the unlinked list).
    public func addLocation(_ location: UInt32, to id: FileID) throws(NamespaceError) {
        try updateFileExtras(id) { x in
            x.unlinked.removeAll { $0 == location }
            if !x.locations.contains(location) { x.locations.append(location) }
        }
    }

    /// Moves a location to the unlinked list (its replica awaits deletion). ENOENT if absent.
    public func unlinkLocation(_ location: UInt32, of id: FileID) throws(NamespaceError) {
        try updateFileExtras(id) { (x) throws(NamespaceError) in
            guard let i = x.locations.firstIndex(of: location) else { throw .notFound("location \(location) of file \(id)") }
            x.locations.remove(at: i)
            if !x.unlinked.contains(location) { x.unlinked.append(location) }
        }
    }

    /// Forgets a location (from either list). A detached file left with no location is
    /// deleted; returns whether that happened.
    @discardableResult
    public func dropLocation(_ location: UInt32, of id: FileID) throws(NamespaceError) -> Bool {
        try mutate { () throws(NamespaceError) -> Bool in
            try checkWritable()
            let at = try fileRow(id)
            var x = try extras(at)
            guard x.locations.contains(location) || x.unlinked.contains(location) else {
                throw .notFound("location \(location) of file \(id)")
            }
            x.locations.removeAll { $0 == location }
            x.unlinked.removeAll { $0 == location }
            if x.locations.isEmpty && x.unlinked.isEmpty && tree.files.rows[at].container == ContainerID.detached.rawValue {
                try deleteFile(at)
                return true
            }
            try storeExtras(x, at: at)
            return false
        }
    }

    /// Applies `change` to file `id` and stores the result. The id, container and name cannot
    /// change here (EINVAL): use `rename` or `unlink`.
    public func updateFile(_ id: FileID, _ change: (inout FileMetadata) -> Void) throws(NamespaceError) {
        try mutate { () throws(NamespaceError) in
            try checkWritable()
            let at = try fileRow(id)
            let before = fileMetadata(at)
            var m = before
            change(&m)
            guard m.id == before.id, m.container == before.container, m.name == before.name else {
                throw .invalidArgument("updateFile cannot change id, container or name")
            }
            if let t = m.symlinkTarget, t.utf8.isEmpty || t.utf8.count > NameRules.maximumPathLength {
                throw .invalidArgument("bad symlink target")
            }
            var row = tree.files.rows[at]
            row.size = m.size
            row.ctime = m.ctime
            row.mtime = m.mtime
            row.flags = m.flags
            row.uid = m.uid
            row.gid = m.gid
            row.mode = m.mode
            row.layoutID = m.layoutID
            var x = FileExtras(m)
            x.name = tree.files.name(at)
            let bytes = try encoded(x)
            try withArrayBytes(bytes) { (p) throws(NamespaceError) in try appendFile(row, extras: p) }
            bytes.withUnsafeBytes { tree.files.replace(at, with: row, extras: $0) }
        }
    }

    /// Applies `change` to container `id`. The id, parent and name cannot change here (EINVAL):
    /// use `rename`.
    public func updateContainer(_ id: ContainerID, _ change: (inout ContainerMetadata) -> Void) throws(NamespaceError) {
        try mutate { () throws(NamespaceError) in
            try checkWritable()
            let at = try containerRow(id)
            let before = containerMetadata(at)
            var m = before
            change(&m)
            guard m.id == before.id, m.parent == before.parent, m.name == before.name else {
                throw .invalidArgument("updateContainer cannot change id, parent or name")
            }
            var row = tree.containers.rows[at]
            // Never lower: the latest ctime wins between a container's record and its children's
            // (ParentTimes.swift), so a lowered one would read back differently after a restart.
            row.ctime = max(m.ctime, before.ctime)
            row.mtime = m.mtime
            row.uid = m.uid
            row.gid = m.gid
            row.mode = m.mode
            row.flags = m.flags
            let bytes: [UInt8]
            do {
                bytes = try ContainerCodec.encodeExtras(name: tree.containers.name(at), xattrs: m.xattrs)
            } catch {
                throw .invalidArgument("\(error)")
            }
            try withArrayBytes(bytes) { (p) throws(NamespaceError) in try appendContainer(row, extras: p) }
            bytes.withUnsafeBytes { tree.containers.replace(at, with: row, extras: $0) }
        }
    }

    // MARK: Lock held

    private func updateFileRow(_ id: FileID, _ change: (inout FileRow) -> Void) throws(NamespaceError) {
        try mutate { () throws(NamespaceError) in
            try checkWritable()
            let at = try fileRow(id)
            var row = tree.files.rows[at]
            change(&row)
            try appendFile(row, extrasOf: at)
            tree.files.rows[at] = row
        }
    }

    private func updateFileExtras(_ id: FileID, _ change: (inout FileExtras) throws(NamespaceError) -> Void) throws(NamespaceError) {
        try mutate { () throws(NamespaceError) in
            try checkWritable()
            let at = try fileRow(id)
            var x = try extras(at)
            try change(&x)
            try storeExtras(x, at: at)
        }
    }

    private func extras(_ at: Int) throws(NamespaceError) -> FileExtras {
        try tree.files.withExtras(at, throwing: { (e) throws(NamespaceError) -> FileExtras in
            do { return try FileExtras(parsing: e) } catch { throw .invalidArgument("\(error)") }
        })
    }

    private func storeExtras(_ x: FileExtras, at: Int) throws(NamespaceError) {
        let bytes = try encoded(x)
        let row = tree.files.rows[at]
        try withArrayBytes(bytes) { (p) throws(NamespaceError) in try appendFile(row, extras: p) }
        bytes.withUnsafeBytes { tree.files.replace(at, with: row, extras: $0) }
    }
}
