import Namespace

/// One right an EOS directory ACL can grant or deny.
public enum ACLRight: UInt8, Sendable, CaseIterable {
    /// `r`: list the directory, read the files in it.
    case read = 1
    /// `w`: create and remove entries in the directory (and update its files: `w` implies `u`).
    case write = 2
    /// `x`: browse (search) the directory.
    case browse = 4
    /// `m`: change the mode of the directory's entries without owning them.
    case chmod = 8
    /// `u`: update (open for writing, truncate) the directory's existing files.
    case update = 16
    /// `d`: only as `!d` (no removal even with `w`) and `+d` (re-allow removal after a `!d`; `sys.acl` only).
    case delete = 32

    init?(letter: UInt8) {
        switch letter {
        case UInt8(ascii: "r"): self = .read
        case UInt8(ascii: "w"): self = .write
        case UInt8(ascii: "x"): self = .browse
        case UInt8(ascii: "m"): self = .chmod
        case UInt8(ascii: "u"): self = .update
        case UInt8(ascii: "d"): self = .delete
        default: return nil
        }
    }
}

/// What a directory's ACL says to one identity: each right granted, denied, or not mentioned (the mode
/// bits decide then).
public struct ACLRights: Sendable, Equatable {
    public var granted: UInt8
    public var denied: UInt8

    public static let silent = ACLRights(granted: 0, denied: 0)

    @inline(__always) public func grants(_ right: ACLRight) -> Bool { granted & right.rawValue != 0 }
    @inline(__always) public func denies(_ right: ACLRight) -> Bool { denied & right.rawValue != 0 }
}

/// EOS directory ACLs (`sys.acl`, and `user.acl` when `sys.eval.useracl` is set on the directory): a
/// comma-separated list of `u:<uid|name>:<rights>` and `g:<gid|name>:<rights>` entries. The entries that
/// match the identity (its uid or user name; any of its groups, by number or name) are read in order,
/// `sys.acl` first: a plain letter grants its right, `!<letter>` denies it, `+d` and `+u` re-allow after
/// a denial (`+d` only in `sys.acl`). A denial beats a grant unless re-allowed. `w` also grants `u`;
/// `!w` also denies `u`. Other entry types (`egroup:`, `k:`, `z:`) and letters are ignored.
public enum ACL {
    /// The rights `directory`'s ACLs give `identity`; `.silent` when it has none (no allocation).
    public static func rights(of directory: AccessAttributes, for identity: VirtualIdentity) -> ACLRights {
        let userACL = directory.evaluatesUserACL ? directory.userACL : nil
        if directory.systemACL == nil && userACL == nil { return .silent }
        var grant: UInt8 = 0, deny: UInt8 = 0, reallow: UInt8 = 0
        if let text = directory.systemACL { evaluate(text, identity, system: true, &grant, &deny, &reallow) }
        if let text = userACL { evaluate(text, identity, system: false, &grant, &deny, &reallow) }
        let denied = deny & ~reallow
        return ACLRights(granted: (grant | reallow) & ~denied, denied: denied)
    }

    private static func evaluate(_ text: String, _ identity: VirtualIdentity, system: Bool,
                                 _ grant: inout UInt8, _ deny: inout UInt8, _ reallow: inout UInt8) {
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for i in 0...bytes.count where i == bytes.count || bytes[i] == UInt8(ascii: ",") {
                defer { start = i + 1 }
                let entry = UnsafeBufferPointer(rebasing: bytes[start..<i])
                guard entry.count >= 4, entry[1] == UInt8(ascii: ":"),
                      let colon = entry[2...].firstIndex(of: UInt8(ascii: ":")) else { continue }
                let qualifier = UnsafeBufferPointer(rebasing: entry[2..<colon])
                let matches: Bool
                switch entry[0] {
                case UInt8(ascii: "u"): matches = matchesUser(qualifier, identity)
                case UInt8(ascii: "g"): matches = matchesGroup(qualifier, identity)
                default: matches = false
                }
                guard matches else { continue }
                apply(UnsafeBufferPointer(rebasing: entry[(colon + 1)...]), system: system, &grant, &deny, &reallow)
            }
        }
    }

    /// Applies one matching entry's rights letters.
    private static func apply(_ letters: UnsafeBufferPointer<UInt8>, system: Bool,
                              _ grant: inout UInt8, _ deny: inout UInt8, _ reallow: inout UInt8) {
        var negate = false, plus = false
        for letter in letters {
            if letter == UInt8(ascii: "!") { negate = true; continue }
            if letter == UInt8(ascii: "+") { plus = true; continue }
            defer { negate = false; plus = false }
            guard let right = ACLRight(letter: letter) else { continue }
            if negate {
                deny |= right.rawValue
                if right == .write { deny |= ACLRight.update.rawValue }
            } else if plus {
                if right == .update || (right == .delete && system) { reallow |= right.rawValue }
            } else if right != .delete {
                grant |= right.rawValue
                if right == .write { grant |= ACLRight.update.rawValue }
            }
        }
    }

    private static func matchesUser(_ qualifier: UnsafeBufferPointer<UInt8>, _ identity: VirtualIdentity) -> Bool {
        if let number = decimal(qualifier) { return number == identity.uid }
        return identity.name.utf8.elementsEqual(qualifier)
    }

    private static func matchesGroup(_ qualifier: UnsafeBufferPointer<UInt8>, _ identity: VirtualIdentity) -> Bool {
        if let number = decimal(qualifier) { return identity.isMember(of: number) }
        for name in identity.groupNames where name.utf8.elementsEqual(qualifier) { return true }
        return false
    }

    /// The value of an all-digit qualifier that fits 32 bits; nil for a name.
    private static func decimal(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard !bytes.isEmpty, bytes.count <= 10 else { return nil }
        var value: UInt64 = 0
        for b in bytes {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(b - UInt8(ascii: "0"))
        }
        return value <= UInt64(UInt32.max) ? UInt32(value) : nil
    }
}
