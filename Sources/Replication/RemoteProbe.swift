import XRootD

/// What a node says about itself over XRootD (`kXR_Qconfig` keys `state`, `epoch`, `sync`).
public struct RemoteStatus: Sendable, Equatable {
    public var state: RoleState
    public var epoch: UInt64
    /// Its sync listener.
    public var sync: Endpoint?
}

/// Asks another MGM for its replication state over the XRootD protocol, with one short-lived
/// client and no redirect or wait following (a probe must not be bounced or stalled).
public enum RemoteProbe {
    public static func status(of endpoint: Endpoint, timeout: Double = 1.0) -> RemoteStatus? {
        let options = XRootDClient.Options(user: "root", connectTimeout: .milliseconds(Int(timeout * 1000)),
                                           requestTimeout: .milliseconds(Int(timeout * 1000)), maximumRedirects: 0,
                                           maximumTotalWait: .zero)
        guard let client = try? XRootDClient(endpoint, options: options) else { return nil }
        defer { client.disconnect() }
        guard let values = try? client.queryConfig(["state", "epoch", "sync"]), values.count == 3,
              let state = RoleState(rawValue: values[0]), let epoch = UInt64(values[1]) else { return nil }
        return RemoteStatus(state: state, epoch: epoch, sync: Endpoint(parsing: values[2]))
    }
}
