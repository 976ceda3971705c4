// Read paths for network front ends (the MGM server): one read-lock acquisition per request and no
// per-entry allocation, for listings that go straight onto the wire.

extension Namespace {
    /// Calls `body` with each entry of the directory at `path` (its name bytes, valid only during the
    /// call, and whether it is a directory), in the directory's link order (unsorted, like `readdir`),
    /// under one read lock. `body` must not call back into the namespace.
    public func forEachEntryName(in path: String,
                                 _ body: (_ name: UnsafeRawBufferPointer, _ isDirectory: Bool) -> Void)
        throws(NamespaceError)
    {
        let parts = try NameRules.components(of: path)
        try lock.withReadLock { () throws(NamespaceError) in
            try checkReadable()
            // One copy of the tree value for the walk (read lock held: it cannot change), instead of
            // the implicit copy (retains of every table) each method call on the stored property made.
            let tree = self.tree
            let row = try tree.resolveContainer(parts, path: path)
            var ref = NodeRef(raw: tree.containers.rows[row].firstChild)
            while !ref.isNone {
                let isDirectory = ref.isContainer
                tree.withName(ref) { body($0, isDirectory) }
                ref = tree.links(ref).next
            }
        }
    }
}

/// What a stat answer needs of an entry, all from its fixed row: no variable section (name, checksum,
/// locations, attributes) is decoded.
public struct EntryAttributes: Sendable, Equatable {
    public var isDirectory: Bool
    /// The file or container id (see `isDirectory`).
    public var id: UInt64
    /// A file's size; 0 for a directory.
    public var size: UInt64
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var ctime: Timestamp
    public var mtime: Timestamp
}

extension Namespace {
    /// `stat(path)` reduced to the fixed fields, with the same errors: the path is checked and walked
    /// in place (no component arrays), under one read lock, and nothing is decoded.
    public func attributes(at path: String) throws(NamespaceError) -> EntryAttributes {
        var utf8 = path
        return try utf8.withUTF8 { bytes in
            Result { () throws(NamespaceError) -> EntryAttributes in
                let raw = UnsafeRawBufferPointer(bytes)
                try NameRules.validate(raw, path: path)
                return try lock.withReadLock { () throws(NamespaceError) -> EntryAttributes in
                    try checkReadable()
                    // One copy of the tree value (read lock held: it cannot change), not one per call.
                    let tree = self.tree
                    let ref = try tree.resolve(raw, path: path)
                    if ref.isContainer {
                        let r = tree.containers.rows[ref.row]
                        return EntryAttributes(isDirectory: true, id: r.id, size: 0, mode: r.mode, uid: r.uid,
                                               gid: r.gid, ctime: r.ctime, mtime: r.mtime)
                    }
                    let r = tree.files.rows[ref.row]
                    return EntryAttributes(isDirectory: false, id: r.id, size: r.size, mode: r.mode, uid: r.uid,
                                           gid: r.gid, ctime: r.ctime, mtime: r.mtime)
                }
            }
        }.get()
    }
}

extension NameRules {
    /// The checks of `components(of:)`, in its order and with its errors, without building the components.
    static func validate(_ bytes: UnsafeRawBufferPointer, path: String) throws(NamespaceError) {
        if bytes.count > maximumPathLength { throw .nameTooLong(path) }
        guard bytes.first == 0x2F else { throw .invalidArgument("path \"\(path)\" is not absolute") }
        var start = 0
        for i in 0...bytes.count {
            if i < bytes.count && bytes[i] == 0 { throw .invalidArgument("NUL in path") }
            if i == bytes.count || bytes[i] == 0x2F {
                if i > start {
                    if i - start > maximumNameLength { throw .nameTooLong(path) }
                    guard isValid(UnsafeRawBufferPointer(rebasing: bytes[start..<i])) else {
                        throw .invalidArgument("bad component in \"\(path)\"")
                    }
                }
                start = i + 1
            }
        }
    }
}

extension NamespaceTree {
    /// `resolve(_:path:)` over the bytes of a path already validated by `NameRules.validate`.
    func resolve(_ bytes: UnsafeRawBufferPointer, path: String) throws(NamespaceError) -> NodeRef {
        guard let rootRow = containers.row(of: ContainerID.root.rawValue) else { throw .notFound(path) }
        var current = NodeRef.container(rootRow)
        var start = 0
        for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x2F {
            if i > start {
                guard current.isContainer else { throw .notADirectory(path) }
                guard let next = child(of: containers.rows[current.row].id,
                                       named: UnsafeRawBufferPointer(rebasing: bytes[start..<i])) else {
                    throw .notFound(path)
                }
                current = next
            }
            start = i + 1
        }
        return current
    }
}
