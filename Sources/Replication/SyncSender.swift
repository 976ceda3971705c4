import Changelog
import Glibc
import Namespace
import Platform
import Synchronization

/// One slave's stream on the master: handshake, then for each log either resume at the slave's
/// length (when its bytes are verifiably a prefix of ours) or start a new log "alongside" with a
/// `logHeader`, then push frames as soon as they are acknowledged (woken by the namespace's change
/// notifier: no polling interval), with a heartbeat whenever idle for `heartbeatInterval`.
final class SyncSender: @unchecked Sendable {
    // @unchecked: `acknowledged`, `streaming` and `epoch` are guarded by `lock`; the rest is
    // touched only by the sender's own thread.
    private let server: SyncServer
    private let socket: SyncSocket
    let peer: String
    private let lock = ConditionLock()
    private var acknowledged: [LogKind: LogEnd] = [:]
    private var streaming = false
    private var slaveEpoch: UInt64 = 0
    private var closed = false
    /// Caught up: durability `always` waits for this slave. Cleared when it fails to acknowledge in
    /// time (it then catches up asynchronously), set again when it acknowledges the master's end.
    private var inSync = false
    /// Per log: the identity and offset the slave has (or will have once the bytes sent arrive).
    private var cursors: [LogKind: LogEnd] = [:]
    static let chunkBytes = 4 << 20

    init(server: SyncServer, socket: SyncSocket, peer: String) {
        self.server = server
        self.socket = socket
        self.peer = peer
    }

    var isStreaming: Bool { lock.withLock { streaming && !closed } }
    var isInSync: Bool { lock.withLock { streaming && !closed && inSync } }

    /// After a slave failed to acknowledge in time: stop waiting for it until it has caught up.
    func markBehind() -> Bool {
        lock.withLock {
            defer { inSync = false }
            return inSync
        }
    }

    var summary: String {
        lock.withLock {
            let acks = LogKind.allCases.compactMap { acknowledged[$0] }.map { "\($0.kind)=\($0.end)" }.joined(separator: ",")
            return "\(peer) epoch=\(slaveEpoch) acknowledged=\(acks.isEmpty ? "-" : acks)"
        }
    }

    func hasAcknowledged(_ ends: [LogEnd]) -> Bool {
        lock.withLock {
            ends.allSatisfy { e in
                // Only an acknowledgement of the same log counts: one of an older log (the slave has
                // not adopted a compaction's output yet) says nothing about the bytes of this one.
                guard let a = acknowledged[e.kind] else { return false }
                return a.identity == e.identity && a.end >= e.end
            }
        }
    }

    func close() {
        lock.withLock { closed = true }
        socket.shutdown()
        // The stream loop may be waiting for a change (up to a heartbeat interval): wake it.
        server.namespace.changeNotifier.bump()
    }

    private var isClosed: Bool { lock.withLock { closed } }

    func run() {
        defer {
            lock.withLock { streaming = false; closed = true }
            socket.close()
        }
        do throws(ReplicationError) {
            try serve()
        } catch {
            if !isClosed { server.masterLog.log(.warning, "sync: slave \(peer): \(error)") }
        }
        if lock.withLock({ streaming }) { server.masterLog.log(.info, "sync: slave \(peer) disconnected") }
    }

    private func serve() throws(ReplicationError) {
        let role = server.role
        let epoch = try SyncHandshake.runMaster(on: socket, secret: server.secret, epoch: role.currentEpoch,
                                                state: role.currentState, timeout: 5)
        if epoch > role.currentEpoch {
            role.fence(byEpoch: epoch, reason: "sync client \(peer) presented epoch \(epoch)")
            try? socket.send(.refused(reason: "this node's epoch \(role.currentEpoch) is older than yours (\(epoch))"))
            return
        }
        guard role.currentState == .masterReadWrite || role.currentState == .masterReadOnly else {
            // (A probe of this node ends here too: `accepted` told it the epoch and role.)
            try? socket.send(.refused(reason: "not a master (\(role.currentState.rawValue))"))
            return
        }
        let first = try socket.receive(timeout: 5)
        if case .probe? = first { return }
        guard case .subscribe(let subscriptions)? = first else {
            throw .protocolViolation("expected subscribe or probe after the handshake, got \(first?.name ?? "nothing in 5 s")")
        }
        // An authenticated follower of our epoch or an older one: the remote is a slave now (a
        // master awaiting its remote at start may open without waiting for the next probe).
        role.followerConnected(epoch: epoch)
        lock.withLock {
            slaveEpoch = epoch
            streaming = true
        }
        server.masterLog.log(.info, "sync: slave \(peer) connected (epoch \(epoch)): "
                             + subscriptions.map { "\($0.kind) \(String($0.identity, radix: 16))@\($0.length)" }.joined(separator: ", "))
        for s in subscriptions { try resume(s) }
        let receiver: BackgroundThread<Void>
        do {
            receiver = try BackgroundThread.start(named: "sync-acknowledgement-reader") { self.receiveAcknowledgements() }
        } catch {
            throw .resources(error, consequence: "connection closed (the slave reconnects)")
        }
        defer {
            close()
            receiver.join()
        }
        try stream()
    }

    /// Decides where the slave's copy of one log stands.
    private func resume(_ s: LogSubscription) throws(ReplicationError) {
        guard let log = server.namespace.changelog(s.kind.contentKind) else { throw .refused("the namespace is not booted") }
        let identity = log.identity.rawValue
        let first = UInt64(RecordFormat.firstRecordOffset)
        if s.identity == identity, s.length >= first, s.length <= log.shippableEnd.rawValue,
           (try? log.tailFingerprint(at: LogOffset(s.length))) == s.tailFingerprint {
            cursors[s.kind] = LogEnd(kind: s.kind, identity: identity, end: s.length)
            return
        }
        // An older log of ours whose prefix the slave holds (an archive kept by compaction): the
        // new log holds every live record with its sequence, so the slave applies those after its own.
        var appliedThrough: UInt64 = 0
        if s.identity != identity, s.length >= first,
           let archive = Changelog.archivedPrefix(of: log.path, identity: LogIdentity(rawValue: s.identity), end: LogOffset(s.length)),
           archive == s.tailFingerprint {
            appliedThrough = s.lastSequence
        }
        try startAlongside(s.kind, log: log, appliedThrough: appliedThrough)
    }

    private func startAlongside(_ kind: LogKind, log: Changelog, appliedThrough: UInt64) throws(ReplicationError) {
        let end = log.shippableEnd.rawValue
        try socket.send(.logHeader(kind: kind, header: log.headerBytes, end: end, appliedThrough: appliedThrough))
        cursors[kind] = LogEnd(kind: kind, identity: log.identity.rawValue, end: UInt64(RecordFormat.firstRecordOffset))
        server.masterLog.log(.info, "sync: slave \(peer) fetches \(kind) log \(log.identity) alongside (\(end) bytes"
                             + (appliedThrough > 0 ? ", same lineage)" : ", full)"))
    }

    private func stream() throws(ReplicationError) {
        let notifier = server.namespace.changeNotifier
        var lastHeartbeat = 0.0
        var lastState = server.role.currentState
        var corruptAt = SyncFaults.corruptDataMessage
        var tamperAt = SyncFaults.tamperDataFrame
        var dataMessages = 0
        var announcedMode: (mode: SyncReplicationMode, degraded: Bool)?
        while !isClosed {
            let mode = server.role.replicationMode
            if announcedMode.map({ $0.mode != mode.mode || $0.degraded != mode.degraded }) ?? true {
                try socket.send(.replicationMode(mode.mode, degraded: mode.degraded))
                announcedMode = mode
            }
            let generation = notifier.current
            let state = server.role.currentState
            guard state == .masterReadWrite || state == .masterReadOnly else {
                try? socket.send(.error(message: "no longer a master (\(state.rawValue))"))
                return
            }
            var sent = false
            for kind in LogKind.allCases {
                guard let log = server.namespace.changelog(kind.contentKind), let cursor = cursors[kind] else { continue }
                if log.identity.rawValue != cursor.identity {
                    // Compaction swapped in a new log: same lineage, so the slave applies what is
                    // after its own last sequence.
                    try startAlongside(kind, log: log, appliedThrough: log.header.predecessor == cursor.identity ? .max : 0)
                    continue
                }
                let limit = log.shippableEnd
                var offset = LogOffset(cursor.end)
                var chunks = 0
                while offset < limit && chunks < 4 {
                    let chunkEnd: LogOffset
                    do { chunkEnd = try log.chunkEnd(from: offset, limit: limit, maximumBytes: Self.chunkBytes) } catch {
                        throw .failed("", cause: .log(error))
                    }
                    guard chunkEnd > offset else { break }
                    let now = MonotonicTime.wallNanoseconds
                    do {
                        try log.withLogBytes(from: offset, to: chunkEnd) { bytes in
                            dataMessages += 1
                            let flipBit = dataMessages == tamperAt && !SyncFaults.tampered.exchange(true, ordering: .relaxed)
                            if flipBit { tamperAt = 0 }
                            let send = { (b: UnsafeRawBufferPointer) throws in
                                try self.socket.sendData(kind: kind, identity: cursor.identity, offset: offset.rawValue,
                                                         masterTimeNanoseconds: now, bytes: b, flipBit: flipBit)
                            }
                            guard dataMessages == corruptAt else { return try send(bytes) }
                            corruptAt = 0
                            var copy = Array(bytes)
                            copy[copy.count / 2] ^= 0x10
                            try copy.withUnsafeBytes { try send($0) }
                        }
                    } catch let error as ReplicationError {
                        throw error
                    } catch let error as ChangelogError {
                        throw .failed("reading \(kind) log", cause: .log(error))
                    } catch {
                        throw .io("reading \(kind) log: \(error)")
                    }
                    offset = chunkEnd
                    chunks += 1
                    sent = true
                }
                cursors[kind]?.end = offset.rawValue
            }
            let now = MonotonicTime.now
            if now - lastHeartbeat >= server.heartbeatInterval || state != lastState {
                try sendHeartbeat(state: state)
                lastHeartbeat = now
                lastState = state
            }
            if !sent { notifier.wait(after: generation, timeout: server.heartbeatInterval) }
        }
    }

    private func sendHeartbeat(state: Role) throws(ReplicationError) {
        let ends = LogKind.allCases.compactMap { kind -> LogEnd? in
            guard let log = server.namespace.changelog(kind.contentKind) else { return nil }
            return LogEnd(kind: kind, identity: log.identity.rawValue, end: log.shippableEnd.rawValue)
        }
        try socket.send(.heartbeat(epoch: server.role.currentEpoch, state: state,
                                   masterTimeNanoseconds: MonotonicTime.wallNanoseconds, ends: ends))
    }

    /// The slave's acknowledgements (and a fencing check on its epoch), on their own thread.
    private func receiveAcknowledgements() {
        while !isClosed {
            do throws(ReplicationError) {
                guard let message = try socket.receive(timeout: 0.5) else { continue }
                switch message {
                case .acknowledge(let ends):
                    let caughtUp = LogKind.allCases.allSatisfy { kind in
                        guard let log = server.namespace.changelog(kind.contentKind) else { return false }
                        let e = ends.first { $0.kind == kind } ?? lock.withLock { acknowledged[kind] }
                        return e?.identity == log.identity.rawValue && e!.end >= log.shippableEnd.rawValue
                    }
                    let joined = lock.withLock { () -> Bool in
                        for e in ends { acknowledged[e.kind] = e }
                        defer { if caughtUp { inSync = true } }
                        return caughtUp && !inSync
                    }
                    if joined { server.masterLog.log(.info, "sync: slave \(peer) is in sync") }
                    server.acknowledgementArrived()
                case .error(let text):
                    server.masterLog.log(.warning, "sync: slave \(peer) reports: \(text)")
                    close()
                default:
                    throw .protocolViolation("unexpected \(message.name) from a slave")
                }
            } catch {
                if !isClosed { server.masterLog.log(.warning, "sync: slave \(peer): \(error)") }
                close()
            }
        }
    }
}

extension LogKind {
    /// The changelog content kind of this log.
    public var contentKind: ContentKind { self == .files ? .files : .directories }
}

/// Faults the sync tests inject into a master's stream (debug builds only, from the environment):
/// `BERYL_FAULT_SYNC_CORRUPT=<n>` flips one bit in the payload of the n-th data message a sender
/// sends before it is sealed (the slave's record checks catch it), `BERYL_FAULT_SYNC_TAMPER=<n>`
/// one bit of the n-th sealed data frame on the wire (the slave's AEAD catches it), once per process.
enum SyncFaults {
    /// Whether the tamper fault has fired.
    static let tampered = Atomic<Bool>(false)
    static var corruptDataMessage: Int { number("BERYL_FAULT_SYNC_CORRUPT") }
    static var tamperDataFrame: Int { number("BERYL_FAULT_SYNC_TAMPER") }

    private static func number(_ name: String) -> Int {
        #if DEBUG
        if let text = getenv(name), let n = Int(String(cString: text)) { return n }
        #endif
        return 0
    }
}
