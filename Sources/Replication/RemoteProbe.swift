import Namespace
import Synchronization
import XRootD

/// What a node says about itself: its role and epoch (from the authenticated sync handshake) and
/// its sync listener.
public struct RemoteStatus: Sendable, Equatable {
    public var state: Role
    public var epoch: UInt64
    /// Its sync listener.
    public var sync: Endpoint?
}

/// Asks the other node of the pair for its role and epoch. Where its sync listener is comes from
/// the XRootD query `sync` (following no redirect or wait: a probe must not be bounced or
/// stalled); the role and epoch come from a sync handshake there, which proves that the answer
/// comes from a holder of the pair's secret (the master's MAC covers its epoch and role). So
/// nobody between the nodes can fence a node with a made-up epoch or make a promotion believe
/// the other node is read-only: a forged or missing answer is "no answer". The prober presents
/// epoch 0 and says `probe` instead of subscribing, so it neither fences the other node nor
/// counts as its follower.
///
/// The supervisor keeps one probe, and so one XRootD connection, for its 1 Hz rounds (each round
/// opens one sync connection); a failed query drops the connection and the next one reconnects.
public final class RemoteProbe: @unchecked Sendable {
    // @unchecked: `client` is guarded by `lock`.
    public let endpoint: Endpoint
    public let timeout: Double
    let secret: SyncSecret
    private let lock = Mutex<XRootDClient?>(nil)

    public init(_ endpoint: Endpoint, secret: SyncSecret, timeout: Double = 1.0) {
        self.endpoint = endpoint
        self.secret = secret
        self.timeout = timeout
    }

    /// The remote's state now; nil when it does not answer or cannot prove the secret.
    public func status() -> RemoteStatus? {
        let sync = lock.withLock { client -> Endpoint? in
            if client == nil { client = Self.connect(endpoint, timeout: timeout) }
            guard let c = client else { return nil }
            guard let sync = Self.syncListener(c) else {
                c.disconnect()
                client = nil
                return nil
            }
            return sync
        }
        return sync.flatMap { Self.handshake(with: $0, secret: secret, timeout: timeout) }
    }

    /// One probe over connections of its own.
    public static func status(of endpoint: Endpoint, secret: SyncSecret, timeout: Double = 1.0) -> RemoteStatus? {
        guard let client = connect(endpoint, timeout: timeout) else { return nil }
        let sync = syncListener(client)
        client.disconnect()
        return sync.flatMap { handshake(with: $0, secret: secret, timeout: timeout) }
    }

    private static func connect(_ endpoint: Endpoint, timeout: Double) -> XRootDClient? {
        let options = XRootDClient.Options(user: "root", connectTimeout: .milliseconds(Int(timeout * 1000)),
                                           requestTimeout: .milliseconds(Int(timeout * 1000)), maximumRedirects: 0,
                                           maximumTotalWait: .zero)
        return try? XRootDClient(endpoint, options: options)
    }

    private static func syncListener(_ client: XRootDClient) -> Endpoint? {
        guard let values = try? client.queryConfig(["sync"]), let text = values.first else { return nil }
        return Endpoint(parsing: text)
    }

    /// The role and epoch the node at `sync` proves in a handshake.
    static func handshake(with sync: Endpoint, secret: SyncSecret, timeout: Double) -> RemoteStatus? {
        guard let socket = try? SyncSocket.connect(host: sync.host, port: sync.port, timeout: timeout) else { return nil }
        defer { socket.close() }
        guard let (epoch, state) = try? SyncHandshake.runSlave(on: socket, secret: secret, epoch: 0, timeout: timeout) else {
            return nil
        }
        try? socket.send(.probe)
        return RemoteStatus(state: state, epoch: epoch, sync: sync)
    }
}
