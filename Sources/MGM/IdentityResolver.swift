import Glibc
import Synchronization

/// Turns the name a connection established at login into a `VirtualIdentity`: the identity map's rule
/// for its protocol and name, else the system user database (uid, primary group, `getgrouplist`), else
/// `nobody`. A credential that carries groups (sss) names them instead of the database. A name
/// established by `unix` (declared, not proven) that maps to uid 0 is root only from loopback or an
/// `--admin-allow` address; from anywhere else it is `nobody`. Under `--auth none` the identity is
/// unchecked (every request allowed). Connections resolve once (the first request after login) and
/// keep the answer; the resolver keeps answers for `lifetime` so a flood of logins does not hit the
/// user database each time.
public final class IdentityResolver: Sendable {
    public let map: IdentityMap
    public let checksPermissions: Bool
    let adminAllow: Set<String>
    let users: SystemUsers
    let lifetime: Duration
    private let cache = Mutex<[CacheKey: (identity: VirtualIdentity, expires: ContinuousClock.Instant)]>([:])

    private struct CacheKey: Hashable {
        var protocolName: String
        var name: String
        var groups: [String]
        var trustedAddress: Bool
    }

    public init(map: IdentityMap = .empty, checksPermissions: Bool = true, adminAllow: Set<String> = [],
                users: SystemUsers = .shared, lifetime: Duration = .seconds(60)) {
        self.map = map
        self.checksPermissions = checksPermissions
        self.adminAllow = adminAllow
        self.users = users
        self.lifetime = lifetime
    }

    /// The resolver a configuration asks for: its `--idmap` file loaded (an unreadable or bad file is
    /// an error) and no checks under `--auth none`.
    public convenience init(configuration: MGMConfiguration) throws(MGMError) {
        var map = IdentityMap.empty
        if let path = configuration.idmap {
            guard let text = Self.read(path) else { throw .io("--idmap \(path): cannot read the file: \(String(cString: strerror(errno)))") }
            do throws(IdentityMapError) {
                map = try IdentityMap(parsing: text)
            } catch {
                throw .identityMap(path: path, error)
            }
        }
        self.init(map: map, checksPermissions: configuration.authentication != ["none"], adminAllow: configuration.adminAllow)
    }

    public func resolve(_ client: ClientIdentity) -> VirtualIdentity {
        let trusted = client.authenticated || client.isLoopback || adminAllow.contains(client.address)
        let key = CacheKey(protocolName: client.protocolName, name: client.user, groups: client.credentialGroups,
                           trustedAddress: trusted)
        let now = ContinuousClock.now
        if let hit = cache.withLock({ $0[key] }), hit.expires > now { return hit.identity }
        var identity = lookUp(client)
        if identity.uid == 0, !trusted { identity = .nobody }
        identity.isChecked = checksPermissions
        cache.withLock { entries in
            if entries.count >= 4096 { entries.removeAll(keepingCapacity: true) }
            entries[key] = (identity, now + lifetime)
        }
        return identity
    }

    private func lookUp(_ client: ClientIdentity) -> VirtualIdentity {
        if let rule = map.mapping(protocolName: client.protocolName, name: client.user) {
            return identity(uid: rule.uid, gid: rule.gid, groups: rule.groups)
        }
        guard !client.user.isEmpty, let user = users.user(named: client.user) else { return .nobody }
        let credential = client.credentialGroups.compactMap { users.gid(ofGroup: $0) }
        if let primary = credential.first {
            return identity(uid: user.uid, gid: primary, groups: Array(credential.dropFirst()))
        }
        return identity(uid: user.uid, gid: user.gid, groups: users.groups(of: user))
    }

    private func identity(uid: UInt32, gid: UInt32, groups: [UInt32]) -> VirtualIdentity {
        let users = users
        return VirtualIdentity(uid: uid, gid: gid, groups: groups, name: users.user(uid: uid)?.name ?? "\(uid)",
                               groupName: { users.groupName($0) ?? "\($0)" })
    }

    private static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n > 0 { bytes += buffer[0..<n] }
            if n < buffer.count { break }
            if bytes.count > 16 << 20 { return nil }
        }
        return ferror(file) != 0 ? nil : String(decoding: bytes, as: UTF8.self)
    }
}
