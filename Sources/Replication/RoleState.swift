/// The replication role of a namespace server, as the master announces it in `accepted` and
/// `heartbeat`. The raw value is the text shown to operators; `code` is the byte on the wire.
public enum RoleState: String, Sendable, CaseIterable {
    /// The master, accepting mutations.
    case masterReadWrite = "master-rw"
    /// A master that refuses mutations (booting, or being demoted).
    case masterReadOnly = "master-ro"
    /// A slave: follows a master's logs, serves reads.
    case slaveReadOnly = "slave-ro"
    /// Between roles (a failover in progress).
    case transition
    /// No usable role (a failed boot or an unreadable role file).
    case invalid

    /// The `mode=` of the `Replication` line and `ns.master.mode`: the role this state belongs to
    /// and whether it accepts writes, so mode and state never disagree. A master is `master-rw` or
    /// `master-ro`; every other state is a node that is not (yet) a master, `slave-ro` (a slave in
    /// `transition` is being promoted and accepts no write until it is `master-rw`).
    public var mode: String {
        switch self {
        case .masterReadWrite: return "master-rw"
        case .masterReadOnly: return "master-ro"
        case .slaveReadOnly, .transition, .invalid: return "slave-ro"
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

    /// The state for a wire byte, or nil for an unknown one.
    public init?(code: UInt8) {
        guard let state = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = state
    }
}
