/// Everything that can go wrong talking to etcd: each failure names the member and the reason, and a
/// call that tried several members keeps every attempt's failure.
public enum EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A coordinator URL that is not `etcd://HOST:PORT[,HOST:PORT...]`.
    case invalidURL(String, reason: String)
    /// The TCP connection to the member failed (refused, unreachable, not within the connect
    /// timeout): the request was never sent.
    case unreachable(EtcdEndpoint, reason: String)
    /// The request was sent and no whole answer came within `seconds` (a member without quorum, a
    /// paused or cut-off member): it may or may not have been applied.
    case timedOut(EtcdEndpoint, path: String, seconds: Double)
    /// The connection broke after the request was sent: it may or may not have been applied.
    case connectionLost(EtcdEndpoint, path: String, reason: String)
    /// The member answered with an error (the gateway's HTTP status, the gRPC code and message:
    /// 14 "etcdserver: no leader", 5 "requested lease not found", ...).
    case server(EtcdEndpoint, path: String, status: Int, code: Int, message: String)
    /// The member's answer is not the JSON the request expects.
    case malformedAnswer(EtcdEndpoint, path: String, reason: String)
    /// Every member was tried and none gave an answer; one failure per attempt, in the order tried.
    case noMemberAnswered(path: String, attempts: [EtcdError])

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            return "coordinator URL \(url): \(reason)"
        case .unreachable(let endpoint, let reason):
            return "etcd \(endpoint): cannot connect: \(reason)"
        case .timedOut(let endpoint, let path, let seconds):
            return "etcd \(endpoint) \(path): no answer within \(Self.format(seconds)) s (no quorum, or the member is paused or cut off)"
        case .connectionLost(let endpoint, let path, let reason):
            return "etcd \(endpoint) \(path): connection lost before the answer: \(reason)"
        case .server(let endpoint, let path, let status, let code, let message):
            return "etcd \(endpoint) \(path): \(message) (HTTP \(status), code \(code))"
        case .malformedAnswer(let endpoint, let path, let reason):
            return "etcd \(endpoint) \(path): unexpected answer: \(reason)"
        case .noMemberAnswered(let path, let attempts):
            return "etcd \(path): no member answered: " + attempts.map(\.description).joined(separator: "; ")
        }
    }

    /// True when the request surely did not take effect: it was never sent, or the member refused it.
    /// A write that `timedOut`, lost its connection, got an answer it cannot read, or gRPC code 4 (deadline exceeded) or 14
    /// (unavailable: "etcdserver: request timed out" after the proposal) may have been applied.
    public var requestNotApplied: Bool {
        switch self {
        case .invalidURL, .unreachable: return true
        case .server(_, _, _, let code, _): return code != 4 && code != 14
        case .timedOut, .connectionLost, .malformedAnswer: return false
        case .noMemberAnswered(_, let attempts): return attempts.allSatisfy(\.requestNotApplied)
        }
    }

    /// True when this failure, or one of its attempts, is a member that did not answer in time (the
    /// symptom of a cluster without quorum, seen from a member that is still up).
    public var isTimeout: Bool {
        switch self {
        case .timedOut: return true
        case .noMemberAnswered(_, let attempts): return attempts.contains(where: \.isTimeout)
        default: return false
        }
    }

    static func format(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
