import Platform

// What a permission check needs of a path, read in one walk under one read lock: the owner, group,
// mode and ACL attributes of every directory from the root down, and of the entry itself. Nothing is
// decoded but the three ACL attributes, and only for directories that carry them (the keys of the
// variable section are compared in place).

/// Owner, group, mode and (for a directory) the ACL attributes of one entry.
public struct AccessAttributes: Sendable, Equatable {
    public var isDirectory: Bool
    public var uid: UInt32
    public var gid: UInt32
    public var mode: UInt32
    /// The `sys.acl` attribute (nil: none).
    public var systemACL: String?
    /// The `user.acl` attribute (nil: none).
    public var userACL: String?
    /// Whether the `sys.eval.useracl` attribute is set (its value does not matter, as in EOS).
    public var evaluatesUserACL: Bool

    public init(isDirectory: Bool, uid: UInt32, gid: UInt32, mode: UInt32, systemACL: String? = nil,
                userACL: String? = nil, evaluatesUserACL: Bool = false) {
        self.isDirectory = isDirectory
        self.uid = uid
        self.gid = gid
        self.mode = mode
        self.systemACL = systemACL
        self.userACL = userACL
        self.evaluatesUserACL = evaluatesUserACL
    }
}

/// A path as a permission check sees it.
public struct PathAccess: Sendable, Equatable {
    /// The existing directories from the root down to the deepest one above the entry: the entry's
    /// parent when it exists (or when only the last component is missing). Empty for "/".
    public var directories: [AccessAttributes]
    /// The entry; nil when it does not exist.
    public var entry: AccessAttributes?
    /// The entry's stat fields (nil when it does not exist), so a stat needs no second walk.
    public var attributes: EntryAttributes?
    /// Components after the deepest existing directory that were not found (0: the entry exists;
    /// 1: only the last component is missing). A component that names a file before the end counts as
    /// missing with everything after it: the operation itself answers ENOTDIR.
    public var missingComponents: Int

    public init(directories: [AccessAttributes], entry: AccessAttributes?, attributes: EntryAttributes? = nil,
                missingComponents: Int) {
        self.directories = directories
        self.entry = entry
        self.attributes = attributes
        self.missingComponents = missingComponents
    }

    /// The directory a new entry would be made in (or the existing entry's parent); nil for "/".
    public var parent: AccessAttributes? { directories.last }
}

extension Namespace {
    /// The permission view of `path` (see `PathAccess`), with the errors of `attributes(at:)` for a
    /// malformed path. A missing entry is not an error here.
    public func pathAccess(_ path: String) throws(NamespaceError) -> PathAccess {
        var utf8 = path
        return try utf8.withUTF8 { bytes in
            Result { () throws(NamespaceError) -> PathAccess in
                let raw = UnsafeRawBufferPointer(bytes)
                try NameRules.validate(raw, path: path)
                return try lock.withReadLock { () throws(NamespaceError) -> PathAccess in
                    try checkReadable()
                    let tree = self.tree
                    return try tree.pathAccess(raw, path: path)
                }
            }
        }.get()
    }
}

extension NamespaceTree {
    func pathAccess(_ bytes: UnsafeRawBufferPointer, path: String) throws(NamespaceError) -> PathAccess {
        guard let rootRow = containers.row(of: ContainerID.root.rawValue) else { throw .notFound(path) }
        var components = 0
        var start = 0
        for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x2F {
            if i > start { components += 1 }
            start = i + 1
        }
        var directories: [AccessAttributes] = []
        directories.reserveCapacity(components)
        var current = NodeRef.container(rootRow)
        var walked = 0
        start = 0
        for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x2F {
            defer { start = i + 1 }
            guard i > start else { continue }
            guard current.isContainer else {
                // A file before the end: everything from here on is missing for the check.
                return PathAccess(directories: directories, entry: nil, missingComponents: components - walked + 1)
            }
            directories.append(accessAttributes(containerRow: current.row))
            guard let next = child(of: containers.rows[current.row].id,
                                   named: UnsafeRawBufferPointer(rebasing: bytes[start..<i])) else {
                return PathAccess(directories: directories, entry: nil, missingComponents: components - walked)
            }
            current = next
            walked += 1
        }
        if current.isContainer {
            let r = containers.rows[current.row]
            return PathAccess(directories: directories, entry: accessAttributes(containerRow: current.row),
                              attributes: EntryAttributes(isDirectory: true, id: r.id, size: 0, mode: r.mode, uid: r.uid,
                                                          gid: r.gid, ctime: r.ctime, mtime: r.mtime),
                              missingComponents: 0)
        }
        let r = files.rows[current.row]
        return PathAccess(directories: directories,
                          entry: AccessAttributes(isDirectory: false, uid: r.uid, gid: r.gid, mode: r.mode),
                          attributes: EntryAttributes(isDirectory: false, id: r.id, size: r.size, mode: r.mode, uid: r.uid,
                                                      gid: r.gid, ctime: r.ctime, mtime: r.mtime),
                          missingComponents: 0)
    }

    /// A container's owner, mode and ACL attributes (the keys of its variable section compared in place).
    func accessAttributes(containerRow row: Int) -> AccessAttributes {
        let r = containers.rows[row]
        var attributes = AccessAttributes(isDirectory: true, uid: r.uid, gid: r.gid, mode: r.mode)
        containers.withExtras(row) { extras in ACLAttributeScan.scan(extras, into: &attributes) }
        return attributes
    }
}

/// Finds `sys.acl`, `sys.eval.useracl` and `user.acl` in a container's variable section (u8 name
/// length, name, u16 attribute count, then u16 key length, key, u16 value length, value per
/// attribute), bounds-checked: a short section ends the scan.
enum ACLAttributeScan {
    private static let systemACL = Array("sys.acl".utf8)
    private static let evalUserACL = Array("sys.eval.useracl".utf8)
    private static let userACL = Array("user.acl".utf8)

    static func scan(_ extras: UnsafeRawBufferPointer, into attributes: inout AccessAttributes) {
        guard extras.count >= 1 else { return }
        var at = 1 + Int(extras[0])
        guard at + 2 <= extras.count else { return }
        let cursor = ByteCursor(extras)
        let count = Int(cursor.u16(at))
        at += 2
        for _ in 0..<count {
            guard at + 2 <= extras.count else { return }
            let keyLength = Int(cursor.u16(at))
            let keyStart = at + 2
            guard keyStart + keyLength + 2 <= extras.count else { return }
            let valueLength = Int(cursor.u16(keyStart + keyLength))
            let valueStart = keyStart + keyLength + 2
            guard valueStart + valueLength <= extras.count else { return }
            let key = UnsafeRawBufferPointer(rebasing: extras[keyStart..<keyStart + keyLength])
            // Only keys starting with "sys." or "user." can matter.
            if keyLength >= 7, key[0] == UInt8(ascii: "s") || key[0] == UInt8(ascii: "u") {
                let value = UnsafeRawBufferPointer(rebasing: extras[valueStart..<valueStart + valueLength])
                if equal(key, systemACL) {
                    attributes.systemACL = String(decoding: value, as: UTF8.self)
                } else if equal(key, evalUserACL) {
                    attributes.evaluatesUserACL = true
                } else if equal(key, userACL) {
                    attributes.userACL = String(decoding: value, as: UTF8.self)
                }
            }
            at = valueStart + valueLength
        }
    }

    @inline(__always)
    private static func equal(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }
}
