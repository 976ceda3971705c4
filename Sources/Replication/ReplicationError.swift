/// Everything that can go wrong in the sync protocol: the secret file, bytes that break the
/// protocol, authentication, the transport, and refusals by the peer.
public enum ReplicationError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The shared secret file at `path` cannot be used (missing, wrong type or permissions, empty, too long).
    case secretFile(path: String, reason: String)
    /// Bytes or a message sequence that the protocol does not allow; the reason names the field and length.
    case protocolViolation(String)
    /// The peer's proof does not match the shared secret (or it could not prove anything).
    case authenticationFailed(String)
    /// Connecting, sending or receiving failed, or the peer closed the connection (with the errno text).
    case connection(String)
    /// Nothing, or not enough, arrived in the time allowed.
    case timedOut(String)
    /// The peer refused: a `refused` message with its reason.
    case refused(String)
    /// The peer's epoch shows that this side (or the peer) is stale: a newer master exists.
    case epochFenced(String)
    /// A local file operation failed (role tag, replica logs).
    case io(String)
    /// The pair's configuration is inconsistent (`--listen` is neither master).
    case configuration(String)
    /// The process could not get what the operation needs (a thread: `ThreadStartError`).
    case resources(String)

    public var description: String {
        switch self {
        case .secretFile(let path, let reason): return "sync secret \(path): \(reason)"
        case .protocolViolation(let reason): return "sync protocol violation: \(reason)"
        case .authenticationFailed(let reason): return "sync authentication failed: \(reason)"
        case .connection(let reason): return "sync connection: \(reason)"
        case .timedOut(let what): return "sync timed out: \(what)"
        case .refused(let reason): return "sync refused by peer: \(reason)"
        case .epochFenced(let reason): return "sync epoch fenced: \(reason)"
        case .io(let what): return what
        case .configuration(let what): return "replication configuration: \(what)"
        case .resources(let what): return what
        }
    }
}
