import MGM
import Namespace
import Testing

/// How `ACL.rights` reads `sys.acl` and `user.acl` (the EOS subset of docs/SECURITY.md).
struct ACLTests {
    static func rights(_ sys: String?, user: String? = nil, eval: Bool = false,
                       for identity: VirtualIdentity = Fixtures.bob) -> ACLRights {
        ACL.rights(of: Fixtures.dir(0, 0, 0o755, sys: sys, user: user, eval: eval), for: identity)
    }

    static func letters(_ mask: UInt8) -> String {
        let names: [(ACLRight, Character)] = [(.read, "r"), (.write, "w"), (.browse, "x"), (.chmod, "m"), (.update, "u"), (.delete, "d")]
        return String(names.filter { mask & $0.0.rawValue != 0 }.map(\.1))
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var acl: String
        var granted: String
        var denied: String
        var testDescription: String { acl }
    }

    static let cases: [Case] = [
        Case(acl: "u:1001:rx", granted: "rx", denied: ""),
        Case(acl: "u:bob:rwx", granted: "rwxu", denied: ""),
        Case(acl: "u:bob:", granted: "", denied: ""),
        Case(acl: "u:alice:rwx", granted: "", denied: ""),
        Case(acl: "g:1001:m", granted: "m", denied: ""),
        Case(acl: "g:team:rwx", granted: "", denied: ""),
        Case(acl: "u:bob:rwx!d", granted: "rwxu", denied: "d"),
        Case(acl: "u:bob:rw!u", granted: "rw", denied: "u"),
        Case(acl: "u:bob:!w", granted: "", denied: "wu"),
        Case(acl: "u:bob:!w,u:bob:w", granted: "", denied: "wu"),
        Case(acl: "u:bob:!u,g:1001:+u", granted: "u", denied: ""),
        Case(acl: "u:bob:!d,u:bob:+d", granted: "d", denied: ""),
        Case(acl: "u:bob:!m", granted: "", denied: "m"),
        Case(acl: "u:bob:d", granted: "", denied: ""),
        Case(acl: "egroup:team:rwx,z:rwx,k:key:rwx,u:bob,rwx,,u::r", granted: "", denied: ""),
        Case(acl: "u:99999999999:rwx", granted: "", denied: ""),
        Case(acl: "u:bob:rqx", granted: "rx", denied: ""),
    ]

    @Test(arguments: cases)
    func systemACL(_ c: Case) {
        let r = Self.rights(c.acl)
        #expect(Self.letters(r.granted) == c.granted, "granted")
        #expect(Self.letters(r.denied) == c.denied, "denied")
    }

    @Test func userACLNeedsEvalAndCannotReallowDelete() {
        #expect(Self.rights(nil, user: "u:bob:rwx") == .silent)
        #expect(Self.letters(Self.rights(nil, user: "u:bob:rwx", eval: true).granted) == "rwxu")
        // user.acl is read after sys.acl: its denial counts, its +d does not.
        #expect(Self.letters(Self.rights("u:bob:rwx", user: "u:bob:!w", eval: true).denied) == "wu")
        #expect(Self.letters(Self.rights("u:bob:!d", user: "u:bob:+d", eval: true).denied) == "d")
        #expect(Self.letters(Self.rights("u:bob:!u", user: "u:bob:+u", eval: true).denied) == "")
    }

    @Test func groupsByNumberAndNameIncludingSupplementary() {
        let alice = Fixtures.alice
        #expect(Self.letters(Self.rights("g:team:r", for: alice).granted) == "r")
        #expect(Self.letters(Self.rights("g:2000:x", for: alice).granted) == "x")
        #expect(Self.letters(Self.rights("g:1000:m", for: alice).granted) == "m")
        #expect(Self.letters(Self.rights("g:3000:m", for: alice).granted) == "")
    }

    @Test func noACLIsSilent() {
        #expect(Self.rights(nil) == .silent)
        #expect(Self.rights("") == .silent)
    }
}
