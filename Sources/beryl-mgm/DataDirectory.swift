import Glibc
import Namespace
import Replication

/// The checks `beryl-mgm` makes on a data directory before it serves or tags it. Each refusal is
/// one line and changes nothing on disk.
enum DataDirectory {
    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    /// `serve` needs a directory that exists and was tagged (`beryl.role`): a mistyped path must not
    /// become a fresh empty namespace.
    static func checkServable(_ path: String) throws(Refusal) {
        guard isDirectory(path) else {
            throw Refusal(description: "data directory \(path) does not exist (or is not a directory); "
                          + "create it with `beryl-mgm tag master --data \(path)` (or `tag slave`)")
        }
        guard access(RoleFile.path(in: path), F_OK) == 0 else {
            throw Refusal(description: "data directory \(path) was never tagged (no \(RoleFile.name)); "
                          + "run `beryl-mgm tag master --data \(path)` (or `tag slave`) first")
        }
    }

    /// Creates at most the last component of `path` (its parent must exist), refuses a directory whose
    /// changelogs a running server holds, and runs `body` while holding their locks, so no server
    /// starts on it meanwhile.
    static func withTaggable(_ path: String, _ body: () throws -> Void) throws {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        let parent = trimmed.contains("/") ? String(trimmed[..<trimmed.lastIndex(of: "/")!]) : "."
        var st = stat()
        if stat(trimmed, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else { throw Refusal(description: "\(trimmed) exists and is not a directory") }
        } else {
            guard isDirectory(parent.isEmpty ? "/" : parent) else {
                throw Refusal(description: "cannot create \(trimmed): its parent \(parent.isEmpty ? "/" : parent) does not exist "
                              + "(tag creates only the last path component)")
            }
            guard mkdir(trimmed, 0o755) == 0 || errno == EEXIST else {
                throw Refusal(description: "cannot create \(trimmed): \(String(cString: strerror(errno)))")
            }
        }
        var locked: [Int32] = []
        defer { for fd in locked { close(fd) } }
        for name in [NamespaceConfiguration.filesLogName, NamespaceConfiguration.directoriesLogName] {
            let fd = open(trimmed + "/" + name, O_RDONLY | O_CLOEXEC)
            if fd < 0 { continue }
            locked.append(fd)
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                throw Refusal(description: "\(trimmed) is in use: \(name) is locked by a running server; stop it first "
                              + "(a running pair changes roles with `ns master`)")
            }
        }
        try body()
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }
}
