import Synchronization
import XRootD

/// What a node says about itself over XRootD (`kXR_Qconfig` keys `state`, `epoch`, `sync`).
public struct RemoteStatus: Sendable, Equatable {
    public var state: RoleState
    public var epoch: UInt64
    /// Its sync listener.
    public var sync: Endpoint?
}

/// Asks another MGM for its replication state over the XRootD protocol, following no redirect or
/// wait (a probe must not be bounced or stalled). The supervisor keeps one probe, and so one
/// connection, for its 1 Hz rounds; a failed query drops the connection and the next one reconnects.
public final class RemoteProbe: @unchecked Sendable {
    // @unchecked: `client` is guarded by `lock`.
    public let endpoint: Endpoint
    public let timeout: Double
    private let lock = Mutex<XRootDClient?>(nil)

    public init(_ endpoint: Endpoint, timeout: Double = 1.0) {
        self.endpoint = endpoint
        self.timeout = timeout
    }

    /// The remote's state now; nil when it does not answer.
    public func status() -> RemoteStatus? {
        lock.withLock { client in
            if client == nil { client = Self.connect(endpoint, timeout: timeout) }
            guard let c = client else { return nil }
            guard let status = Self.query(c) else {
                c.disconnect()
                client = nil
                return nil
            }
            return status
        }
    }

    /// One probe over a connection of its own.
    public static func status(of endpoint: Endpoint, timeout: Double = 1.0) -> RemoteStatus? {
        guard let client = connect(endpoint, timeout: timeout) else { return nil }
        defer { client.disconnect() }
        return query(client)
    }

    private static func connect(_ endpoint: Endpoint, timeout: Double) -> XRootDClient? {
        let options = XRootDClient.Options(user: "root", connectTimeout: .milliseconds(Int(timeout * 1000)),
                                           requestTimeout: .milliseconds(Int(timeout * 1000)), maximumRedirects: 0,
                                           maximumTotalWait: .zero)
        return try? XRootDClient(endpoint, options: options)
    }

    private static func query(_ client: XRootDClient) -> RemoteStatus? {
        guard let values = try? client.queryConfig(["state", "epoch", "sync"]), values.count == 3,
              let state = RoleState(rawValue: values[0]), let epoch = UInt64(values[1]) else { return nil }
        return RemoteStatus(state: state, epoch: epoch, sync: Endpoint(parsing: values[2]))
    }
}
