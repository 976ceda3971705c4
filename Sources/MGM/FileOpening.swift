import Namespace
import XRootD

/// `kXR_open` of a namespace path. No file data is stored by the MGM: an open for writing creates
/// (or truncates) a zero-size entry and returns a handle whose writes are refused; an open for
/// reading returns a handle that reads nothing (a zero-size file reads as empty).
struct FileOpening {
    let namespace: Namespace

    /// `owner`: the uid and gid of entries the open creates.
    func open(_ r: OpenRequest, owner: (uid: UInt32, gid: UInt32)) throws(NamespaceError) -> Execution {
        let path = RequestExecutor.plain(r.path)
        let options = r.options
        var created: FileID?
        if options.isWrite {
            // A refused name creates no parent directory first.
            if options.contains(.makePath) { try NameRules.checkNewPath(path) }
            if options.contains(.makePath), let slash = path.lastIndex(of: "/"), slash != path.startIndex {
                try namespace.createContainer(String(path[..<slash]),
                                              attributes: CreationAttributes(uid: owner.uid, gid: owner.gid, mode: 0o040755),
                                              missingParents: .create)
            }
            if options.contains(.new) || options.contains(.delete) {
                created = try create(path, mode: UInt32(r.mode.rawValue & 0o7777), replacing: !options.contains(.new), owner: owner)
            }
        }
        let stat: StatInfo
        switch try namespace.stat(path) {
        case .container: throw .isADirectory(path)
        case .file(let f): stat = StatMapping.stat(file: f)
        }
        let file = OpenedFile.metadata(path: path, size: stat.size, writable: options.isWrite, created: created)
        return .opened(file, stat: options.contains(.returnStat) ? stat : nil)
    }

    /// Creates a zero-size entry (returns its id); `replacing` (kXR_delete) truncates an existing file
    /// instead of failing (returns nil: the entry is not this open's).
    private func create(_ path: String, mode: UInt32, replacing: Bool, owner: (uid: UInt32, gid: UInt32)) throws(NamespaceError) -> FileID? {
        let attributes = CreationAttributes(uid: owner.uid, gid: owner.gid, mode: 0o100000 | mode | 0o600)
        do throws(NamespaceError) {
            return try namespace.createFile(path, attributes: attributes)
        } catch .exists(let existing) {
            guard replacing else { throw .exists(existing) }
            switch try namespace.stat(path) {
            case .container: throw .isADirectory(path)
            case .file(let f): if f.size != 0 { try namespace.setSize(f.id, 0, mtime: .now()) }
            }
            return nil
        }
    }
}
