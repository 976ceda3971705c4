/// The identity map (`--idmap FILE`): per authentication protocol and name, the uid, gid and groups
/// that replace what the system user database says, like EOS's `vid set map`. One rule a line:
///
///     # <protocol|*> <name|*> uid=<uid|user> [gid=<gid|group>] [groups=<gid|group>,...]
///     sss   alice            uid=1001 gid=1001 groups=2000,2001
///     krb5  bob@EXAMPLE.ORG  uid=bob
///     unix  *                uid=nobody
///
/// `uid=<user>` takes that system user's uid and, unless `gid=`/`groups=` say otherwise, its primary
/// group and supplementary groups; `uid=<number>` takes the system user with that uid the same way
/// (group 65534 and no supplementary groups when there is none). `groups=` lists the supplementary
/// groups (the primary one is always a member). The most specific rule wins: protocol and name, then
/// protocol and `*`, then `*` and name, then `* *`; a name no rule matches goes to the system database,
/// and a name that is not there is `nobody`. Names in the file are resolved when it is loaded: an
/// unknown user or group, a bad number, a repeated rule or an unknown key stops the server at start.
public struct IdentityMap: Sendable, Equatable {
    /// A rule's identity, resolved to numbers.
    public struct Mapping: Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var groups: [UInt32]

        public init(uid: UInt32, gid: UInt32, groups: [UInt32]) {
            self.uid = uid
            self.gid = gid
            self.groups = groups
        }
    }

    struct Key: Hashable, Sendable {
        var protocolName: String
        var name: String
    }

    private var rules: [Key: Mapping] = [:]

    public static let empty = IdentityMap()

    public var isEmpty: Bool { rules.isEmpty }
    public var count: Int { rules.count }

    public init() {}

    /// The rule for a name established by `protocolName`, most specific first; nil: no rule.
    public func mapping(protocolName: String, name: String) -> Mapping? {
        if rules.isEmpty { return nil }
        return rules[Key(protocolName: protocolName, name: name)] ?? rules[Key(protocolName: protocolName, name: "*")]
            ?? rules[Key(protocolName: "*", name: name)] ?? rules[Key(protocolName: "*", name: "*")]
    }

    /// Parses the text of a map; `users` resolves user and group names.
    public init(parsing text: String, users: SystemUsers = .shared) throws(IdentityMapError) {
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            if words.isEmpty { continue }
            guard words.count >= 3 else {
                throw IdentityMapError(line: lineNumber, "expected <protocol> <name> uid=<uid|user> [gid=...] [groups=...]")
            }
            let key = Key(protocolName: words[0], name: words[1])
            guard rules[key] == nil else {
                throw IdentityMapError(line: lineNumber, "a second rule for \(words[0]) \(words[1])")
            }
            var values: [String: String] = [:]
            for word in words.dropFirst(2) {
                let pair = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard pair.count == 2, ["uid", "gid", "groups"].contains(pair[0]), values[String(pair[0])] == nil else {
                    throw IdentityMapError(line: lineNumber, "'\(word)': expected uid=, gid= or groups= (each once)")
                }
                values[String(pair[0])] = String(pair[1])
            }
            guard let uidText = values["uid"] else { throw IdentityMapError(line: lineNumber, "uid= is missing") }
            rules[key] = try Self.mapping(uid: uidText, gid: values["gid"], groups: values["groups"], users: users,
                                          line: lineNumber)
        }
    }

    private static func mapping(uid uidText: String, gid gidText: String?, groups groupsText: String?,
                                users: SystemUsers, line: Int) throws(IdentityMapError) -> Mapping {
        let user: SystemUsers.User
        if let number = UInt32(uidText) {
            user = users.user(uid: number) ?? SystemUsers.User(name: uidText, uid: number, gid: 65534)
        } else if let found = users.user(named: uidText) {
            user = found
        } else {
            throw IdentityMapError(line: line, "unknown user '\(uidText)'")
        }
        var gid = user.gid
        if let gidText {
            guard let value = group(gidText, users) else { throw IdentityMapError(line: line, "unknown group '\(gidText)'") }
            gid = value
        }
        var groups: [UInt32]
        if let groupsText {
            groups = []
            for word in groupsText.split(separator: ",") {
                guard let value = group(String(word), users) else { throw IdentityMapError(line: line, "unknown group '\(word)'") }
                groups.append(value)
            }
        } else if gidText == nil {
            groups = users.groups(of: user)
        } else {
            groups = []
        }
        return Mapping(uid: user.uid, gid: gid, groups: groups)
    }

    private static func group(_ text: String, _ users: SystemUsers) -> UInt32? {
        if let number = UInt32(text) { return number }
        return users.gid(ofGroup: text)
    }
}

/// A line of the identity map that cannot be used.
public struct IdentityMapError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String

    init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}
