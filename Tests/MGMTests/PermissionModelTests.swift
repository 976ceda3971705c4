import BerylTestSupport
import MGM
import Namespace
import Testing

/// `Permission.decide` against a small, plainly written reference model of docs/SECURITY.md's rules,
/// over random identities, modes, owners, ACLs (well-formed and junk), paths and operations.
struct PermissionModelTests {
    /// The rules again, written for clarity rather than speed: ACLs split into entries and letter sets.
    enum Model {
        struct Person {
            var uid: UInt32
            var groups: Set<UInt32>
            var name: String
            var groupNames: Set<String>
        }

        static func person(_ v: VirtualIdentity) -> Person {
            Person(uid: v.uid, groups: Set(v.groups), name: v.name, groupNames: Set(v.groupNames))
        }

        /// (granted, denied) letter sets of a directory's ACLs.
        static func acl(_ d: AccessAttributes, _ p: Person) -> (Set<Character>, Set<Character>) {
            var grants = Set<Character>(), denials = Set<Character>(), reallows = Set<Character>()
            var lists: [(String, Bool)] = []
            if let s = d.systemACL { lists.append((s, true)) }
            if d.evaluatesUserACL, let u = d.userACL { lists.append((u, false)) }
            for (text, isSystem) in lists {
                for entry in text.split(separator: ",", omittingEmptySubsequences: true) {
                    let fields = entry.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                    guard fields.count == 3 else { continue }
                    let who = String(fields[1])
                    let match: Bool
                    if fields[0] == "u" {
                        match = who.allSatisfy(\.isASCIIDigitCharacter) && !who.isEmpty && who.count <= 10
                            ? UInt64(who).map { $0 == UInt64(p.uid) } ?? false : who == p.name
                    } else if fields[0] == "g" {
                        match = who.allSatisfy(\.isASCIIDigitCharacter) && !who.isEmpty && who.count <= 10
                            ? UInt64(who).map { g in p.groups.contains { UInt64($0) == g } } ?? false : p.groupNames.contains(who)
                    } else {
                        match = false
                    }
                    guard match else { continue }
                    // "!" before a letter denies it (also after a "+": "!+u" and "+!u" deny), "+" re-allows.
                    var prefixes = Set<Character>()
                    for c in fields[2] {
                        if c == "!" || c == "+" { prefixes.insert(c); continue }
                        defer { prefixes = [] }
                        guard "rwxmud".contains(c) else { continue }
                        if prefixes.contains("!") {
                            denials.insert(c)
                            if c == "w" { denials.insert("u") }
                        } else if prefixes.contains("+") {
                            if c == "u" || (c == "d" && isSystem) { reallows.insert(c) }
                        } else {
                            if c != "d" { grants.insert(c) }
                            if c == "w" { grants.insert("u") }
                        }
                    }
                }
            }
            let denied = denials.subtracting(reallows)
            return (grants.union(reallows).subtracting(denied), denied)
        }

        static func bits(_ p: Person, _ e: AccessAttributes) -> UInt32 {
            if p.uid == e.uid { return (e.mode >> 6) & 7 }
            if p.groups.contains(e.gid) { return (e.mode >> 3) & 7 }
            return e.mode & 7
        }

        static func may(_ p: Person, _ d: AccessAttributes, _ letter: Character) -> Bool {
            let (granted, denied) = acl(d, p)
            if denied.contains(letter) { return false }
            let bit: UInt32 = letter == "r" ? 4 : letter == "w" ? 2 : 1
            return bits(p, d) & bit != 0 || granted.contains(letter)
        }

        static func searchable(_ p: Person, _ path: PathAccess) -> Bool {
            path.directories.allSatisfy { may(p, $0, "x") }
        }

        static func removable(_ p: Person, _ parent: AccessAttributes) -> Bool {
            may(p, parent, "w") && !acl(parent, p).1.contains("d")
        }

        static func allowed(_ v: VirtualIdentity, _ op: AccessOperation, _ path: PathAccess) -> Bool {
            if v.uid == 0 || !v.isChecked { return true }
            let p = person(v)
            guard searchable(p, path) else { return false }
            let parent = path.directories.last
            let parentACL = parent.map { acl($0, p) } ?? ([], [])
            switch op {
            case .stat, .listXattrs, .getXattr:
                return true
            case .list:
                guard let e = path.entry, e.isDirectory else { return true }
                return may(p, e, "r")
            case .read:
                guard let e = path.entry, !e.isDirectory else { return true }
                return !parentACL.1.contains("r") && (bits(p, e) & 4 != 0 || parentACL.0.contains("r"))
            case .update:
                guard let e = path.entry, !e.isDirectory else { return true }
                return !parentACL.1.contains("u") && (bits(p, e) & 2 != 0 || parentACL.0.contains("u"))
            case .create(let parents):
                if path.entry != nil { return true }
                if path.missingComponents > 1 && !parents { return true }
                guard let parent else { return true }
                return may(p, parent, "w")
            case .remove:
                guard path.entry != nil, let parent else { return true }
                return removable(p, parent)
            case .rename(let destination):
                guard path.entry != nil, let parent else { return true }
                guard removable(p, parent), searchable(p, destination) else { return false }
                guard destination.missingComponents <= 1, let target = destination.directories.last else { return true }
                return destination.entry != nil ? removable(p, target) : may(p, target, "w")
            case .chmod:
                guard let e = path.entry else { return true }
                return parentACL.0.contains("m") || (e.uid == p.uid && !parentACL.1.contains("m"))
            case .setXattr(let name), .removeXattr(let name):
                if name.hasPrefix("sys.") { return false }
                guard let e = path.entry else { return true }
                if e.uid == p.uid { return true }
                if name == "user.acl" { return false }
                if e.isDirectory { return may(p, e, "w") }
                return !parentACL.1.contains("u") && (bits(p, e) & 2 != 0 || parentACL.0.contains("u"))
            }
        }
    }

    static let uids: [UInt32] = [0, 1000, 1001, 1002]
    static let gids: [UInt32] = [0, 1000, 1001, 2000, 3000]

    static func randomACL(_ g: inout SeededRandom) -> String? {
        if Int.random(in: 0..<3, using: &g) == 0 { return nil }
        let qualifiers = ["1000", "1001", "alice", "bob", "2000", "team", "other", "", "x1"]
        let letters: [String] = ["r", "w", "x", "m", "u", "d", "!r", "!w", "!x", "!m", "!u", "!d", "+d", "+u", "q", "!"]
        var entries: [String] = []
        for _ in 0..<Int.random(in: 0...3, using: &g) {
            let kind = ["u", "g", "u", "g", "z", "egroup"].randomElement(using: &g)!
            let rights = (0..<Int.random(in: 0...4, using: &g)).map { _ in letters.randomElement(using: &g)! }.joined()
            entries.append(Int.random(in: 0..<10, using: &g) == 0 ? kind + ":" + rights
                           : kind + ":" + qualifiers.randomElement(using: &g)! + ":" + rights)
        }
        return entries.joined(separator: ",")
    }

    static func randomEntry(_ g: inout SeededRandom, directory: Bool) -> AccessAttributes {
        AccessAttributes(isDirectory: directory, uid: uids.randomElement(using: &g)!, gid: gids.randomElement(using: &g)!,
                         mode: (directory ? 0o040000 : 0o100000) | UInt32.random(in: 0...0o777, using: &g),
                         systemACL: directory ? randomACL(&g) : nil, userACL: directory ? randomACL(&g) : nil,
                         evaluatesUserACL: directory && Bool.random(using: &g))
    }

    static func randomPath(_ g: inout SeededRandom) -> PathAccess {
        let depth = Int.random(in: 0...3, using: &g)
        let directories = (0..<depth).map { _ in randomEntry(&g, directory: true) }
        switch Int.random(in: 0..<4, using: &g) {
        case 0: return PathAccess(directories: directories, entry: nil, missingComponents: Int.random(in: 1...3, using: &g))
        case 1: return PathAccess(directories: directories, entry: randomEntry(&g, directory: true), missingComponents: 0)
        default: return PathAccess(directories: directories, entry: randomEntry(&g, directory: false), missingComponents: 0)
        }
    }

    static func randomOperation(_ g: inout SeededRandom) -> AccessOperation {
        let names = ["user.acl", "sys.acl", "sys.eval.useracl", "user.tag", "plain"]
        switch Int.random(in: 0..<12, using: &g) {
        case 0: return .stat
        case 1: return .list
        case 2: return .read
        case 3: return .update
        case 4: return .create(makingParents: Bool.random(using: &g))
        case 5: return .remove
        case 6: return .rename(destination: randomPath(&g))
        case 7: return .chmod
        case 8: return .listXattrs
        case 9: return .getXattr(names.randomElement(using: &g)!)
        case 10: return .setXattr(names.randomElement(using: &g)!)
        default: return .removeXattr(names.randomElement(using: &g)!)
        }
    }

    @Test func decisionsMatchTheModel() {
        var g = SeededRandom(seed: 0x5EC0_2026)
        var allowed = 0, denied = 0
        for round in 0..<30_000 {
            let uid = Self.uids.randomElement(using: &g)!
            var identity = Fixtures.identity(uid, Self.gids.randomElement(using: &g)!,
                                             groups: Bool.random(using: &g) ? [2000] : [])
            identity.isChecked = Int.random(in: 0..<20, using: &g) != 0
            let operation = Self.randomOperation(&g)
            let path = Self.randomPath(&g)
            let decision = Permission.decide(identity, operation, path)
            let expected = Model.allowed(identity, operation, path)
            if (decision == .allowed) != expected {
                Issue.record("round \(round): \(identity) \(operation) \(path): decide says \(decision), the model \(expected)")
                return
            }
            if expected { allowed += 1 } else { denied += 1 }
        }
        // Both outcomes are well represented (the draw is not degenerate).
        #expect(allowed > 5_000 && denied > 5_000, "allowed \(allowed), denied \(denied)")
    }
}

private extension Character {
    var isASCIIDigitCharacter: Bool { ("0"..."9").contains(self) }
}
