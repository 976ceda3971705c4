import Namespace

/// What a request does to a path, as far as permissions go.
public enum AccessOperation: Sendable, Equatable {
    /// stat, locate, and reading attributes: search (`x`) on every directory of the path.
    case stat
    /// List a directory: search, and `r` on the directory itself.
    case list
    /// Open an existing file for reading: search, and `r` on the file (or the parent's ACL).
    case read
    /// Open an existing file for writing or truncate it: search, and `w` on the file (or `u` in the
    /// parent's ACL, which `!u` takes away).
    case update
    /// Make an entry that does not exist (mkdir, a creating open): search, and `w` on the directory it
    /// goes into. `makingParents` (mkdir -p, kXR_mkpath): the deepest existing directory of the path.
    case create(makingParents: Bool)
    /// rm, rmdir: search, and `w` on the parent, which `!d` in the parent's ACL takes away.
    case remove
    /// Move the entry to `destination`: removing it from its parent and creating (or, over an
    /// existing entry, replacing) it in the destination's.
    case rename(destination: PathAccess)
    /// chmod: the entry's owner (unless the parent's ACL says `!m`), or `m` in the parent's ACL.
    case chmod
    /// List or read extended attributes: as stat.
    case listXattrs
    case getXattr(String)
    /// Set or remove an extended attribute: `sys.*` root only; `user.acl` the entry's owner; any other
    /// the owner or who may write the entry.
    case setXattr(String)
    case removeXattr(String)
}

/// Why a request was refused (for the service log and the tests; clients see "permission denied").
public enum Refusal: Sendable, Equatable {
    /// No search permission on the directory at this depth of the path (0: the root).
    case search(depth: Int)
    case read
    case write
    /// `!d` in the parent's ACL.
    case delete
    case update
    /// Only the owner (or an `m` ACL entry) may.
    case owner
    /// Only uid 0 may (`sys.*` attributes, admin commands).
    case rootOnly
}

public enum AccessDecision: Sendable, Equatable {
    case allowed
    case denied(Refusal)
}

/// The permission decision: one pure function of the identity, the path's entries and the operation.
/// uid 0 (and everyone under `--auth none`) passes every check. A missing entry is allowed once the
/// directories that were searched allow it, so the operation answers ENOENT, as a file system does.
public enum Permission {
    public static func decide(_ identity: VirtualIdentity, _ operation: AccessOperation, _ path: PathAccess) -> AccessDecision {
        if identity.passesEveryCheck { return .allowed }
        if let refusal = search(identity, path) { return .denied(refusal) }
        let parentRights = path.parent.map { ACL.rights(of: $0, for: identity) } ?? .silent
        switch operation {
        case .stat, .listXattrs, .getXattr:
            return .allowed
        case .list:
            guard let entry = path.entry, entry.isDirectory else { return .allowed }
            return directory(identity, entry, allows: .read, ACL.rights(of: entry, for: identity)) ? .allowed : .denied(.read)
        case .read:
            guard let entry = path.entry, !entry.isDirectory else { return .allowed }
            if parentRights.denies(.read) { return .denied(.read) }
            return mode(identity, entry, allows: 4) || parentRights.grants(.read) ? .allowed : .denied(.read)
        case .update:
            guard let entry = path.entry, !entry.isDirectory else { return .allowed }
            return mayUpdate(identity, entry, parentRights) ? .allowed : .denied(.update)
        case .create(let makingParents):
            if path.entry != nil { return .allowed }
            guard path.missingComponents == 1 || makingParents, let parent = path.parent else { return .allowed }
            return directory(identity, parent, allows: .write, parentRights) ? .allowed : .denied(.write)
        case .remove:
            guard path.entry != nil, let parent = path.parent else { return .allowed }
            return removal(identity, parent, parentRights)
        case .rename(let destination):
            guard path.entry != nil, let parent = path.parent else { return .allowed }
            if case .denied(let refusal) = removal(identity, parent, parentRights) { return .denied(refusal) }
            if let refusal = search(identity, destination) { return .denied(refusal) }
            guard destination.missingComponents <= 1, let target = destination.parent else { return .allowed }
            let targetRights = ACL.rights(of: target, for: identity)
            if destination.entry != nil { return removal(identity, target, targetRights) }
            return directory(identity, target, allows: .write, targetRights) ? .allowed : .denied(.write)
        case .chmod:
            guard let entry = path.entry else { return .allowed }
            if parentRights.grants(.chmod) { return .allowed }
            return entry.uid == identity.uid && !parentRights.denies(.chmod) ? .allowed : .denied(.owner)
        case .setXattr(let name), .removeXattr(let name):
            if name.utf8.starts(with: "sys.".utf8) { return .denied(.rootOnly) }
            guard let entry = path.entry else { return .allowed }
            if entry.uid == identity.uid { return .allowed }
            if name == "user.acl" { return .denied(.owner) }
            if entry.isDirectory {
                return directory(identity, entry, allows: .write, ACL.rights(of: entry, for: identity)) ? .allowed : .denied(.write)
            }
            return mayUpdate(identity, entry, parentRights) ? .allowed : .denied(.write)
        }
    }

    /// Admin commands: uid 0 proven by a security protocol (sss, krb5, ...), or uid 0 by `unix` (or under
    /// `--auth none`) from loopback or an `--admin-allow` address.
    public static func mayAdminister(_ client: ClientIdentity, _ identity: VirtualIdentity, allowing allowed: Set<String>) -> Bool {
        identity.uid == 0 && (client.authenticated || client.isLoopback || allowed.contains(client.address))
    }

    /// Convenience: true when `decide` allows.
    public static func check(_ identity: VirtualIdentity, _ path: PathAccess, _ operation: AccessOperation) -> Bool {
        decide(identity, operation, path) == .allowed
    }

    // MARK: Rules

    /// Search (`x`) on every directory the walk went through.
    @inline(__always)
    static func search(_ identity: VirtualIdentity, _ path: PathAccess) -> Refusal? {
        for (depth, directory) in path.directories.enumerated()
        where !self.directory(identity, directory, allows: .browse, ACL.rights(of: directory, for: identity)) {
            return .search(depth: depth)
        }
        return nil
    }

    /// `w` on the parent, and no `!d` in its ACL.
    private static func removal(_ identity: VirtualIdentity, _ parent: AccessAttributes, _ rights: ACLRights) -> AccessDecision {
        guard directory(identity, parent, allows: .write, rights) else { return .denied(.write) }
        return rights.denies(.delete) ? .denied(.delete) : .allowed
    }

    private static func mayUpdate(_ identity: VirtualIdentity, _ file: AccessAttributes, _ parentRights: ACLRights) -> Bool {
        if parentRights.denies(.update) { return false }
        return mode(identity, file, allows: 2) || parentRights.grants(.update)
    }

    /// A directory right: refused when the ACL denies it, else granted by the mode bits or the ACL.
    @inline(__always)
    static func directory(_ identity: VirtualIdentity, _ directory: AccessAttributes, allows right: ACLRight,
                          _ rights: ACLRights) -> Bool {
        if rights.denies(right) { return false }
        let bit: UInt32 = right == .read ? 4 : right == .write ? 2 : 1
        return mode(identity, directory, allows: bit) || rights.grants(right)
    }

    /// POSIX mode bits: the owner's class for the owner, the group's for a member of the entry's group
    /// (primary or supplementary), the others' for everyone else. `bit`: 4 read, 2 write, 1 execute.
    @inline(__always)
    static func mode(_ identity: VirtualIdentity, _ entry: AccessAttributes, allows bit: UInt32) -> Bool {
        if identity.uid == entry.uid { return entry.mode & (bit << 6) != 0 }
        if identity.isMember(of: entry.gid) { return entry.mode & (bit << 3) != 0 }
        return entry.mode & bit != 0
    }
}
