import Logging
import Namespace
import XRootD

/// The permission check of each request kind: the path is walked once (`Namespace.pathAccess`), the
/// request named as an `AccessOperation`, and `Permission.decide` asked. A refusal is answered
/// `kXR_NotAuthorized` with the stock server's text, "Unable to <action> <path>; permission denied",
/// before anything runs (so nothing changes and no changelog record is written).
extension RequestExecutor {
    enum Authorization {
        /// Go on; `walk` is the path's permission view when one was read (a stat answers from it,
        /// a create takes the parent's setgid group from it).
        case allowed(walk: PathAccess?)
        case refused(Execution)
    }

    func authorize(_ request: XRootDRequest, as identity: VirtualIdentity) -> Authorization {
        let operation: AccessOperation
        let path: String
        switch request {
        case .stat(let r):
            if r.path.isEmpty || r.options.contains(.fileSystem) { return .allowed(walk: nil) }
            operation = .stat
            path = r.path
        case .dirlist(let r):
            operation = .list
            path = r.path
        case .mkdir(let r):
            operation = .create(makingParents: r.options.contains(.makePath))
            path = r.path
        case .rmdir(let p), .rm(let p):
            operation = .remove
            path = p
        case .chmod(let r):
            operation = .chmod
            path = r.path
        case .mv(let r):
            guard !identity.passesEveryCheck else { return .allowed(walk: nil) }
            guard let source = walk(r.source), let destination = walk(r.destination) else { return .allowed(walk: nil) }
            return verdict(Permission.decide(identity, .rename(destination: destination), source), request, identity, source)
        case .open(let r):
            if AdminRequest.isAdminPath(r.path) { return .allowed(walk: nil) }
            // A write walks even for root: a new entry takes the group of a setgid parent.
            guard r.options.isWrite || !identity.passesEveryCheck, let walked = walk(r.path) else { return .allowed(walk: nil) }
            let operation: AccessOperation
            if !r.options.isWrite {
                operation = .read
            } else if walked.entry == nil {
                operation = .create(makingParents: r.options.contains(.makePath))
            } else if r.options.contains(.new) {
                operation = .stat  // it exists: the open answers EEXIST
            } else {
                operation = .update
            }
            return verdict(Permission.decide(identity, operation, walked), request, identity, walked)
        case .fattr(let r):
            // `sys.*` names are refused (root only) by the attribute code itself, with its own message.
            guard !identity.passesEveryCheck, !r.path.isEmpty, let kind = r.kind, let walked = walk(r.path) else {
                return .allowed(walk: nil)
            }
            let names = r.names.compactMap { UTF8Text.validated($0) }.filter { !$0.hasPrefix("sys.") }
            let operations: [AccessOperation]
            switch kind {
            case .list: operations = [.listXattrs]
            case .get: operations = names.map { .getXattr($0) }
            case .set: operations = names.map { .setXattr($0) }
            case .delete: operations = names.map { .removeXattr($0) }
            }
            for operation in operations {
                if case .refused(let refusal) = verdict(Permission.decide(identity, operation, walked), request, identity, walked) {
                    return .refused(refusal)
                }
            }
            return .allowed(walk: walked)
        case .data(let r) where !r.path.isEmpty:
            operation = .update
            path = r.path
        case .query(let r) where r.kind == .checksum || r.kind == .checksumScan || r.kind == .extendedAttributes:
            operation = .stat
            path = r.arguments
        default:
            return .allowed(walk: nil)
        }
        if identity.passesEveryCheck, case .create = operation {
            return .allowed(walk: walk(path))
        }
        guard !identity.passesEveryCheck, let walked = walk(path) else { return .allowed(walk: nil) }
        return verdict(Permission.decide(identity, operation, walked), request, identity, walked)
    }

    /// The path's permission view; nil when the path is malformed (the operation answers that).
    private func walk(_ path: String) -> PathAccess? {
        try? namespace.pathAccess(Self.plain(path))
    }

    private func verdict(_ decision: AccessDecision, _ request: XRootDRequest, _ identity: VirtualIdentity,
                         _ walked: PathAccess) -> Authorization {
        switch decision {
        case .allowed:
            return .allowed(walk: walked)
        case .denied(let refusal):
            logger.debug("permission denied", metadata: ["request": "\(request.requestID.name)", "identity": "\(identity)",
                                                         "rule": "\(refusal)"])
            return .refused(Self.permissionDenied(request))
        }
    }

    /// The stock server's refusal: `kXR_NotAuthorized`, "Unable to <action> <path>; permission denied".
    static func permissionDenied(_ request: XRootDRequest) -> Execution {
        .error(.notAuthorized, "Unable to \(action(request)); permission denied")
    }

    /// The owner of an entry `identity` creates under `parent`: its uid and gid, or the parent's group
    /// when the parent has the setgid bit (a new directory then keeps the bit), as POSIX and EOS do.
    static func newEntryOwner(_ identity: VirtualIdentity, parent: AccessAttributes?) -> (uid: UInt32, gid: UInt32, setgid: Bool) {
        guard let parent, parent.mode & 0o2000 != 0 else { return (identity.uid, identity.gid, false) }
        return (identity.uid, parent.gid, true)
    }
}
