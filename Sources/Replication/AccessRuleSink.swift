import XRootD

/// The rules the supervisor owns (it never touches other scopes an operator set).
public struct SupervisorRules: Sendable, Equatable {
    /// Redirect mutations (`w:*`) to this master.
    public var redirectWrites: Endpoint?
    /// Redirect requests whose answer would be ENOENT (`ENOENT:*`) to this master.
    public var redirectMissing: Endpoint?
    /// Stall mutations (`w:*`) for this many seconds.
    public var stallWrites: Int?

    public init(redirectWrites: Endpoint? = nil, redirectMissing: Endpoint? = nil, stallWrites: Int? = nil) {
        self.redirectWrites = redirectWrites
        self.redirectMissing = redirectMissing
        self.stallWrites = stallWrites
    }
}

/// Where a replication node puts what its role requires of the server's requests: the MGM's access
/// rules (`AccessControl`, an MGM policy) implement it. The node decides (stall writes while a
/// read-only master, redirect to the master while a slave, refuse mutations while the disk is
/// short); the server answers requests by them.
public protocol AccessRuleSink: AnyObject, Sendable {
    /// Stall mutations (`w:*`) for `seconds`, or (nil) remove that stall.
    func setWriteStall(seconds: Int?)
    /// Installs the supervisor's rules in one step: its redirects of `w:*` and `ENOENT:*` replace
    /// the current ones; its `w:*` stall is installed, or, when it has none, the current one is
    /// removed unless `keepingWriteStall` (a read-only master keeps its stall).
    func install(_ rules: SupervisorRules, keepingWriteStall: Bool)
    /// The data disk's figures while it is below its minimum free space (mutations are then refused
    /// with `kXR_NoSpace`); nil when space is back.
    func setDiskShortage(_ space: DiskSpace?)
}
