import Namespace
import XRootD

/// Namespace metadata as XRootD stat answers: the nine-field protocol 5 form, flags relative to the
/// owner's permission bits (as the stock server reports entries it owns).
enum StatMapping {
    /// Directories report this size, as a local file system does.
    static let directorySize: Int64 = 4096

    /// Stat ids: a container's id as is; a file's id shifted left by 28 bits (the EOS inode scheme),
    /// so the two never collide below 2^28 containers.
    static func statID(file id: FileID) -> UInt64 { id.rawValue << 28 }

    static func stat(_ entry: NamespaceEntry, users: UserDirectory = .shared) -> StatInfo {
        switch entry {
        case .file(let f): return stat(file: f, users: users)
        case .container(let c): return stat(container: c, users: users)
        }
    }

    static func stat(file f: FileMetadata, users: UserDirectory = .shared) -> StatInfo {
        let extended = StatInfo.Extended(changeTime: f.ctime.seconds, accessTime: f.mtime.seconds, mode: f.mode & 0o7777,
                                         owner: users.userName(f.uid), group: users.groupName(f.gid))
        return StatInfo(id: statID(file: f.id), size: Int64(clamping: f.size), flags: StatFlags(posixMode: f.mode),
                        modificationTime: f.mtime.seconds, extended: extended)
    }

    /// The same answer from an entry's fixed fields (`Namespace.attributes(at:)`, the stat request's path).
    static func stat(_ a: EntryAttributes, users: UserDirectory = .shared) -> StatInfo {
        let mode = a.isDirectory && a.mode & 0o170000 == 0 ? a.mode | 0o040000 : a.mode
        let extended = StatInfo.Extended(changeTime: a.ctime.seconds, accessTime: a.mtime.seconds, mode: a.mode & 0o7777,
                                         owner: users.userName(a.uid), group: users.groupName(a.gid))
        return StatInfo(id: a.isDirectory ? a.id : statID(file: FileID(a.id)),
                        size: a.isDirectory ? directorySize : Int64(clamping: a.size),
                        flags: StatFlags(posixMode: mode), modificationTime: a.mtime.seconds, extended: extended)
    }

    static func stat(container c: ContainerMetadata, users: UserDirectory = .shared) -> StatInfo {
        let mode = c.mode & 0o170000 == 0 ? c.mode | 0o040000 : c.mode
        let extended = StatInfo.Extended(changeTime: c.ctime.seconds, accessTime: c.mtime.seconds, mode: c.mode & 0o7777,
                                         owner: users.userName(c.uid), group: users.groupName(c.gid))
        return StatInfo(id: c.id.rawValue, size: directorySize, flags: StatFlags(posixMode: mode),
                        modificationTime: c.mtime.seconds, extended: extended)
    }
}
