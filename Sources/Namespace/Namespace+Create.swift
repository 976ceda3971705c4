import Platform

/// Ownership, permissions and times for a new entry.
public struct CreationAttributes: Sendable {
    public var uid: UInt32
    public var gid: UInt32
    /// nil: 0o100644 for a file, 0o40755 for a container, 0o120777 for a symbolic link.
    public var mode: UInt32?
    /// ctime and mtime; nil: now.
    public var time: Timestamp?
    public var layoutID: UInt32
    public var flags: UInt32
    public var xattrs: [String: String]

    public init(uid: UInt32 = 0, gid: UInt32 = 0, mode: UInt32? = nil, time: Timestamp? = nil, layoutID: UInt32 = 0,
                flags: UInt32 = 0, xattrs: [String: String] = [:]) {
        self.uid = uid
        self.gid = gid
        self.mode = mode
        self.time = time
        self.layoutID = layoutID
        self.flags = flags
        self.xattrs = xattrs
    }
}

/// What `createContainer` does when a parent directory is missing.
public enum MissingParents: Sendable {
    /// Fail with ENOENT; an existing target fails with EEXIST (mkdir).
    case fail
    /// Create them; an existing target directory is success (mkdir -p).
    case create
}

extension Namespace {
    /// Creates an empty file at `path`; the parent must exist.
    @discardableResult
    public func createFile(_ path: String, attributes: CreationAttributes = CreationAttributes()) throws(NamespaceError) -> FileID {
        let (parent, name) = try NameRules.split(path)
        try NameRules.checkNewName(name, path: path)
        return try mutate { () throws(NamespaceError) -> FileID in
            try checkWritable()
            let row = try tree.resolveContainer(parent, path: path)
            return try insertFile(name: name, parentRow: row, attributes: attributes, symlink: nil, path: path)
        }
    }

    /// Creates an empty file called `name` in container `parent` (no path parsing: the entry
    /// point for tight loops).
    @discardableResult
    public func createFile(named name: String, in parent: ContainerID,
                           attributes: CreationAttributes = CreationAttributes()) throws(NamespaceError) -> FileID {
        let bytes = try NameRules.validated(name: name)
        return try mutate { () throws(NamespaceError) -> FileID in
            try checkWritable()
            guard let row = tree.containers.row(of: parent.rawValue) else { throw .notFound("container \(parent)") }
            return try insertFile(name: bytes, parentRow: row, attributes: attributes, symlink: nil, path: name)
        }
    }

    /// Creates a symbolic link at `path` pointing to `target` (1 to 4096 bytes, stored as given).
    @discardableResult
    public func createSymlink(_ path: String, target: String,
                              attributes: CreationAttributes = CreationAttributes()) throws(NamespaceError) -> FileID {
        let (parent, name) = try NameRules.split(path)
        try NameRules.checkNewName(name, path: path)
        let targetBytes = Array(target.utf8)
        guard !targetBytes.isEmpty, !targetBytes.contains(0) else { throw .invalidArgument("bad symlink target") }
        guard targetBytes.count <= NameRules.maximumPathLength else { throw .nameTooLong(target) }
        return try mutate { () throws(NamespaceError) -> FileID in
            try checkWritable()
            let row = try tree.resolveContainer(parent, path: path)
            return try insertFile(name: name, parentRow: row, attributes: attributes, symlink: targetBytes, path: path)
        }
    }

    /// Creates a directory at `path`; see `MissingParents` for mkdir versus mkdir -p.
    @discardableResult
    public func createContainer(_ path: String, attributes: CreationAttributes = CreationAttributes(),
                                missingParents: MissingParents = .fail) throws(NamespaceError) -> ContainerID {
        let parts = try NameRules.components(of: path)
        // Every component is checked before anything is created (mkdir -p makes no parents for a
        // path it then refuses).
        for part in parts { try NameRules.checkNewName(part, path: path) }
        return try mutate { () throws(NamespaceError) -> ContainerID in
            try checkWritable()
            guard var current = tree.containers.row(of: ContainerID.root.rawValue) else { throw .notFound(path) }
            if parts.isEmpty {
                if missingParents == .create { return .root }
                throw .exists(path)
            }
            for (i, part) in parts.enumerated() {
                let last = i == parts.count - 1
                let parentID = tree.containers.rows[current].id
                if let ref = tree.child(of: parentID, named: part) {
                    guard ref.isContainer else { throw last ? .exists(path) : .notADirectory(path) }
                    if last && missingParents == .fail { throw .exists(path) }
                    current = ref.row
                    continue
                }
                if !last && missingParents == .fail { throw .notFound(path) }
                current = try insertContainer(name: part, parentRow: current, attributes: attributes)
            }
            return ContainerID(tree.containers.rows[current].id)
        }
    }

    // MARK: Lock held

    func insertFile(name: [UInt8], parentRow: Int, attributes a: CreationAttributes, symlink: [UInt8]?,
                    path: String) throws(NamespaceError) -> FileID {
        let parentID = tree.containers.rows[parentRow].id
        if tree.child(of: parentID, named: name) != nil { throw .exists(path) }
        let id = tree.files.largestID + 1
        let extras = FileExtras(name: name, checksum: [], locations: [], unlinked: [], xattrs: a.xattrs, symlink: symlink)
        let bytes = try encoded(extras)
        let t = a.time ?? Timestamp.now()
        let row = FileRow(id: id, container: parentID, size: 0, ctimeSeconds: t.seconds, mtimeSeconds: t.seconds,
                          ctimeNanoseconds: t.nanoseconds, mtimeNanoseconds: t.nanoseconds, uid: a.uid, gid: a.gid,
                          mode: a.mode ?? (symlink == nil ? 0o100644 : 0o120777), layoutID: a.layoutID, flags: a.flags,
                          extrasLength: 0, extrasOffset: 0)
        try withArrayBytes(bytes) { (p) throws(NamespaceError) in try appendFile(row, extras: p, linked: true) }
        let at = bytes.withUnsafeBytes { tree.files.insert(row, extras: $0) }
        tree.link(.file(at))
        tree.touch(parentID, at: t)
        return FileID(id)
    }

    func insertContainer(name: [UInt8], parentRow: Int, attributes a: CreationAttributes) throws(NamespaceError) -> Int {
        let parentID = tree.containers.rows[parentRow].id
        let id = tree.containers.largestID + 1
        let bytes: [UInt8]
        do { bytes = try ContainerCodec.encodeExtras(name: name, xattrs: a.xattrs) } catch { throw .invalidArgument("\(error)") }
        let t = a.time ?? Timestamp.now()
        let row = ContainerRow(id: id, parent: parentID, ctimeSeconds: t.seconds, mtimeSeconds: t.seconds,
                               ctimeNanoseconds: t.nanoseconds, mtimeNanoseconds: t.nanoseconds, uid: a.uid, gid: a.gid,
                               mode: a.mode ?? 0o40755, flags: a.flags, extrasLength: 0, extrasOffset: 0)
        try withArrayBytes(bytes) { (p) throws(NamespaceError) in try appendContainer(row, extras: p, linked: true) }
        let at = bytes.withUnsafeBytes { tree.insertContainer(row, extras: $0) }
        tree.link(.container(at))
        tree.touch(parentID, at: t)
        return at
    }

    func encoded(_ extras: FileExtras) throws(NamespaceError) -> [UInt8] {
        do { return try extras.encoded() } catch { throw .invalidArgument("\(error)") }
    }
}
