import Glibc
import Namespace

/// `chown [-r] <user>[:<group>] <path>` (the legacy `eos chown`): gives an entry, or with `-r` a whole
/// subtree, to a user (by name or number) and, with `:<group>`, a group; `:<group>` alone changes only
/// the group. A user name alone also takes that user's primary group, as `chown user` does not but
/// `eos chown` does. One changelog record per entry changed; the service log says what was changed.
extension AdminCommands {
    static let chownUsage = "usage: chown [-r] <user>[:<group>] <path> (or :<group> alone)"

    func chown(_ words: [String], users: SystemUsers = .shared) -> AdminResult {
        var words = words[...]
        var recursive = false
        while let first = words.first, first.hasPrefix("-") {
            guard first == "-r" else { return .failure(EINVAL, "chown: unknown option '\(first)'; \(Self.chownUsage)") }
            recursive = true
            words = words.dropFirst()
        }
        guard words.count == 2, let spec = words.first, let path = words.last else { return .failure(EINVAL, Self.chownUsage) }
        let owner: (uid: UInt32?, gid: UInt32?)
        switch Self.owner(spec, users) {
        case .success(let value): owner = value
        case .failure(let message): return .failure(EINVAL, "chown: \(message)")
        }
        do throws(NamespaceError) {
            let changed = try chown(path, uid: owner.uid, gid: owner.gid, recursive: recursive)
            logger.notice("chown", metadata: ["path": "\(path)", "uid": "\(owner.uid.map(String.init) ?? "unchanged")",
                                              "gid": "\(owner.gid.map(String.init) ?? "unchanged")",
                                              "entries": "\(changed)", "recursive": "\(recursive)"])
            return AdminResult(stdout: "success: \(spec) owns \(path)" + (recursive ? " (\(changed) entries)" : "") + "\n")
        } catch {
            return .failure(error.errno, "chown \(path): \(error)")
        }
    }

    private enum OwnerSpec {
        case success((uid: UInt32?, gid: UInt32?))
        case failure(String)
    }

    /// `user`, `user:group`, `:group`; names or numbers.
    private static func owner(_ spec: String, _ users: SystemUsers) -> OwnerSpec {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        var uid: UInt32?, gid: UInt32?
        if !parts[0].isEmpty {
            if let number = UInt32(parts[0]) {
                uid = number
            } else if let user = users.user(named: parts[0]) {
                uid = user.uid
                if parts.count == 1 { gid = user.gid }
            } else {
                return .failure("unknown user '\(parts[0])'")
            }
        }
        if parts.count == 2 {
            guard !parts[1].isEmpty else { return .failure(chownUsage) }
            if let number = UInt32(parts[1]) {
                gid = number
            } else if let group = users.gid(ofGroup: parts[1]) {
                gid = group
            } else {
                return .failure("unknown group '\(parts[1])'")
            }
        }
        guard uid != nil || gid != nil else { return .failure(chownUsage) }
        return .success((uid, gid))
    }

    /// Changes the entry at `path` (and, `recursive`, everything below it); returns how many entries.
    private func chown(_ path: String, uid: UInt32?, gid: UInt32?, recursive: Bool) throws(NamespaceError) -> Int {
        let namespace = state.namespace
        switch try namespace.stat(path) {
        case .file(let f):
            try namespace.setOwner(f.id, uid: uid ?? f.uid, gid: gid ?? f.gid)
            return 1
        case .container(let c):
            var pending = [c.id]
            var changed = 0
            while let id = pending.popLast() {
                try namespace.updateContainer(id) {
                    if let uid { $0.uid = uid }
                    if let gid { $0.gid = gid }
                }
                changed += 1
                guard recursive else { break }
                for child in try namespace.list(id) {
                    if child.kind == .container {
                        pending.append(ContainerID(child.id))
                    } else if let f = namespace.file(FileID(child.id)) {
                        try namespace.setOwner(f.id, uid: uid ?? f.uid, gid: gid ?? f.gid)
                        changed += 1
                    }
                }
            }
            return changed
        }
    }
}
