/// The role of a namespace server — the one role type of Beryl: what the namespace lets its clients
/// do, what replication announces (`accepted`, `heartbeat`), what the MGM and its `ns` command show,
/// and (as `master` or `slave`) what a data directory's role tag holds. The raw value is the one
/// text shown to operators (`state=` of the `Replication` line, `ns.master.state`); `mode` gives the
/// `mode=` value, `tagWord` the word of a role tag, `code` the byte on the wire.
///
/// For a namespace (`NamespaceConfiguration.role`, `Namespace.role`): `masterReadWrite` accepts
/// mutations; `slaveReadOnly` is a replica, read-only for its clients while replication appends a
/// master's records to its logs (opened for append); `masterReadOnly` accepts no mutation — booted
/// so, it opens its logs read-only (another process may own them); demoted so at run time
/// (`demote()`), it keeps them open for the replication that may follow.
public enum Role: String, Sendable, CaseIterable {
    /// The master, accepting mutations.
    case masterReadWrite = "master-rw"
    /// A master that refuses mutations (booting, being demoted, or opened read-only).
    case masterReadOnly = "master-ro"
    /// A slave: follows a master's logs, serves reads.
    case slaveReadOnly = "slave-ro"
    /// Between roles (a failover in progress).
    case transition
    /// No usable role (a failed boot or an unreadable role file).
    case invalid

    /// The roles `mode` takes, in the order the metrics list them.
    public static let modes: [Role] = [.masterReadWrite, .masterReadOnly, .slaveReadOnly]

    /// A master, read-write or read-only.
    public var isMaster: Bool { self == .masterReadWrite || self == .masterReadOnly }

    /// The `mode=` of the `Replication` line and `ns.master.mode`: the role this state belongs to
    /// and whether it accepts writes, so mode and state never disagree. A master is `master-rw` or
    /// `master-ro`; every other state is a node that is not (yet) a master, `slave-ro` (a slave in
    /// `transition` is being promoted and accepts no write until it is `master-rw`).
    public var mode: Role { isMaster ? self : .slaveReadOnly }

    /// The word of a role tag (`<dir>/beryl.role`, `beryl-mgm tag`, the `role` config query):
    /// `master` for a master, `slave` for anything else.
    public var tagWord: String { isMaster ? "master" : "slave" }

    /// The role a tag word names: `master` is a read-write master (it opens for writes under the
    /// safe-start rules), `slave` a slave; nil for any other word.
    public init?(tagWord: some StringProtocol) {
        switch tagWord {
        case "master": self = .masterReadWrite
        case "slave": self = .slaveReadOnly
        default: return nil
        }
    }

    /// The byte on the wire (stable: never renumber).
    public var code: UInt8 {
        switch self {
        case .masterReadWrite: return 1
        case .masterReadOnly: return 2
        case .slaveReadOnly: return 3
        case .transition: return 4
        case .invalid: return 5
        }
    }

    /// The role for a wire byte, or nil for an unknown one.
    public init?(code: UInt8) {
        guard let role = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = role
    }
}
