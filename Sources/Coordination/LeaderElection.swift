/// Leader election and the fencing epoch of a master/slave pair in etcd, under one key prefix:
///
/// - `<prefix>/leader`: the holder's name (its `--listen` address), attached to the holder's lease.
///   Created only when absent (a transaction on its create revision), so at most one node holds it;
///   etcd deletes it when the lease is neither renewed nor revoked within its TTL.
/// - `<prefix>/epoch`: the pair's epoch in decimal. Changed only by a transaction that also checks
///   that the caller's lease still holds the leader key, and that the epoch is the one the caller
///   read (compare-and-swap): a node that lost its lease can never move the epoch, and two moves can
///   never both succeed from the same value.
///
/// Every call blocks (see `EtcdClient`); the caller runs the renewal loop on a thread of its own,
/// calling `renew()` every `ttl / 3` and acting as leader only while `validity.isValid(at:)`.
public final class LeaderElection: @unchecked Sendable {
    // @unchecked: the mutable state (lease, validity) is used by the caller's one election thread;
    // `snapshot` copies it under the caller's lock.
    public let client: EtcdClient
    public let prefix: String
    /// This node's name in the leader key.
    public let name: String
    /// The TTL asked for, in seconds.
    public let ttl: Int64

    /// The lease this node holds (granted and, after a won campaign, attached to the leader key).
    public private(set) var lease: EtcdLease?
    /// Until when this node may act as leader by its own clock.
    public private(set) var validity: LeaseValidity

    public var leaderKey: [UInt8] { Array((prefix + "/leader").utf8) }
    public var epochKey: [UInt8] { Array((prefix + "/epoch").utf8) }

    /// `margin`: seconds of the TTL not trusted (see `LeaseValidity`); default a sixth of the TTL,
    /// at least 0.25 s.
    public init(client: EtcdClient, prefix: String, name: String, ttl: Int64, margin: Double? = nil) {
        precondition(ttl >= 1)
        self.client = client
        self.prefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        self.name = name
        self.ttl = ttl
        self.validity = LeaseValidity(margin: margin ?? max(0.25, Double(ttl) / 6))
    }

    /// Who holds the leader key (nil: nobody), and the epoch etcd records (0: never set).
    public struct State: Sendable, Equatable {
        public var holder: String?
        /// The holder's lease (0 when nobody holds the key).
        public var holderLease: Int64
        public var epoch: UInt64
        /// The epoch key's revision, for a compare-and-swap (0: the key does not exist).
        public var epochRevision: Int64
    }

    /// What etcd records now (linearizable reads).
    public func read(timeout: Duration? = nil) throws(EtcdError) -> State {
        let result = try client.transaction(compare: [], success: [.get(key: leaderKey), .get(key: epochKey)], timeout: timeout)
        guard result.results.count == 2, case .get(let leader) = result.results[0], case .get(let epoch) = result.results[1] else {
            throw .malformedAnswer(client.endpoints[0], path: EtcdClient.gatewayPrefix + "/kv/txn", reason: "two gets gave \(result.results.count) results")
        }
        var state = State(holder: nil, holderLease: 0, epoch: 0, epochRevision: 0)
        if let kv = leader.first {
            state.holder = kv.valueText
            state.holderLease = kv.lease
        }
        if let kv = epoch.first {
            guard let value = UInt64(kv.valueText) else {
                throw .malformedAnswer(client.endpoints[0], path: prefix + "/epoch", reason: "\"\(kv.valueText)\" is not an epoch")
            }
            state.epoch = value
            state.epochRevision = kv.modRevision
        }
        return state
    }

    public enum Campaign: Sendable, Equatable {
        /// This node holds the leader key now, with its lease.
        case won(State)
        /// Another node (or an older lease of this one) holds it.
        case held(State)
    }

    /// Tries once to become leader: grants a lease, then creates the leader key with it if nobody
    /// holds it. Won: the validity starts from the grant's send time. Held by another: the lease is
    /// revoked (a standby holds none), and the next campaign grants a new one.
    public func campaign(now: () -> Double, timeout: Duration? = nil) throws(EtcdError) -> Campaign {
        if lease == nil {
            let sent = now()
            let granted = try client.grantLease(ttl: ttl, timeout: timeout)
            lease = granted
            validity.invalidate()
            pendingGrant = (sent, granted.ttl)
        }
        guard let lease else { preconditionFailure("a lease was just granted") }
        let result: EtcdTransactionResult
        do {
            result = try client.transaction(
                compare: [EtcdCompare(key: leaderKey, .equal, .createRevision(0))],
                success: [.put(key: leaderKey, value: Array(name.utf8), lease: lease.id)],
                failure: [], timeout: timeout)
        } catch .server(let endpoint, let path, let status, let code, let message) where code == EtcdClient.notFoundCode {
            // The lease expired between the grant and the transaction (a very slow call).
            self.lease = nil
            pendingGrant = nil
            throw .server(endpoint, path: path, status: status, code: code, message: message)
        }
        var state = try read(timeout: timeout)
        if result.succeeded || (state.holder == name && state.holderLease == lease.id) {
            if let (sent, ttl) = pendingGrant { validity.renewed(sentAt: sent, ttl: ttl) }
            pendingGrant = nil
            state.holder = name
            return .won(state)
        }
        self.lease = nil
        pendingGrant = nil
        try? client.revokeLease(lease.id, timeout: timeout)
        return .held(state)
    }

    /// The grant not yet backed by the leader key (its send time and TTL).
    private var pendingGrant: (Double, Int64)?

    /// One keep-alive of the held lease. False when the lease is gone (expired or revoked): this
    /// node is no longer leader and must campaign again. Throws when no member answered; the
    /// validity then runs out on its own.
    public func renew(now: () -> Double, timeout: Duration? = nil) throws(EtcdError) -> Bool {
        guard let lease else { return false }
        let sent = now()
        let left = try client.keepAlive(lease.id, timeout: timeout)
        guard left > 0 else {
            self.lease = nil
            validity.invalidate()
            return false
        }
        validity.renewed(sentAt: sent, ttl: left)
        return true
    }

    public enum EpochMove: Sendable, Equatable {
        /// etcd now records this epoch.
        case moved(UInt64)
        /// The epoch changed since `state` was read, or this node no longer holds the leader key:
        /// what etcd records now.
        case refused(State)
    }

    /// Moves the epoch from `state` (read while leader) to `newEpoch`, only while this node's lease
    /// holds the leader key and the epoch key is unchanged.
    public func moveEpoch(from state: State, to newEpoch: UInt64, timeout: Duration? = nil) throws(EtcdError) -> EpochMove {
        guard let lease else { return .refused(try read(timeout: timeout)) }
        let result = try client.transaction(
            compare: [EtcdCompare(key: leaderKey, .equal, .lease(lease.id)),
                      EtcdCompare(key: leaderKey, .equal, .value(Array(name.utf8))),
                      EtcdCompare(key: epochKey, .equal, .modRevision(state.epochRevision))],
            success: [.put(key: epochKey, value: Array(String(newEpoch).utf8), lease: 0)],
            failure: [], timeout: timeout)
        return result.succeeded ? .moved(newEpoch) : .refused(try read(timeout: timeout))
    }

    /// Gives the lease up (its leader key goes with it), so the other node can take it at once.
    public func resign(timeout: Duration? = nil) throws(EtcdError) {
        validity.invalidate()
        pendingGrant = nil
        guard let lease else { return }
        self.lease = nil
        try client.revokeLease(lease.id, timeout: timeout)
    }
}
