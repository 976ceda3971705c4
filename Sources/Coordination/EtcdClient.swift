import NIOCore
import NIOPosix
import Synchronization

/// The project's client of etcd's v3 API through its JSON gateway (HTTP/1.1 `POST` of JSON to
/// `/v3/...`, etcd 3.4 and later): reads, writes, transactions (compare-and-swap) and leases.
///
/// Every call blocks the calling thread (never an event-loop thread) and tries the members in turn,
/// starting with the last one that answered (after a failure, the one after it), each for at most
/// `attemptTimeout`, all within the
/// call's `timeout` (default: `attemptTimeout` times the number of members). Reads and lease
/// renewals move on to the next member after any failure. Writes (`put`, `delete`, `transaction`,
/// `grantLease`, `revokeLease`) move on only when the failed attempt surely did not take effect (the
/// connection was refused, or the member refused the request); after a timeout or a lost connection
/// they throw at once, since the write may have been applied (`EtcdError.requestNotApplied` is
/// false): the caller re-reads. Reads are linearizable (etcd's default), so a member that lost
/// quorum does not answer them.
public final class EtcdClient: Sendable {
    /// The gateway's path prefix in etcd 3.4 (3.3 used `/v3beta`).
    public static let gatewayPrefix = "/v3"

    public let endpoints: [EtcdEndpoint]
    public let attemptTimeout: Duration
    public let connectTimeout: Duration
    private let group: any EventLoopGroup
    /// The index of the member that answered last: the next call starts there.
    private let preferred = Mutex(0)

    public init(endpoints: [EtcdEndpoint], attemptTimeout: Duration = .seconds(1),
                connectTimeout: Duration = .milliseconds(500),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        precondition(!endpoints.isEmpty, "an etcd client needs at least one member")
        self.endpoints = endpoints
        self.attemptTimeout = attemptTimeout
        self.connectTimeout = connectTimeout
        self.group = group
    }

    /// A client of the members in `etcd://HOST:PORT[,HOST:PORT...]`.
    public convenience init(url: String, attemptTimeout: Duration = .seconds(1)) throws(EtcdError) {
        self.init(endpoints: try EtcdEndpoint.parseList(url), attemptTimeout: attemptTimeout)
    }

    // MARK: Keys

    /// The key's value and revisions, or nil when it does not exist.
    public func get(_ key: [UInt8], timeout: Duration? = nil) throws(EtcdError) -> EtcdKeyValue? {
        let body = EtcdWire.object([("key", EtcdWire.bytes(key))])
        return try call("/kv/range", body, write: false, timeout: timeout) { json throws(WireDefect) in
            try EtcdWire.keyValues(json).first
        }
    }

    /// Writes the key (attached to `lease` unless 0); the store's revision after the write.
    @discardableResult
    public func put(_ key: [UInt8], _ value: [UInt8], lease: Int64 = 0, timeout: Duration? = nil) throws(EtcdError) -> Int64 {
        var members = [("key", EtcdWire.bytes(key)), ("value", EtcdWire.bytes(value))]
        if lease != 0 { members.append(("lease", EtcdWire.int(lease))) }
        return try call("/kv/put", EtcdWire.object(members), write: true, timeout: timeout) { json throws(WireDefect) in
            try EtcdWire.revision(json)
        }
    }

    /// Deletes the key; how many keys were deleted (0 or 1).
    @discardableResult
    public func delete(_ key: [UInt8], timeout: Duration? = nil) throws(EtcdError) -> Int64 {
        let body = EtcdWire.object([("key", EtcdWire.bytes(key))])
        return try call("/kv/deleterange", body, write: true, timeout: timeout) { json throws(WireDefect) in
            try EtcdWire.int64(json, "deleted")
        }
    }

    /// Runs `success` if every comparison holds, else `failure`, atomically.
    public func transaction(compare: [EtcdCompare], success: [EtcdOperation], failure: [EtcdOperation] = [],
                            timeout: Duration? = nil) throws(EtcdError) -> EtcdTransactionResult {
        let body = EtcdWire.transaction(compare: compare, success: success, failure: failure)
        return try call("/kv/txn", body, write: true, timeout: timeout) { json throws(WireDefect) in
            try EtcdWire.transactionResult(json)
        }
    }

    /// Writes `value` only if the key's last change is `expectedModRevision` (0: only if the key does
    /// not exist); otherwise returns what the key holds now.
    public func compareAndSwap(_ key: [UInt8], expectedModRevision: Int64, value: [UInt8], lease: Int64 = 0,
                               timeout: Duration? = nil) throws(EtcdError) -> EtcdSwap {
        let result = try transaction(compare: [EtcdCompare(key: key, .equal, .modRevision(expectedModRevision))],
                                     success: [.put(key: key, value: value, lease: lease)],
                                     failure: [.get(key: key)], timeout: timeout)
        if result.succeeded { return .swapped(revision: result.revision) }
        guard case .get(let current)? = result.results.first else {
            throw .malformedAnswer(endpoints[preferred.withLock { $0 }], path: Self.gatewayPrefix + "/kv/txn",
                                   reason: "a failed compare-and-swap without the key's current value")
        }
        return .conflict(current: current.first)
    }

    // MARK: Leases

    /// A new lease of `ttl` seconds.
    public func grantLease(ttl: Int64, timeout: Duration? = nil) throws(EtcdError) -> EtcdLease {
        let body = EtcdWire.object([("TTL", EtcdWire.int(ttl))])
        return try call("/lease/grant", body, write: true, timeout: timeout) { json throws(WireDefect) in
            if let error = json["error"]?.string, !error.isEmpty { throw WireDefect(reason: "grant refused: \(error)") }
            return EtcdLease(id: try EtcdWire.require(json["ID"]?.int64, "lease ID"), ttl: try EtcdWire.int64(json, "TTL"))
        }
    }

    /// Renews the lease once; the TTL it has again, in seconds, or 0 when it no longer exists
    /// (expired or revoked: its keys are gone).
    public func keepAlive(_ lease: Int64, timeout: Duration? = nil) throws(EtcdError) -> Int64 {
        let body = EtcdWire.object([("ID", EtcdWire.int(lease))])
        return try call("/lease/keepalive", body, write: false, timeout: timeout) { json throws(WireDefect) in
            // A stream of one message: {"result": {...}} (or {"error": {...}}, handled by `call`).
            try EtcdWire.int64(try EtcdWire.require(json["result"], "keep-alive result"), "TTL")
        }
    }

    /// The seconds the lease has left, or nil when it no longer exists.
    public func timeToLive(_ lease: Int64, timeout: Duration? = nil) throws(EtcdError) -> Int64? {
        let body = EtcdWire.object([("ID", EtcdWire.int(lease))])
        return try call("/lease/timetolive", body, write: false, timeout: timeout) { json throws(WireDefect) in
            let ttl = try EtcdWire.int64(json, "TTL")
            return ttl < 0 ? nil : ttl
        }
    }

    // MARK: Cluster

    /// The answering member's own ID and the ID of the raft leader it knows ("0": none), as etcd
    /// writes them (decimal text: member IDs are unsigned 64-bit).
    public func status(timeout: Duration? = nil) throws(EtcdError) -> (member: String, leader: String) {
        try call("/maintenance/status", "{}", write: false, timeout: timeout) { json throws(WireDefect) in
            let header = try EtcdWire.require(json["header"], "header")
            return (try EtcdWire.require(header["member_id"]?.string, "header.member_id"),
                    json["leader"]?.string ?? "0")
        }
    }

    /// Ends the lease now and deletes its keys. A lease that no longer exists is not an error.
    public func revokeLease(_ lease: Int64, timeout: Duration? = nil) throws(EtcdError) {
        let body = EtcdWire.object([("ID", EtcdWire.int(lease))])
        do {
            try call("/lease/revoke", body, write: true, timeout: timeout) { _ throws(WireDefect) in () }
        } catch .server(_, _, _, let code, _) where code == EtcdClient.notFoundCode {
            return
        }
    }

    /// The gRPC code etcd answers for a lease it does not know.
    public static let notFoundCode = 5

    // MARK: Calls

    /// One request, tried member after member as the type's comment says.
    private func call<T>(_ path: String, _ body: String, write: Bool, timeout: Duration?,
                         _ decode: (JSONValue) throws(WireDefect) -> T) throws(EtcdError) -> T {
        let fullPath = Self.gatewayPrefix + path
        let budget = timeout ?? attemptTimeout * endpoints.count
        let deadline = ContinuousClock.now + budget
        let first = preferred.withLock { $0 }
        var attempts: [EtcdError] = []
        for step in 0..<endpoints.count {
            let index = (first + step) % endpoints.count
            let endpoint = endpoints[index]
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { break }
            let attemptBudget = min(attemptTimeout, remaining)
            do throws(EtcdError) {
                let answer = try EtcdHTTPTransport.post(endpoint, path: fullPath, body: Array(body.utf8),
                                                        connectTimeout: min(connectTimeout, attemptBudget),
                                                        timeout: attemptBudget, group: group)
                let json: JSONValue
                do {
                    json = try JSONValue.parse(answer.body)
                } catch {
                    throw EtcdError.malformedAnswer(endpoint, path: fullPath, reason: "HTTP \(answer.status), \(error)")
                }
                if let failure = Self.serverError(json, status: answer.status, endpoint: endpoint, path: fullPath) {
                    throw failure
                }
                guard answer.status == 200 else {
                    throw EtcdError.malformedAnswer(endpoint, path: fullPath, reason: "HTTP \(answer.status) without an error")
                }
                let value: T
                do {
                    value = try decode(json)
                } catch {
                    throw EtcdError.malformedAnswer(endpoint, path: fullPath, reason: error.reason)
                }
                preferred.withLock { $0 = index }
                return value
            } catch {
                if case .server(_, _, _, let code, _) = error, !Self.retryable(code) { throw error }
                // The next call starts with the next member (also after a write given up on here).
                preferred.withLock { if $0 == index { $0 = (index + 1) % endpoints.count } }
                attempts.append(error)
                if write, !error.requestNotApplied { break }
            }
        }
        if attempts.isEmpty {
            attempts.append(.timedOut(endpoints[first], path: fullPath, seconds: 0))
        }
        throw .noMemberAnswered(path: fullPath, attempts: attempts)
    }

    /// gRPC codes worth another member: 4 deadline exceeded, 14 unavailable (no leader, the member is
    /// stopping, a proposal timed out).
    static func retryable(_ code: Int) -> Bool { code == 4 || code == 14 }

    /// The error an answer carries: `{"error": "...", "code": N, "message": "..."}` with an HTTP error
    /// status, or, for streamed calls, `{"error": {"grpc_code": N, "message": "..."}}`.
    static func serverError(_ json: JSONValue, status: Int, endpoint: EtcdEndpoint, path: String) -> EtcdError? {
        guard let error = json["error"] else { return nil }
        if case .object = error {
            let code = error["grpc_code"]?.int64 ?? error["code"]?.int64 ?? 2
            let message = error["message"]?.string ?? "error"
            return .server(endpoint, path: path, status: Int(error["http_code"]?.int64 ?? Int64(status)),
                           code: Int(code), message: message)
        }
        guard status != 200 else { return nil }
        let code = json["code"]?.int64 ?? 2
        let message = json["message"]?.string ?? error.string ?? "error"
        return .server(endpoint, path: path, status: status, code: Int(code), message: message)
    }
}
