import Glibc
import XRootD

/// The slave's question before each sync session: where is the master's sync listener? Unlike
/// `RemoteProbe.status`, it says why there is no answer, so the master log tells a peer that is
/// down (connection refused) from one that is slow or cut off (timeout).
public enum SyncQuery {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// Nothing listens there: the peer's process is down (or the address is wrong).
        case refused
        /// No connection or no answer within the timeout: a slow, paused or partitioned peer.
        case timedOut(seconds: Double)
        /// No route to the peer's host or network.
        case unreachable(String)
        /// It answered, but not with a sync listener.
        case noSyncListener
        /// Anything else the connection or the answer did.
        case other(String)

        public var description: String {
            switch self {
            case .refused: "connection refused (is it running?)"
            case .timedOut(let seconds): "no answer within \(seconds) s (timeout)"
            case .unreachable(let why): "unreachable: \(why)"
            case .noSyncListener: "it answers but names no sync listener"
            case .other(let why): why
            }
        }
    }

    /// The remote's sync listener, or why it cannot be had.
    public static func syncEndpoint(of endpoint: Endpoint, timeout: Double = 1.0) -> Result<Endpoint, Failure> {
        let options = XRootDClient.Options(user: "root", connectTimeout: .milliseconds(Int(timeout * 1000)),
                                           requestTimeout: .milliseconds(Int(timeout * 1000)), maximumRedirects: 0,
                                           maximumTotalWait: .zero)
        do throws(XRootDError) {
            let client = try XRootDClient(endpoint, options: options)
            defer { client.disconnect() }
            let values = try client.queryConfig(["sync"])
            guard let text = values.first, let sync = Endpoint(parsing: text) else { return .failure(.noSyncListener) }
            return .success(sync)
        } catch {
            return .failure(classify(error, timeout: timeout))
        }
    }

    static func classify(_ error: XRootDError, timeout: Double) -> Failure {
        switch error {
        case .connectionFailed(let what, let code):
            switch code {
            case ECONNREFUSED: return .refused
            case ETIMEDOUT, EINPROGRESS, EAGAIN: return .timedOut(seconds: timeout)
            case EHOSTUNREACH, ENETUNREACH: return .unreachable(String(cString: strerror(code)))
            default: return .other("\(what) failed: \(code == 0 ? "" : String(cString: strerror(code)))")
            }
        case .timedOut: return .timedOut(seconds: timeout)
        default: return .other("\(error)")
        }
    }
}

extension Result where Failure == SyncQuery.Failure {
    /// The failure's text ("" on success).
    public var failureText: String {
        if case .failure(let failure) = self { return failure.description }
        return ""
    }
}
