import Changelog
import Glibc
import Namespace
import Synchronization
import Platform

/// What the sync server asks of the node that owns it: its epoch and role now, and what to do
/// when a peer shows a higher epoch (fencing).
public protocol SyncRoleSource: Sendable {
    var currentEpoch: UInt64 { get }
    var currentState: Role { get }
    /// A peer presented `epoch`, higher than ours: this node must stop accepting writes.
    func fence(byEpoch epoch: UInt64, reason: String)
    /// What this master's acknowledgements promise, and whether it has degraded (told to slaves).
    var replicationMode: (mode: SyncReplicationMode, degraded: Bool) { get }
    /// An authenticated slave of epoch `epoch` (not newer than ours) started following.
    func followerConnected(epoch: UInt64)
}

/// The master side of changelog shipping: listens on the sync address, authenticates each slave
/// (challenge-response over the shared secret), and runs one `SyncSender` per slave, which
/// streams both logs from where the slave stands and keeps pushing as records are acknowledged.
/// A slave's acknowledgements are kept so that durability `always` can wait for the replica.
public final class SyncServer: @unchecked Sendable {
    // @unchecked: mutable state is guarded by `lock`.
    public let port: Int
    let listener: SyncListener
    let namespace: Namespace
    let secret: SyncSecret
    let role: any SyncRoleSource
    let masterLog: MasterLog
    let heartbeatInterval: Double
    private let lock = ConditionLock()
    private var senders: [Int: SyncSender] = [:]
    private var threads: [Int: BackgroundThread<Void>] = [:]
    private var nextID = 0
    private var stopped = false
    private var acceptThread: BackgroundThread<Void>?

    private init(listener: SyncListener, namespace: Namespace, secret: SyncSecret, role: any SyncRoleSource,
                 masterLog: MasterLog, heartbeatInterval: Double) {
        self.listener = listener
        self.port = listener.port
        self.namespace = namespace
        self.secret = secret
        self.role = role
        self.masterLog = masterLog
        self.heartbeatInterval = heartbeatInterval
    }

    /// Listens on `host:port` and serves slaves until `stop()`.
    public static func start(host: String, port: Int, namespace: Namespace, secret: SyncSecret, role: any SyncRoleSource,
                             masterLog: MasterLog, heartbeatInterval: Double = 0.1) throws(ReplicationError) -> SyncServer {
        let listener = try SyncListener.listen(host: host, port: port)
        let server = SyncServer(listener: listener, namespace: namespace, secret: secret, role: role,
                                masterLog: masterLog, heartbeatInterval: heartbeatInterval)
        do {
            server.acceptThread = try BackgroundThread.start(named: "sync-accept") { server.acceptLoop() }
        } catch {
            listener.close()
            throw .resources(error)
        }
        return server
    }

    /// Slaves connected and past the handshake.
    public var connectedSlaves: Int { lock.withLock { senders.values.filter(\.isStreaming).count } }

    /// One line per connected slave: address, epoch, acknowledged ends (for `ns`).
    public var slaveSummaries: [String] { lock.withLock { senders.values.map(\.summary).sorted() } }

    /// Stops accepting, closes every slave connection and joins the threads.
    public func stop() {
        let (accept, running, all) = lock.withLock { () -> (BackgroundThread<Void>?, [SyncSender], [BackgroundThread<Void>]) in
            stopped = true
            lock.broadcast()
            return (acceptThread, Array(senders.values), Array(threads.values))
        }
        listener.close()
        for sender in running { sender.close() }
        accept?.join()
        for thread in all { thread.join() }
    }

    /// Slaves that are caught up (durability `always` waits for them).
    public var slavesInSync: Int { lock.withLock { senders.values.filter(\.isInSync).count } }

    /// Whether a connected slave has acknowledged (durably written) both logs up to `ends`.
    public func isAcknowledged(_ ends: [LogEnd]) -> Bool {
        lock.withLock { senders.values.contains { $0.isStreaming && $0.hasAcknowledged(ends) } }
    }

    /// Waits until a connected slave has acknowledged both logs up to `ends`, `deadline`
    /// (monotonic seconds) passes, or `giveUp` says so (checked at least every 50 ms). True when
    /// acknowledged.
    public func waitForAcknowledgement(of ends: [LogEnd], until deadline: Double, giveUp: () -> Bool) -> Bool {
        lock.withLock {
            while true {
                if senders.values.contains(where: { $0.isStreaming && $0.hasAcknowledged(ends) }) { return true }
                let left = deadline - MonotonicTime.now
                if left <= 0 || stopped { return false }
                _ = lock.wait(seconds: min(left, 0.05))
                if giveUp() { return false }
            }
        }
    }

    /// Stops counting slaves that missed an acknowledgement as in sync until they catch up again.
    func markLagging(_ ends: [LogEnd], timeout: Double) {
        let lagging = lock.withLock { senders.values.filter { $0.isInSync && !$0.hasAcknowledged(ends) } }
        for sender in lagging where sender.markBehind() {
            masterLog.log(.warning, "sync: slave \(sender.peer) did not acknowledge within \(timeout) s; "
                          + "no longer counted as in sync until it catches up")
        }
    }

    /// Called by a sender when its slave acknowledged more.
    func acknowledgementArrived() { lock.withLock { lock.broadcast() } }

    private func acceptLoop() {
        while !lock.withLock({ stopped }) {
            let accepted: (SyncSocket, peer: String)?
            do throws(ReplicationError) {
                accepted = try listener.accept(timeout: 0.5)
            } catch {
                if lock.withLock({ stopped }) { return }
                masterLog.log(.warning, "sync: accept failed: \(error)")
                usleep(100_000)
                continue
            }
            guard let (socket, peer) = accepted else { continue }
            serve(SyncSender(server: self, socket: socket, peer: peer), socket: socket, peer: peer)
        }
    }

    /// Runs `sender` on its own thread. The thread is started outside the lock, and when none can be
    /// created this one connection is closed and logged (the slave reconnects): a sender run inline
    /// here would hold up the accept loop and, under the lock, every write waiting for replicas.
    private func serve(_ sender: SyncSender, socket: SyncSocket, peer: String) {
        let id: Int? = lock.withLock {
            guard !stopped else { return nil }
            let id = nextID
            nextID += 1
            senders[id] = sender
            return id
        }
        guard let id else {
            socket.close()
            return
        }
        let thread: BackgroundThread<Void>
        do {
            thread = try BackgroundThread.start(named: "sync-sender") {
                sender.run()
                self.finished(id)
            }
        } catch {
            lock.withLock {
                senders[id] = nil
                lock.broadcast()
            }
            socket.close()
            masterLog.log(.error, "sync: slave \(peer): \(error); connection closed (the slave reconnects)")
            return
        }
        // Kept for `stop` to join, unless the sender has already finished or `stop` has already
        // collected the threads: then it is joined here (it has returned, or is about to).
        let joinNow = lock.withLock { () -> Bool in
            guard senders[id] != nil, !stopped else { return true }
            threads[id] = thread
            return false
        }
        if joinNow { thread.join() }
    }

    private func finished(_ id: Int) {
        lock.withLock {
            senders[id] = nil
            // The thread object stays until `stop` joins it; finished ones are dropped here.
            if !stopped { threads[id] = nil }
            lock.broadcast()
        }
    }
}

/// Monotonic seconds.
enum MonotonicTime {
    static var now: Double { SystemClock.monotonicSeconds() }

    /// Wall-clock nanoseconds since 1970 (what messages carry as the master's clock).
    static var wallNanoseconds: UInt64 { SystemClock.wallNanoseconds() }
}
