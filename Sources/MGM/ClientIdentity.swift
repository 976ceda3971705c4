import Glibc
import Synchronization

/// Who sent a request: the name established at login (declared, or proven by a security protocol),
/// how it was established, and the connection's origin address.
public struct ClientIdentity: Sendable, Equatable {
    public var user: String
    /// The peer's IP address as text ("127.0.0.1", "::1", ...).
    public var address: String
    public var loggedIn: Bool
    /// How `user` was established: `unix` (declared at login, trusted as declared), `none` (development:
    /// no checks), or the security protocol that proved it (`sss`, `krb5`, ...).
    public var protocolName: String
    /// True when a security protocol proved the name (sss, krb5, ...), false for `unix` and `none`.
    public var authenticated: Bool
    /// Group names the credential carries (sss keytab entries may); empty when the system database decides.
    public var credentialGroups: [String]

    public init(user: String = "", address: String, loggedIn: Bool = false, protocolName: String = "unix",
                authenticated: Bool = false, credentialGroups: [String] = []) {
        self.user = user
        self.address = address
        self.loggedIn = loggedIn
        self.protocolName = protocolName
        self.authenticated = authenticated
        self.credentialGroups = credentialGroups
    }

    /// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback addresses.
    public var isLoopback: Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }
}

/// Owner and group names of stat answers through the system database, cached.
final class UserDirectory: Sendable {
    static let shared = UserDirectory()
    private let users = Mutex<[UInt32: String]>([:])
    private let groups = Mutex<[UInt32: String]>([:])

    func userName(_ uid: UInt32) -> String {
        if let cached = users.withLock({ $0[uid] }) { return cached }
        var entry = passwd(), result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let name = getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0 && result != nil
            ? String(cString: entry.pw_name) : "\(uid)"
        users.withLock { $0[uid] = name }
        return name
    }

    func groupName(_ gid: UInt32) -> String {
        if let cached = groups.withLock({ $0[gid] }) { return cached }
        var entry = group(), result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let name = getgrgid_r(gid, &entry, &buffer, buffer.count, &result) == 0 && result != nil
            ? String(cString: entry.gr_name) : "\(gid)"
        groups.withLock { $0[gid] = name }
        return name
    }
}
