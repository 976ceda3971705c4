import Namespace

/// Which changelog a message is about. The raw value is the byte on the wire; `allCases` is in
/// shipping order: directories first, so a slave never applies a file whose container it lacks.
public enum LogKind: UInt8, Sendable, CaseIterable {
    case directories = 1
    case files = 2
}

/// What a slave already has of one log, sent in `subscribe` so the master can resume it or decide
/// that it must start over.
public struct LogSubscription: Sendable, Equatable {
    public var kind: LogKind
    /// The identity of the slave's copy of the log (0: the slave has none).
    public var identity: UInt64
    /// The slave's durable length of the log in bytes (where shipping resumes).
    public var length: UInt64
    /// The sequence number of the last record the slave holds.
    public var lastSequence: UInt64
    /// A fingerprint of the slave's last record, so the master can check that their histories agree.
    public var tailFingerprint: UInt64

    public init(kind: LogKind, identity: UInt64, length: UInt64, lastSequence: UInt64, tailFingerprint: UInt64) {
        self.kind = kind
        self.identity = identity
        self.length = length
        self.lastSequence = lastSequence
        self.tailFingerprint = tailFingerprint
    }
}

/// A position in one log: the master's end in `heartbeat`, the slave's durable end in `acknowledge`.
public struct LogEnd: Sendable, Equatable {
    public var kind: LogKind
    /// The identity of the log the offset belongs to.
    public var identity: UInt64
    /// A byte offset in that log.
    public var end: UInt64

    public init(kind: LogKind, identity: UInt64, end: UInt64) {
        self.kind = kind
        self.identity = identity
        self.end = end
    }
}

/// The messages of the sync protocol (master -> slave changelog shipping). The wire format is in
/// docs/REPLICATION.md; `encoded()` and `decode(_:)` are in `SyncMessageCodec.swift`.
///
/// A session: the master sends `challenge`, the slave `proof`, the master `accepted` (or `refused`,
/// then closes); see `SyncHandshake`. Then the slave sends `subscribe`, and the master streams
/// `logHeader` (when the slave must start a log over), `data` and `heartbeat`; the slave answers
/// `acknowledge` as data becomes durable on its side. `error` reports a failure before closing.
public enum SyncMessage: Sendable, Equatable {
    /// Master -> slave, the first message: protocol version, the master's 32-byte nonce, its epoch.
    case challenge(version: UInt16, nonce: [UInt8], epoch: UInt64)
    /// Slave -> master: HMAC(secret, "beryl-sync-slave" ++ master nonce ++ slave nonce ++ epochs),
    /// the slave's 32-byte nonce, the slave's epoch (see `SyncHandshake`).
    case proof(mac: [UInt8], nonce: [UInt8], epoch: UInt64)
    /// Master -> slave: HMAC(secret, "beryl-sync-master" ++ slave nonce ++ master nonce ++ epochs
    /// ++ role), the master's epoch and role. Every frame after it is sealed.
    case accepted(mac: [UInt8], epoch: UInt64, state: Role)
    /// Either way: the peer will not go on (authentication, epoch, version); the sender then closes.
    case refused(reason: String)
    /// Slave -> master: what the slave has of each log.
    case subscribe([LogSubscription])
    /// Master -> slave: a new log follows. `header` is its 64-byte file header; its records follow in
    /// `data` from offset 64 ("fetch alongside"); `end` is the master's end of it now. A slave applies
    /// records with a sequence above `appliedThrough` only (0: apply every record).
    case logHeader(kind: LogKind, header: [UInt8], end: UInt64, appliedThrough: UInt64)
    /// Master -> slave: the bytes of log `identity` at `offset`, as of the master's clock.
    case data(kind: LogKind, identity: UInt64, offset: UInt64, masterTimeNanoseconds: UInt64, bytes: [UInt8])
    /// Master -> slave, when idle: the master's epoch, role, clock and the ends of its logs.
    case heartbeat(epoch: UInt64, state: Role, masterTimeNanoseconds: UInt64, ends: [LogEnd])
    /// Slave -> master: the slave has these logs durably up to these offsets.
    case acknowledge([LogEnd])
    /// Either way: a failure the sender reports before closing.
    case error(message: String)
    /// Master -> slave, after `subscribe` and whenever it changes: what the master's
    /// acknowledgements promise (`--sync-replication`) and whether it has degraded (answered
    /// writes without the slave), so that a forced promotion can report the exposure.
    case replicationMode(SyncReplicationMode, degraded: Bool)
    /// Either node -> the other, instead of `subscribe`: the connection was a probe (`RemoteProbe`),
    /// and the handshake's `accepted` told all it wanted (the epoch and role, under the MAC). The
    /// answering node closes without streaming and does not count the prober as a follower.
    case probe

    /// The current protocol version (sent in `challenge`). 2: the handshake's MACs cover the
    /// epochs and role, and every frame after it is sealed (`SyncFrameCipher`).
    public static let protocolVersion: UInt16 = 2
    /// The size of nonces and MACs in bytes.
    public static let nonceSize = 32
    /// The size of a log file header in `logHeader`.
    public static let logHeaderSize = 64
    /// The largest value of a frame's length field (type byte plus body).
    public static let maximumFrame = 64 << 20 + 4096
    /// The longest string (UTF-8 bytes) in `refused` and `error`; the encoder cuts longer ones.
    public static let maximumStringBytes = 4096
    /// The most entries of an array (`subscribe`, `heartbeat`, `acknowledge`).
    public static let maximumArrayCount = Int(UInt16.max)
    /// The most payload bytes of one `data` message.
    public static let maximumDataBytes = maximumFrame - dataFixedSize

    /// The bytes of a `data` frame's length-counted part before its payload: type, kind, identity,
    /// offset, time, payload length.
    static let dataFixedSize = 1 + 1 + 8 + 8 + 8 + 4

    /// The message's name, for logs and errors ("challenge", "data", ...).
    public var name: String {
        switch self {
        case .challenge: return "challenge"
        case .proof: return "proof"
        case .accepted: return "accepted"
        case .refused: return "refused"
        case .subscribe: return "subscribe"
        case .logHeader: return "logHeader"
        case .data: return "data"
        case .heartbeat: return "heartbeat"
        case .acknowledge: return "acknowledge"
        case .error: return "error"
        case .replicationMode: return "replicationMode"
        case .probe: return "probe"
        }
    }
}
