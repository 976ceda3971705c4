/// How long a lease holder may still act as the holder, by its own monotonic clock, without asking
/// etcd: the rule that lets a master stop acknowledging writes *before* etcd can give its lease to
/// somebody else.
///
/// etcd starts a lease's TTL again when it processes a keep-alive, which is after the holder sent
/// it. So a keep-alive sent at local time `s` that succeeded (etcd answered TTL `t`) proves that the
/// lease lives at least until `s + t` on etcd's clock. The holder counts itself valid until
/// `s + t - margin` on its own monotonic clock; the margin covers the rate difference of the two
/// clocks over one TTL (far below 1 % on any working machine) and the time from a check of
/// `isValid` to the acknowledgement it allows. etcd never revokes a lease early: a new etcd leader
/// extends every lease by its full TTL.
public struct LeaseValidity: Sendable, Equatable {
    /// Seconds subtracted from what etcd guarantees.
    public let margin: Double
    /// The local monotonic time (seconds) up to which the holder may act; 0: not valid.
    public private(set) var validUntil: Double = 0

    public init(margin: Double) {
        precondition(margin >= 0)
        self.margin = margin
    }

    /// A grant or keep-alive sent at `sentAt` (local monotonic seconds, taken *before* sending) was
    /// answered with `ttl` seconds left. An answer with 0 (the lease is gone) invalidates at once.
    public mutating func renewed(sentAt: Double, ttl: Int64) {
        guard ttl > 0 else {
            validUntil = 0
            return
        }
        validUntil = max(validUntil, sentAt + Double(ttl) - margin)
    }

    /// The lease was lost or given up: not valid from now on.
    public mutating func invalidate() { validUntil = 0 }

    public func isValid(at now: Double) -> Bool { now < validUntil }

    /// Seconds left at `now` (0 when not valid).
    public func remaining(at now: Double) -> Double { max(0, validUntil - now) }
}
