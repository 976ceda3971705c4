import Glibc
import Logging
import Namespace
import Replication

/// A fresh namespace belongs to whoever serves it. The root directory a first boot makes is owned by
/// uid 0, mode 0755; when the server runs as another user (`make run` as a developer) that user could
/// list "/" but make nothing in it. So, as `mke2fs` gives a new file system's root to the user who
/// makes it, a master whose namespace holds nothing but a root owned by uid 0 gives the root to the
/// server's own uid and gid, once (one changelog record, logged). A server run as root changes nothing;
/// so does a namespace with any entry in it, or whose root was given away already.
enum FreshNamespaceOwner {
    static func adopt(_ namespace: Namespace, role: Role, logger: Logger, uid: UInt32 = getuid(), gid: UInt32 = getgid()) {
        guard role.isMaster, uid != 0, namespace.containerCount == 1, namespace.fileCount == 0,
              let root = namespace.container(.root), root.uid == 0, root.gid == 0 else { return }
        do throws(NamespaceError) {
            try namespace.updateContainer(.root) {
                $0.uid = uid
                $0.gid = gid
            }
            logger.notice("fresh namespace: / given to the serving user", metadata: ["uid": "\(uid)", "gid": "\(gid)"])
        } catch {
            logger.warning("fresh namespace: could not give / to the serving user (uid \(uid)): \(error)")
        }
    }
}
