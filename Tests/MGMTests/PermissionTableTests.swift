import MGM
import Namespace
import Testing

/// Identities and entries the permission tests share.
enum Fixtures {
    static let names: [UInt32: String] = [0: "root", 1000: "alice", 1001: "bob", 2000: "team", 3000: "other"]
    static func identity(_ uid: UInt32, _ gid: UInt32, groups: [UInt32] = []) -> VirtualIdentity {
        VirtualIdentity(uid: uid, gid: gid, groups: groups, name: names[uid] ?? "\(uid)", groupName: { names[$0] ?? "\($0)" })
    }
    static let alice = identity(1000, 1000, groups: [2000])
    static let bob = identity(1001, 1001)
    static let root = VirtualIdentity.root

    static func dir(_ uid: UInt32, _ gid: UInt32, _ mode: UInt32, sys: String? = nil, user: String? = nil,
                    eval: Bool = false) -> AccessAttributes {
        AccessAttributes(isDirectory: true, uid: uid, gid: gid, mode: 0o040000 | mode, systemACL: sys, userACL: user,
                         evaluatesUserACL: eval)
    }
    static func file(_ uid: UInt32, _ gid: UInt32, _ mode: UInt32) -> AccessAttributes {
        AccessAttributes(isDirectory: false, uid: uid, gid: gid, mode: 0o100000 | mode)
    }
    /// `/` (root-owned 0755), then `parent`, then the entry (nil: missing; `missing` components).
    static func path(_ parent: AccessAttributes, _ entry: AccessAttributes?, missing: Int? = nil) -> PathAccess {
        PathAccess(directories: [dir(0, 0, 0o755), parent], entry: entry, missingComponents: missing ?? (entry == nil ? 1 : 0))
    }
}

/// One row per rule of `Permission.decide` (docs/SECURITY.md, "Permissions and ACLs").
struct PermissionTableTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var rule: String
        var identity: VirtualIdentity
        var operation: AccessOperation
        var path: PathAccess
        var expected: AccessDecision
        var testDescription: String { rule }
    }

    static let open = Fixtures.dir(0, 0, 0o777)
    static let closed = Fixtures.dir(0, 0, 0o700)
    static let readOnly = Fixtures.dir(0, 0, 0o755)
    static let aliceFile = Fixtures.file(1000, 1000, 0o644)
    static let teamFile = Fixtures.file(1001, 2000, 0o660)

    static let rows: [Row] = {
        typealias F = Fixtures
        let alice = F.alice, bob = F.bob
        return [
            // uid 0 and --auth none
            Row(rule: "root passes a closed directory", identity: F.root, operation: .create(makingParents: false),
                path: F.path(F.dir(5, 5, 0o000), nil), expected: .allowed),
            Row(rule: "root sets sys.*", identity: F.root, operation: .setXattr("sys.acl"), path: F.path(open, F.dir(5, 5, 0o700)),
                expected: .allowed),
            Row(rule: "--auth none checks nothing", identity: { var i = bob; i.isChecked = false; return i }(),
                operation: .remove, path: F.path(closed, aliceFile), expected: .allowed),
            // search
            Row(rule: "search: x for others", identity: bob, operation: .stat, path: F.path(F.dir(0, 0, 0o711), aliceFile),
                expected: .allowed),
            Row(rule: "search: no x at depth 1", identity: bob, operation: .stat, path: F.path(closed, aliceFile),
                expected: .denied(.search(depth: 1))),
            Row(rule: "search: no x at the root", identity: bob, operation: .stat,
                path: PathAccess(directories: [F.dir(0, 0, 0o700)], entry: aliceFile, missingComponents: 0),
                expected: .denied(.search(depth: 0))),
            Row(rule: "search: owner class only for the owner", identity: alice, operation: .stat,
                path: F.path(F.dir(1000, 1000, 0o077), aliceFile), expected: .denied(.search(depth: 1))),
            Row(rule: "search: group class by supplementary group", identity: alice, operation: .stat,
                path: F.path(F.dir(0, 2000, 0o710), aliceFile), expected: .allowed),
            Row(rule: "search: group class excludes others' bits", identity: alice, operation: .stat,
                path: F.path(F.dir(0, 2000, 0o701), aliceFile), expected: .denied(.search(depth: 1))),
            Row(rule: "search: a missing entry still needs the search", identity: bob, operation: .stat,
                path: F.path(closed, nil), expected: .denied(.search(depth: 1))),
            Row(rule: "search: a missing entry is allowed (ENOENT follows)", identity: bob, operation: .stat,
                path: F.path(readOnly, nil), expected: .allowed),
            // list
            Row(rule: "list: r on the directory", identity: bob, operation: .list, path: F.path(open, F.dir(0, 0, 0o755)),
                expected: .allowed),
            Row(rule: "list: no r on the directory", identity: bob, operation: .list, path: F.path(open, F.dir(0, 0, 0o711)),
                expected: .denied(.read)),
            Row(rule: "list: the directory's own ACL grants r", identity: bob, operation: .list,
                path: F.path(open, F.dir(0, 0, 0o700, sys: "u:1001:rx")), expected: .allowed),
            // read and update a file
            Row(rule: "read: file mode r", identity: bob, operation: .read, path: F.path(readOnly, aliceFile), expected: .allowed),
            Row(rule: "read: no r", identity: bob, operation: .read, path: F.path(readOnly, F.file(1000, 1000, 0o600)),
                expected: .denied(.read)),
            Row(rule: "read: parent ACL grants r", identity: bob, operation: .read,
                path: F.path(F.dir(0, 0, 0o755, sys: "u:bob:r"), F.file(1000, 1000, 0o600)), expected: .allowed),
            Row(rule: "read: parent ACL !r beats the mode", identity: bob, operation: .read,
                path: F.path(F.dir(0, 0, 0o755, sys: "u:bob:!r"), aliceFile), expected: .denied(.read)),
            Row(rule: "update: file mode w (group)", identity: alice, operation: .update, path: F.path(readOnly, teamFile),
                expected: .allowed),
            Row(rule: "update: no w", identity: bob, operation: .update, path: F.path(readOnly, aliceFile), expected: .denied(.update)),
            Row(rule: "update: parent ACL u", identity: bob, operation: .update,
                path: F.path(F.dir(0, 0, 0o755, sys: "u:1001:u"), aliceFile), expected: .allowed),
            Row(rule: "update: parent ACL w implies u", identity: bob, operation: .update,
                path: F.path(F.dir(0, 0, 0o755, sys: "u:1001:rw"), aliceFile), expected: .allowed),
            Row(rule: "update: parent ACL !u beats the mode", identity: alice, operation: .update,
                path: F.path(F.dir(0, 0, 0o755, sys: "g:team:!u"), aliceFile), expected: .denied(.update)),
            // create
            Row(rule: "create: w on the parent", identity: bob, operation: .create(makingParents: false), path: F.path(open, nil),
                expected: .allowed),
            Row(rule: "create: no w on the parent", identity: bob, operation: .create(makingParents: false),
                path: F.path(readOnly, nil), expected: .denied(.write)),
            Row(rule: "create: w without x on the parent", identity: bob, operation: .create(makingParents: false),
                path: F.path(F.dir(0, 0, 0o776), nil), expected: .denied(.search(depth: 1))),
            Row(rule: "create: ACL w on the parent", identity: bob, operation: .create(makingParents: false),
                path: F.path(F.dir(0, 0, 0o755, sys: "u:1001:rwx"), nil), expected: .allowed),
            Row(rule: "create: ACL !w beats the mode", identity: bob, operation: .create(makingParents: false),
                path: F.path(F.dir(0, 0, 0o777, sys: "u:1001:!w"), nil), expected: .denied(.write)),
            Row(rule: "create: an existing entry is allowed (EEXIST follows)", identity: bob, operation: .create(makingParents: false),
                path: F.path(readOnly, aliceFile), expected: .allowed),
            Row(rule: "create: deeper missing without -p is allowed (ENOENT follows)", identity: bob,
                operation: .create(makingParents: false), path: F.path(readOnly, nil, missing: 2), expected: .allowed),
            Row(rule: "create -p: w on the deepest existing directory", identity: bob, operation: .create(makingParents: true),
                path: F.path(readOnly, nil, missing: 2), expected: .denied(.write)),
            Row(rule: "create -p: allowed with w there", identity: bob, operation: .create(makingParents: true),
                path: F.path(open, nil, missing: 3), expected: .allowed),
            // remove
            Row(rule: "remove: w on the parent", identity: bob, operation: .remove, path: F.path(open, aliceFile), expected: .allowed),
            Row(rule: "remove: no w on the parent (owning the entry is not enough)", identity: alice, operation: .remove,
                path: F.path(readOnly, aliceFile), expected: .denied(.write)),
            Row(rule: "remove: !d in the parent's ACL", identity: bob, operation: .remove,
                path: F.path(F.dir(0, 0, 0o777, sys: "u:1001:rwx!d"), aliceFile), expected: .denied(.delete)),
            Row(rule: "remove: +d in sys.acl re-allows", identity: alice, operation: .remove,
                path: F.path(F.dir(0, 0, 0o777, sys: "g:team:!d,u:alice:+d"), aliceFile), expected: .allowed),
            Row(rule: "remove: +d in user.acl is ignored", identity: alice, operation: .remove,
                path: F.path(F.dir(0, 0, 0o777, sys: "g:team:!d", user: "u:alice:+d", eval: true), aliceFile),
                expected: .denied(.delete)),
            Row(rule: "remove: a missing entry is allowed (ENOENT follows)", identity: bob, operation: .remove,
                path: F.path(readOnly, nil), expected: .allowed),
            // rename
            Row(rule: "rename: w on both parents", identity: bob, operation: .rename(destination: F.path(open, nil)),
                path: F.path(open, aliceFile), expected: .allowed),
            Row(rule: "rename: no w on the source's parent", identity: bob, operation: .rename(destination: F.path(open, nil)),
                path: F.path(readOnly, aliceFile), expected: .denied(.write)),
            Row(rule: "rename: no w on the destination's parent", identity: bob,
                operation: .rename(destination: F.path(readOnly, nil)), path: F.path(open, aliceFile), expected: .denied(.write)),
            Row(rule: "rename: no search to the destination", identity: bob, operation: .rename(destination: F.path(closed, nil)),
                path: F.path(open, aliceFile), expected: .denied(.search(depth: 1))),
            Row(rule: "rename over an entry: !d on the destination's parent", identity: bob,
                operation: .rename(destination: F.path(F.dir(0, 0, 0o777, sys: "u:bob:!d"), aliceFile)),
                path: F.path(open, teamFile), expected: .denied(.delete)),
            // chmod
            Row(rule: "chmod: the owner", identity: alice, operation: .chmod, path: F.path(readOnly, aliceFile), expected: .allowed),
            Row(rule: "chmod: not the owner", identity: bob, operation: .chmod, path: F.path(open, aliceFile), expected: .denied(.owner)),
            Row(rule: "chmod: ACL m", identity: bob, operation: .chmod, path: F.path(F.dir(0, 0, 0o755, sys: "u:1001:m"), aliceFile),
                expected: .allowed),
            Row(rule: "chmod: ACL !m takes it from the owner", identity: alice, operation: .chmod,
                path: F.path(F.dir(0, 0, 0o755, sys: "u:1000:!m"), aliceFile), expected: .denied(.owner)),
            // extended attributes
            Row(rule: "xattr: reading needs only the search", identity: bob, operation: .getXattr("sys.acl"),
                path: F.path(readOnly, F.dir(0, 0, 0o700)), expected: .allowed),
            Row(rule: "xattr: sys.* is root's", identity: alice, operation: .setXattr("sys.acl"),
                path: F.path(readOnly, F.dir(1000, 1000, 0o755)), expected: .denied(.rootOnly)),
            Row(rule: "xattr: removing sys.* is root's", identity: alice, operation: .removeXattr("sys.eval.useracl"),
                path: F.path(readOnly, F.dir(1000, 1000, 0o755)), expected: .denied(.rootOnly)),
            Row(rule: "xattr: user.acl by the owner", identity: alice, operation: .setXattr("user.acl"),
                path: F.path(readOnly, F.dir(1000, 1000, 0o755)), expected: .allowed),
            Row(rule: "xattr: user.acl not by a writer", identity: bob, operation: .setXattr("user.acl"),
                path: F.path(readOnly, F.dir(1000, 1000, 0o777)), expected: .denied(.owner)),
            Row(rule: "xattr: user.* by a writer", identity: bob, operation: .setXattr("user.tag"),
                path: F.path(readOnly, F.dir(1000, 1000, 0o777)), expected: .allowed),
            Row(rule: "xattr: user.* not by a reader", identity: bob, operation: .setXattr("user.tag"),
                path: F.path(readOnly, aliceFile), expected: .denied(.write)),
            // ACL matching
            Row(rule: "ACL: g:<name>", identity: alice, operation: .create(makingParents: false),
                path: F.path(F.dir(0, 0, 0o755, sys: "g:team:rwx"), nil), expected: .allowed),
            Row(rule: "ACL: g:<gid> of a supplementary group", identity: alice, operation: .create(makingParents: false),
                path: F.path(F.dir(0, 0, 0o755, sys: "g:2000:rwx"), nil), expected: .allowed),
            Row(rule: "ACL: another user's entry does not match", identity: bob, operation: .create(makingParents: false),
                path: F.path(F.dir(0, 0, 0o755, sys: "u:alice:rwx"), nil), expected: .denied(.write)),
            Row(rule: "ACL: user.acl ignored without sys.eval.useracl", identity: bob, operation: .create(makingParents: false),
                path: F.path(F.dir(0, 0, 0o755, user: "u:bob:rwx"), nil), expected: .denied(.write)),
            Row(rule: "ACL: user.acl honoured with sys.eval.useracl", identity: bob, operation: .create(makingParents: false),
                path: F.path(F.dir(0, 0, 0o755, user: "u:bob:rwx", eval: true), nil), expected: .allowed),
            Row(rule: "ACL: x grants the search", identity: bob, operation: .stat,
                path: F.path(F.dir(0, 0, 0o700, sys: "u:1001:x"), aliceFile), expected: .allowed),
            Row(rule: "ACL: !x denies the search despite the mode", identity: bob, operation: .stat,
                path: F.path(F.dir(0, 0, 0o755, sys: "u:1001:!x"), aliceFile), expected: .denied(.search(depth: 1))),
        ]
    }()

    @Test(arguments: rows)
    func rule(_ row: Row) {
        #expect(Permission.decide(row.identity, row.operation, row.path) == row.expected, "\(row.rule)")
    }

    @Test func adminTrust() {
        let loopback = ClientIdentity(user: "root", address: "127.0.0.1", loggedIn: true)
        let remote = ClientIdentity(user: "root", address: "10.1.2.3", loggedIn: true)
        var sss = remote
        sss.protocolName = "sss"
        sss.authenticated = true
        #expect(Permission.mayAdminister(loopback, .root, allowing: []))
        #expect(!Permission.mayAdminister(remote, .root, allowing: []))
        #expect(Permission.mayAdminister(remote, .root, allowing: ["10.1.2.3"]))
        #expect(Permission.mayAdminister(sss, .root, allowing: []))
        #expect(!Permission.mayAdminister(loopback, Fixtures.alice, allowing: []))
        #expect(!Permission.mayAdminister(sss, Fixtures.alice, allowing: []))
    }
}
