import Coordination
import Synchronization
import XRootD

/// `--coordinator etcd://HOST:PORT[,...]`: the pair elects its master through a lease in etcd.
public struct CoordinatorConfiguration: Sendable, Equatable {
    public var endpoints: [EtcdEndpoint]
    /// The keys' prefix (`<prefix>/leader`, `<prefix>/epoch`).
    public var prefix: String
    /// The lease's TTL in seconds; the holder renews every `ttl / 3`.
    public var ttl: Int64

    public static let defaultTTL: Int64 = 3

    /// `prefix` nil: `/beryl/<master1>,<master2>` (sorted), so two pairs sharing one etcd never
    /// share keys.
    public init(url: String, prefix: String?, ttl: Int64 = defaultTTL, masters: (Endpoint, Endpoint)) throws(ReplicationError) {
        do {
            endpoints = try EtcdEndpoint.parseList(url)
        } catch {
            throw .configuration("--coordinator: \(error)")
        }
        guard ttl >= 2 else { throw .configuration("--coordinator-ttl must be at least 2 seconds (renewed every TTL/3)") }
        self.ttl = ttl
        if let prefix {
            guard prefix.hasPrefix("/"), prefix.count > 1 else {
                throw .configuration("--coordinator-prefix must be a key path such as /beryl/<instance>")
            }
            self.prefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        } else {
            self.prefix = "/beryl/" + [masters.0.description, masters.1.description].sorted().joined(separator: ",")
        }
    }

    public var url: String { "etcd://" + endpoints.map(\.description).joined(separator: ",") }
    /// Seconds between renewals of a held lease.
    public var renewInterval: Double { Double(ttl) / 3 }
    /// Seconds between a standby's reads of the leader key (a takeover starts at most this late).
    public var standbyInterval: Double { 0.2 }
}

/// A node's side of the election: the etcd calls (one at a time, by the coordinator thread or a
/// role change) and what the write path and `ns` read without waiting for them.
final class Coordinator: Sendable {
    struct Snapshot: Sendable {
        /// This node may act as master until this monotonic time (see `LeaseValidity`).
        var validUntil = 0.0
        /// What etcd said last.
        var holder: String?
        var epoch: UInt64 = 0
        /// The holder's lease TTL left, as last read (this node's own: from its validity).
        var holderTTLLeft: Double?
        /// When etcd last answered (monotonic seconds), and the last failure since.
        var lastAnswer = 0.0
        var lastError: String?
        /// Step 1 of a manual role change gave the lease up: do not campaign until this node is a
        /// master again by `ns master` (or a slave).
        var standingDown = false
        /// The last problem logged (each distinct one is logged once).
        var trouble: String?
    }

    let configuration: CoordinatorConfiguration
    let name: String
    private let election: LeaderElection
    /// One etcd call of the election at a time.
    private let calls = Mutex<Void>(())
    private let snapshotState = Mutex(Snapshot())

    init(_ configuration: CoordinatorConfiguration, name: String) {
        self.configuration = configuration
        self.name = name
        let client = EtcdClient(endpoints: configuration.endpoints,
                                attemptTimeout: .milliseconds(Int64(configuration.renewInterval * 1000 / 2)),
                                connectTimeout: .milliseconds(250))
        election = LeaderElection(client: client, prefix: configuration.prefix, name: name, ttl: configuration.ttl)
    }

    var snapshot: Snapshot { snapshotState.withLock { $0 } }

    func isValid(at now: Double) -> Bool { snapshotState.withLock { now < $0.validUntil } }

    /// Notes a problem; true when it differs from the last one (so it is logged once).
    func noteTrouble(_ text: String?) -> Bool {
        snapshotState.withLock { s in
            defer { s.trouble = text }
            return s.trouble != text
        }
    }

    var standingDown: Bool {
        get { snapshotState.withLock { $0.standingDown } }
        set { snapshotState.withLock { $0.standingDown = newValue } }
    }

    /// Every etcd call goes through here: bounded by one renew interval, the snapshot updated after.
    private func call<T: Sendable>(_ body: (LeaderElection) throws(EtcdError) -> T) throws(EtcdError) -> T {
        try calls.withLock { _ throws(EtcdError) -> T in
            do throws(EtcdError) {
                let value = try body(election)
                let until = election.validity.validUntil
                snapshotState.withLock {
                    $0.validUntil = until
                    $0.lastAnswer = MonotonicTime.now
                    $0.lastError = nil
                }
                return value
            } catch {
                let until = election.validity.validUntil
                snapshotState.withLock {
                    $0.validUntil = until
                    $0.lastError = error.description
                }
                throw error
            }
        }
    }

    private var timeout: Duration { .milliseconds(Int64(configuration.renewInterval * 1000)) }

    /// Reads the leader key and the epoch (and notes them for `ns`).
    func read() throws(EtcdError) -> LeaderElection.State {
        let state = try call { (e) throws(EtcdError) in try e.read(timeout: timeout) }
        var left: Double?
        if state.holder == name {
            left = snapshotState.withLock { max(0, $0.validUntil - MonotonicTime.now) }
        } else if state.holderLease != 0 {
            left = (try? call { (e) throws(EtcdError) in try e.client.timeToLive(state.holderLease, timeout: timeout) })
                .flatMap { $0 }.map(Double.init)
        }
        snapshotState.withLock {
            $0.holder = state.holder
            $0.epoch = state.epoch
            $0.holderTTLLeft = left
        }
        return state
    }

    /// One renewal: false when etcd says the lease is gone.
    func renew() throws(EtcdError) -> Bool {
        try call { (e) throws(EtcdError) in try e.renew(now: { MonotonicTime.now }, timeout: timeout) }
    }

    /// Takes the lease if nobody holds it (or this node already does), with a valid renewal.
    /// Returns etcd's state with this node as holder, or nil with who holds it.
    func acquire() throws(EtcdError) -> (won: LeaderElection.State?, held: LeaderElection.State?) {
        let outcome = try call { (e) throws(EtcdError) in try e.campaign(now: { MonotonicTime.now }, timeout: timeout) }
        switch outcome {
        case .held(let state):
            snapshotState.withLock {
                $0.holder = state.holder
                $0.epoch = state.epoch
            }
            return (nil, state)
        case .won(let state):
            if !isValid(at: MonotonicTime.now) {
                // Won with a lease granted earlier (etcd came back): renew it before acting on it.
                guard try renew() else { return (nil, state) }
            }
            snapshotState.withLock {
                $0.holder = name
                $0.epoch = state.epoch
                $0.standingDown = false
            }
            return (state, nil)
        }
    }

    /// Moves etcd's epoch (as the holder) to at least `minimum`; the epoch etcd records now.
    func claimEpoch(from state: LeaderElection.State, atLeast minimum: UInt64) throws(EtcdError) -> UInt64? {
        let target = max(minimum, state.epoch + 1)
        let move = try call { (e) throws(EtcdError) in try e.moveEpoch(from: state, to: target, timeout: timeout) }
        guard case .moved(let epoch) = move else { return nil }
        snapshotState.withLock { $0.epoch = epoch }
        return epoch
    }

    /// Records this node's epoch in etcd when etcd holds an older one (a master that held the lease
    /// since before etcd knew the pair).
    func record(epoch: UInt64, from state: LeaderElection.State) throws(EtcdError) -> Bool {
        guard state.epoch < epoch else { return state.epoch == epoch }
        let move = try call { (e) throws(EtcdError) in try e.moveEpoch(from: state, to: epoch, timeout: timeout) }
        if case .moved = move {
            snapshotState.withLock { $0.epoch = epoch }
            return true
        }
        return false
    }

    /// Gives the lease up (step 1 of a manual role change; a stopping master).
    func resign(standDown: Bool) {
        snapshotState.withLock {
            $0.validUntil = 0
            $0.standingDown = standDown
        }
        _ = try? call { (e) throws(EtcdError) in try e.resign(timeout: timeout) }
        snapshotState.withLock { $0.validUntil = 0 }
    }

    /// ` coordinator=... lease-holder=... lease-ttl-left=... coordinator-epoch=...` for `ns`.
    var statusFields: String {
        let s = snapshot
        var text = " coordinator=\(configuration.url) lease-holder=\(s.holder ?? "none")"
        // This node's own lease: what its validity has left (by its clock); another's: etcd's TTL.
        let left = s.holder == name ? max(0, s.validUntil - MonotonicTime.now) : s.holderTTLLeft
        if let left { text += " lease-ttl-left=\(Decimal.fixed(left, places: 1))s" }
        text += " coordinator-epoch=\(s.epoch)"
        if s.lastError != nil { text += " coordinator-answered=\(Decimal.fixed(MonotonicTime.now - s.lastAnswer, places: 1))s-ago" }
        return text
    }
}
