import Changelog
import Glibc
import Namespace
import XRootD
import Platform

/// The slave side of changelog shipping: connects to the master's sync listener (found with the
/// XRootD query `sync`), authenticates, subscribes with each log's identity, length, last sequence
/// and tail fingerprint, then appends every verified chunk to the local replica, applies it to
/// the namespace in lock slices (`Namespace.receive`) and acknowledges it. A new log announced with
/// `logHeader` (the master compacted, or our history is not a prefix of its) is fetched alongside
/// and adopted without a reboot. Any failure (corrupt bytes, a lost connection) reconnects and
/// resumes at the local length. Records from a master of a lower epoch than ours are refused.
public final class Follower: @unchecked Sendable {
    // @unchecked: mutable state is guarded by `lock`.
    public struct LogProgress: Sendable, Equatable {
        /// The master's end of the log (from its heartbeats) and ours.
        public var masterEnd: UInt64 = 0
        public var localEnd: UInt64 = 0
        public var sameIdentity = true
        /// Estimated records not applied yet (bytes behind over the log's mean record size).
        public var recordsBehind: UInt64 = 0
        public var bytesBehind: UInt64 { masterEnd > localEnd ? masterEnd - localEnd : 0 }
    }

    public struct Status: Sendable, Equatable {
        public var connected = false
        public var master: Endpoint?
        public var masterState: Role?
        public var masterEpoch: UInt64 = 0
        public var files = LogProgress()
        public var directories = LogProgress()
        /// Age in milliseconds of the newest applied record relative to the master's clock (0 when caught up).
        public var ageMilliseconds: Double = 0
        public var reconnects = 0
        public var corruptChunks = 0
        /// Seconds since the master last said anything (nil: never since this follower started).
        public var secondsSinceContact: Double?
        /// The master's `--sync-replication` and whether it had degraded, as last announced.
        public var masterMode: SyncReplicationMode?
        public var masterDegraded = false
        /// Whether both logs held everything the master last announced.
        public var inSync = false
        /// Records this node holds that the master lacks: following stopped (see `DivergentTail`).
        public var divergence: DivergentTail?
    }

    /// What the follower does with a divergent tail (records the master lacks).
    public enum DivergencePolicy: Sendable {
        /// Stop following and report it (the node stays read-only).
        case refuse
        /// Save the records beside the logs (`DivergentTail.save`), then adopt the master's logs.
        case saveAndDiscard(directory: String, epoch: UInt64)
    }

    private let namespace: Namespace
    private let remote: Endpoint
    private let secret: SyncSecret
    private let epoch: @Sendable () -> UInt64
    private let observedEpoch: @Sendable (UInt64) -> Void
    private let caughtUp: @Sendable () -> Void
    private let divergencePolicy: DivergencePolicy
    private let masterLog: MasterLog
    private let lock = ConditionLock()
    private var status = Status()
    private var stopped = false
    private var socket: SyncSocket?
    private var thread: BackgroundThread<Void>?
    private var lastAppliedMasterTime: UInt64 = 0
    private var lastHeartbeatMasterTime: UInt64 = 0
    /// Monotonic seconds of the master's last message.
    private var lastContact: Double?
    /// Set when a divergent tail stopped following for good (no reconnect).
    private var halted = false
    /// Logs being fetched alongside: the replacement, the master's end when announced, and the
    /// sequence after which to apply (nil: all).
    private var alongside: [LogKind: (log: Changelog, target: UInt64, appliedThrough: SequenceNumber?)] = [:]

    /// Follows `remote` (an MGM's XRootD address) until `stop()`. `epoch` is this node's epoch.
    /// `observedEpoch` is told a master's epoch when it is newer than ours.
    /// `caughtUp` is told (every time) that both logs hold what the master announced; a divergent
    /// tail is handled as `divergence` says.
    public init(namespace: Namespace, remote: Endpoint, secret: SyncSecret, masterLog: MasterLog,
                epoch: @escaping @Sendable () -> UInt64, observedEpoch: @escaping @Sendable (UInt64) -> Void = { _ in },
                caughtUp: @escaping @Sendable () -> Void = {}, divergence: DivergencePolicy = .refuse) {
        self.observedEpoch = observedEpoch
        self.caughtUp = caughtUp
        self.divergencePolicy = divergence
        self.namespace = namespace
        self.remote = remote
        self.secret = secret
        self.masterLog = masterLog
        self.epoch = epoch
    }

    /// Starts the follower thread. When no thread can be created the error is logged and this node
    /// follows nothing (it serves reads of what it holds) until it is restarted.
    public func start() {
        do {
            let started = try BackgroundThread.start(named: "follower") { self.loop() }
            lock.withLock { thread = started }
        } catch {
            masterLog.log(.error, "replication: \(error); this slave does not follow \(remote) until beryl-mgm is restarted")
        }
    }

    public func stop() {
        let (t, s) = lock.withLock { () -> (BackgroundThread<Void>?, SyncSocket?) in
            stopped = true
            lock.broadcast()
            return (thread, socket)
        }
        s?.shutdown()
        t?.join()
        lock.withLock { discardAlongside() }
    }

    public var currentStatus: Status {
        lock.withLock {
            var s = status
            for kind in LogKind.allCases {
                let log = namespace.changelog(kind.contentKind)
                var p = kind == .files ? s.files : s.directories
                p.localEnd = log?.end.rawValue ?? 0
                if let log {
                    let records = log.lastSequence.rawValue &- log.header.baseSequence.rawValue
                    let bytes = max(1, log.end.rawValue - UInt64(RecordFormat.firstRecordOffset))
                    p.recordsBehind = records > 0 ? p.bytesBehind * records / bytes : 0
                }
                if kind == .files { s.files = p } else { s.directories = p }
            }
            s.secondsSinceContact = lastContact.map { MonotonicTime.now - $0 }
            let behind = s.files.bytesBehind > 0 || s.directories.bytesBehind > 0 || !alongside.isEmpty
            s.ageMilliseconds = behind && lastHeartbeatMasterTime > lastAppliedMasterTime
                ? Double(lastHeartbeatMasterTime - lastAppliedMasterTime) / 1e6 : 0
            return s
        }
    }

    /// Waits until both local logs have the identities and reach the ends in `ends` (what the
    /// master reported), or `timeout` passes.
    public func waitUntilApplied(_ ends: [LogEnd], timeout: Double) -> Bool {
        let deadline = MonotonicTime.now + timeout
        return lock.withLock {
            while true {
                let done = ends.allSatisfy { e in
                    guard let log = namespace.changelog(e.kind.contentKind) else { return false }
                    return log.identity.rawValue == e.identity && log.end.rawValue >= e.end
                }
                if done { return true }
                let left = deadline - MonotonicTime.now
                if left <= 0 || stopped { return false }
                _ = lock.wait(seconds: min(left, 0.05))
            }
        }
    }

    /// The master's log ends from its latest heartbeat.
    public var masterEnds: [LogEnd] { lock.withLock { lastEnds } }
    private var lastEnds: [LogEnd] = []

    private var isStopped: Bool { lock.withLock { stopped } }

    // MARK: The loop

    private func loop() {
        var backoff = 0.05
        while !isStopped && !lock.withLock({ halted }) {
            do throws(ReplicationError) {
                try session()
                backoff = 0.05
            } catch {
                if isStopped || lock.withLock({ halted }) { break }
                masterLog.log(.warning, "sync: following \(remote): \(error)")
            }
            lock.withLock {
                status.connected = false
                socket = nil
                discardAlongside()
                if !stopped {
                    status.reconnects += 1
                    _ = lock.wait(seconds: backoff)
                }
            }
            backoff = min(backoff * 2, 1.0)
        }
    }

    private func session() throws(ReplicationError) {
        let query = SyncQuery.syncEndpoint(of: remote)
        guard case .success(let syncEndpoint) = query else {
            throw .connection("\(remote) does not answer the sync query: \(query.failureText)")
        }
        let socket = try SyncSocket.connect(host: syncEndpoint.host, port: syncEndpoint.port, timeout: 2)
        let registered = lock.withLock { () -> Bool in
            if stopped { return false }
            self.socket = socket
            return true
        }
        defer { socket.close() }
        guard registered else { return }
        let ours = epoch()
        let (masterEpoch, state) = try SyncHandshake.runSlave(on: socket, secret: secret, epoch: ours, timeout: 5)
        guard masterEpoch >= ours else {
            throw .epochFenced("\(remote) is at epoch \(masterEpoch), older than ours (\(ours)): its records are refused")
        }
        guard state == .masterReadWrite || state == .masterReadOnly else {
            throw .refused("\(remote) is \(state.rawValue), not a master")
        }
        if masterEpoch > ours { observedEpoch(masterEpoch) }
        var subscriptions: [LogSubscription] = []
        for kind in LogKind.allCases {
            guard let log = namespace.changelog(kind.contentKind) else { throw .refused("the namespace is not booted") }
            let end = log.end
            subscriptions.append(LogSubscription(kind: kind, identity: log.identity.rawValue, length: end.rawValue,
                                                 lastSequence: log.lastSequence.rawValue,
                                                 tailFingerprint: (try? log.tailFingerprint(at: end)) ?? 0))
        }
        try socket.send(.subscribe(subscriptions))
        // What we hold already counts: a caught-up slave is "in sync" (waited for under `always`) at once.
        try socket.send(.acknowledge(subscriptions.map { LogEnd(kind: $0.kind, identity: $0.identity, end: $0.length) }))
        lock.withLock {
            status.connected = true
            status.master = remote
            status.masterEpoch = masterEpoch
            status.masterState = state
        }
        masterLog.log(.info, "sync: following \(remote) (sync \(syncEndpoint), epoch \(masterEpoch), \(state.rawValue))")
        let acknowledger = ReplicaAcknowledger(socket: socket)
        try acknowledger.start()
        defer { acknowledger.stop() }
        while !isStopped {
            guard let message = try socket.receive(timeout: 2.0) else {
                throw .timedOut("no heartbeat from \(syncEndpoint) for 2 s")
            }
            try handle(message, socket: socket, acknowledger: acknowledger, ourEpoch: ours)
        }
    }

    private func handle(_ message: SyncMessage, socket: SyncSocket, acknowledger: ReplicaAcknowledger,
                        ourEpoch: UInt64) throws(ReplicationError) {
        switch message {
        case .heartbeat(let masterEpoch, let state, let time, let ends):
            guard masterEpoch >= ourEpoch else { throw .epochFenced("master epoch fell to \(masterEpoch)") }
            lock.withLock {
                status.masterEpoch = masterEpoch
                status.masterState = state
                lastHeartbeatMasterTime = time
                lastEnds = ends
                for e in ends {
                    let local = namespace.changelog(e.kind.contentKind)
                    var p = e.kind == .files ? status.files : status.directories
                    p.masterEnd = e.end
                    p.sameIdentity = local?.identity.rawValue == e.identity
                    if e.kind == .files { status.files = p } else { status.directories = p }
                }
                if lastAppliedMasterTime == 0 { lastAppliedMasterTime = time }
                lastContact = MonotonicTime.now
                status.inSync = alongside.isEmpty && ends.allSatisfy { e in
                    guard let log = namespace.changelog(e.kind.contentKind) else { return false }
                    return log.identity.rawValue == e.identity && log.end.rawValue >= e.end
                }
                lock.broadcast()
            }
            if lock.withLock({ status.inSync }) { caughtUp() }
        case .data(let kind, let identity, let offset, let time, let bytes):
            try receive(kind, identity: identity, offset: offset, bytes: bytes, acknowledger: acknowledger)
            lock.withLock {
                lastAppliedMasterTime = time
                lastContact = MonotonicTime.now
                lock.broadcast()
            }
        case .logHeader(let kind, let header, let end, let appliedThrough):
            let replacement: Changelog
            do { replacement = try namespace.createReplacement(kind.contentKind, header: header) } catch {
                throw .failed("cannot create the replacement \(kind) log", cause: .namespace(error))
            }
            let through: SequenceNumber? = appliedThrough == 0 ? nil
                : min(SequenceNumber(appliedThrough), namespace.changelog(kind.contentKind)?.lastSequence ?? .zero)
            lock.withLock {
                alongside[kind]?.log.close()
                alongside[kind] = (replacement, end, through)
            }
            masterLog.log(.info, "sync: fetching the master's \(kind) log \(replacement.identity) alongside (\(end) bytes)")
            try adoptIfComplete(kind)
        case .replicationMode(let mode, let degraded):
            lock.withLock {
                status.masterMode = mode
                status.masterDegraded = degraded
                lastContact = MonotonicTime.now
            }
            if degraded { masterLog.log(.warning, "sync: \(remote) announces sync-replication \(mode.rawValue) DEGRADED: "
                                        + "it answers writes without this slave") }
        case .error(let text):
            throw .refused(text)
        case .refused(let reason):
            throw .refused(reason)
        default:
            throw .protocolViolation("unexpected \(message.name) from the master")
        }
    }

    private func receive(_ kind: LogKind, identity: UInt64, offset: UInt64, bytes: [UInt8],
                         acknowledger: ReplicaAcknowledger) throws(ReplicationError) {
        if let a = lock.withLock({ alongside[kind] }), a.log.identity.rawValue == identity {
            do throws(ChangelogError) {
                _ = try withArrayBytes(bytes) { (b) throws(ChangelogError) in try a.log.appendVerbatim(b, at: LogOffset(offset)) }
            } catch {
                lock.withLock { status.corruptChunks += 1 }
                throw .rejected("\(kind) bytes at \(offset) do not verify", cause: .log(error))
            }
            try adoptIfComplete(kind)
            return
        }
        guard let log = namespace.changelog(kind.contentKind), log.identity.rawValue == identity else {
            throw .protocolViolation("data for an unknown \(kind) log \(String(identity, radix: 16))")
        }
        let pending: PendingAcknowledgement
        do throws(NamespaceError) {
            pending = try withArrayBytes(bytes) { (b) throws(NamespaceError) in
                try namespace.receiveDeferringAcknowledgement(kind.contentKind, bytes: b, at: LogOffset(offset)).2
            }
        } catch {
            if case .log(let l) = error, case .corruption = l.code {
                lock.withLock { status.corruptChunks += 1 }
            }
            throw .rejected("\(kind) bytes at \(offset) refused", cause: .namespace(error))
        }
        try acknowledger.enqueue(log, pending, LogEnd(kind: kind, identity: identity, end: offset + UInt64(bytes.count)))
    }

    /// Lock held: closes and removes unfinished fetches (a later one starts over; a promoted node's
    /// compaction needs the `<log>.oc` name free).
    private func discardAlongside() {
        for (_, a) in alongside {
            let path = a.log.path
            a.log.close()
            try? FileSystem.remove(path)
        }
        alongside = [:]
    }

    /// Switches to a log fetched alongside once it holds what the master had when it announced it.
    private func adoptIfComplete(_ kind: LogKind) throws(ReplicationError) {
        guard let a = lock.withLock({ alongside[kind] }), a.log.end.rawValue >= a.target else { return }
        try checkDivergence(kind, replacement: a.log, appliedThrough: a.appliedThrough)
        do { try a.log.sync() } catch {
            throw .failed("adopting the master's \(kind) log failed", cause: .log(error))
        }
        do { _ = try namespace.adopt(kind.contentKind, replacement: a.log, appliedThrough: a.appliedThrough) } catch {
            throw .failed("adopting the master's \(kind) log failed", cause: .namespace(error))
        }
        lock.withLock { alongside[kind] = nil }
        try socket(send: .acknowledge([LogEnd(kind: kind, identity: a.log.identity.rawValue, end: a.log.end.rawValue)]))
    }

    /// Before adopting the master's log: records of ours that it lacks are refused (following
    /// stops, reported) or saved first, as the policy says.
    private func checkDivergence(_ kind: LogKind, replacement: Changelog, appliedThrough: SequenceNumber?) throws(ReplicationError) {
        let report: DivergenceReport
        do { report = try namespace.divergence(of: kind.contentKind, replacement: replacement, appliedThrough: appliedThrough) } catch {
            throw .failed("checking the \(kind) log against the master's", cause: .namespace(error))
        }
        guard !report.isEmpty else { return }
        let tail = DivergentTail(reports: [report])
        switch divergencePolicy {
        case .refuse:
            lock.withLock {
                halted = true
                status.divergence = tail
            }
            masterLog.log(.error, "divergent tail: this node holds \(tail.summary); not following \(remote) "
                          + "(read-only). `ns master \(remote) --discard-divergent` saves them beside the logs and follows")
            throw .refused("divergent tail: \(tail.summary)")
        case .saveAndDiscard(let directory, let epoch):
            let saved = try tail.save(in: directory, epoch: epoch)
            masterLog.log(.warning, "divergent tail: saved \(tail.summary) to \(saved.joined(separator: ", ")); "
                          + "adopting \(remote)'s \(kind) log")
        }
    }

    private func socket(send message: SyncMessage) throws(ReplicationError) {
        guard let s = lock.withLock({ socket }) else { return }
        try s.send(message)
    }
}
