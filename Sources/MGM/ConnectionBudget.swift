import Synchronization
import XRootD

/// What the connections may make the server hold, so that no client (or many) can starve it:
/// - before login a request may carry at most `preLoginPayload` bytes (a login needs a few hundred);
///   a longer frame closes the connection as soon as its header arrives, before its payload is read;
/// - after login one request carries at most `maximumPayload` bytes; a connection holding more than
///   `perConnection` bytes of requests (a partial frame and complete ones waiting) is not read until
///   its queue drains;
/// - all connections together hold at most `serverWide` bytes beyond `allowancePerConnection` each
///   (ordinary requests, a path or two, never count); a partial request that would pass it is refused
///   with `kXR_Overloaded` and its remaining payload skipped unbuffered (the connection stays up);
/// - at most `maximumConnections` connections: a further one is answered with `kXR_Overloaded` and
///   closed (`ConnectionRefuser`).
struct ConnectionLimits: Sendable {
    var maximumConnections: Int
    var preLoginPayload: Int
    var maximumPayload: Int
    var perConnection: Int
    var serverWide: Int
    static let allowancePerConnection = 64 << 10
}

/// The server-wide count of request bytes buffered beyond each connection's allowance.
final class RequestBufferBudget: Sendable {
    let limit: Int
    private let used = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    var current: Int { used.load(ordering: .relaxed) }

    /// Adds `delta` unless that passes the limit (a release, `delta <= 0`, always succeeds); true when added.
    func charge(_ delta: Int) -> Bool {
        if delta <= 0 {
            used.add(delta, ordering: .relaxed)
            return true
        }
        var seen = used.load(ordering: .relaxed)
        while seen + delta <= limit {
            let (exchanged, original) = used.compareExchange(expected: seen, desired: seen + delta, ordering: .relaxed)
            if exchanged { return true }
            seen = original
        }
        return false
    }

    /// Adds `delta` whatever the limit (complete requests already received: they drain on their own).
    func force(_ delta: Int) { used.add(delta, ordering: .relaxed) }
}

/// One connection's buffered request bytes (partial frame in its decoder, complete frames in its
/// queue) and what it has charged to the server-wide budget. Used on the connection's event loop only.
struct ConnectionBuffers {
    let budget: RequestBufferBudget
    let perConnection: Int
    /// Bytes of the complete frames waiting in the queue (header and payload).
    private(set) var queuedBytes = 0
    private var charged = 0

    init(budget: RequestBufferBudget, perConnection: Int) {
        self.budget = budget
        self.perConnection = perConnection
    }

    mutating func queued(_ frame: RequestFrame) { queuedBytes += RequestHeader.length + frame.payload.count }
    mutating func dequeued(_ frame: RequestFrame) { queuedBytes -= RequestHeader.length + frame.payload.count }

    /// Whether reading should pause: past the connection's budget with complete requests waiting
    /// (they drain; a connection with none waiting is always read, its partial frame is bounded by
    /// `maximumPayload`).
    func isOverConnectionBudget(decoderBytes: Int, queueIsEmpty: Bool) -> Bool {
        !queueIsEmpty && decoderBytes + queuedBytes > perConnection
    }

    /// Charges the budget for what is held now; false (nothing charged) when that would pass the
    /// server-wide limit.
    mutating func settle(decoderBytes: Int) -> Bool {
        let wanted = max(0, decoderBytes + queuedBytes - ConnectionLimits.allowancePerConnection)
        // Ordinary connections stay within their allowance: no shared atomic touched per read.
        if wanted == charged { return true }
        guard budget.charge(wanted - charged) else { return false }
        charged = wanted
        return true
    }

    /// Charges what is held whatever the limit.
    mutating func forceSettle(decoderBytes: Int) {
        let wanted = max(0, decoderBytes + queuedBytes - ConnectionLimits.allowancePerConnection)
        if wanted != charged { budget.force(wanted - charged) }
        charged = wanted
    }

    /// The connection closed: gives everything back.
    mutating func releaseAll() {
        if charged != 0 { budget.force(-charged) }
        charged = 0
        queuedBytes = 0
    }
}
