/// Who a request runs as, for permission checks and new entries' owners: the numeric identity an
/// authenticated name maps to (see `IdentityResolver`), like EOS's virtual identity.
public struct VirtualIdentity: Sendable, Equatable, CustomStringConvertible {
    public var uid: UInt32
    public var gid: UInt32
    /// Every group the identity is in: `gid` first, then the supplementary groups (no repeats).
    public var groups: [UInt32]
    /// The user name (matched by `u:<name>:` ACL entries); the uid as text when it has none.
    public var name: String
    /// The names of `groups`, in their order (matched by `g:<name>:` ACL entries).
    public var groupNames: [String]
    /// False under `--auth none`: every request is allowed (development only).
    public var isChecked: Bool

    /// `groups`: the supplementary groups (`gid` is added first); `groupName` names each group.
    public init(uid: UInt32, gid: UInt32, groups: [UInt32] = [], name: String? = nil,
                groupName: (UInt32) -> String = { "\($0)" }, isChecked: Bool = true) {
        self.uid = uid
        self.gid = gid
        var all = [gid]
        for g in groups where !all.contains(g) { all.append(g) }
        self.groups = all
        self.name = name ?? "\(uid)"
        groupNames = all.map(groupName)
        self.isChecked = isChecked
    }

    public static let nobody = VirtualIdentity(uid: 65534, gid: 65534, name: "nobody", groupName: { _ in "nogroup" })
    public static let root = VirtualIdentity(uid: 0, gid: 0, name: "root", groupName: { _ in "root" })

    /// uid 0 passes every check; so does every identity under `--auth none`.
    @inline(__always)
    public var passesEveryCheck: Bool { uid == 0 || !isChecked }

    @inline(__always)
    public func isMember(of group: UInt32) -> Bool {
        for g in groups where g == group { return true }
        return false
    }

    public var description: String {
        "uid=\(uid)(\(name)) gid=\(gid) groups=\(groups.map(String.init).joined(separator: ","))"
    }
}
