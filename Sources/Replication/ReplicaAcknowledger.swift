import Changelog
import Namespace
import Platform

/// The slave's acknowledgements, on their own thread: the follower applies a chunk and hands its
/// pending acknowledgement here, then goes on with the next chunk while this thread waits for the
/// fdatasync that covers it (group commit) and tells the master. So the disk sync of one chunk
/// overlaps the apply of the next, and a master waiting under durability `always` hears as soon as
/// the bytes are durable. Acknowledgements of one log complete in order, so only the newest queued
/// one per log is awaited.
final class ReplicaAcknowledger: @unchecked Sendable {
    // @unchecked: `queue`, `stopped` and `failure` are guarded by `lock`.
    private struct Item {
        var log: Changelog
        var acknowledgement: PendingAcknowledgement
        var end: LogEnd
    }

    private let socket: SyncSocket
    private let lock = ConditionLock()
    private var queue: [Item] = []
    private var stopped = false
    private var failure: ReplicationError?
    private var thread: BackgroundThread<Void>?

    init(socket: SyncSocket) {
        self.socket = socket
    }

    /// Starts the sending thread; throws when none can be created (the sync session then ends).
    func start() throws(ReplicationError) {
        let started: BackgroundThread<Void>
        do {
            started = try BackgroundThread.start(named: "replica-acknowledger") { self.loop() }
        } catch {
            throw .resources(error)
        }
        lock.withLock { thread = started }
    }

    /// Queues an acknowledgement; throws the error that ended the thread, if any.
    func enqueue(_ log: Changelog, _ acknowledgement: PendingAcknowledgement, _ end: LogEnd) throws(ReplicationError) {
        try lock.withLock { () throws(ReplicationError) in
            if let failure { throw failure }
            queue.append(Item(log: log, acknowledgement: acknowledgement, end: end))
            lock.broadcast()
        }
    }

    /// Sends what is queued (once durable) and stops the thread.
    func stop() {
        let t = lock.withLock { () -> BackgroundThread<Void>? in
            stopped = true
            lock.broadcast()
            return thread
        }
        t?.join()
    }

    private func loop() {
        while true {
            let (items, done) = lock.withLock { () -> ([Item], Bool) in
                while queue.isEmpty && !stopped { lock.wait() }
                defer { queue.removeAll(keepingCapacity: true) }
                return (queue, stopped)
            }
            var newest: [LogKind: Item] = [:]
            for item in items { newest[item.end.kind] = item }
            do throws(ReplicationError) {
                for item in newest.values {
                    do { try item.log.waitUntilAcknowledged(item.acknowledgement) } catch {
                        throw .failed("the replica's \(item.end.kind) log cannot be made durable", cause: .log(error))
                    }
                }
                if !newest.isEmpty { try socket.send(.acknowledge(LogKind.allCases.compactMap { newest[$0]?.end })) }
            } catch {
                lock.withLock { failure = error }
                socket.shutdown()
                return
            }
            if done && lock.withLock({ queue.isEmpty }) { return }
        }
    }
}
