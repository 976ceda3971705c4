import Glibc
import Logging
import NIOCore
import NIOPosix
import Synchronization
import XRootD

/// One client connection: the framing of its byte stream (handshake, then requests; a malformed handshake
/// or an oversized length closes the connection), the session (kXR_protocol, kXR_login, kXR_ping,
/// kXR_endsess), its open files (kXR_read, kXR_close), and the namespace requests, which run one at a time
/// per connection, in arrival order: reads on the event loop, mutations on the thread pool (so a blocking
/// log append never stalls the event loop) unless `RequestPlacement` says otherwise. Requests that arrive
/// while one runs on the pool are queued; past `maximumQueuedRequests` the connection is no longer read
/// until the queue drains. Answers to the requests of one socket read are flushed together.
///
/// Backpressure: while the channel is not writable (its unsent answers passed the high watermark,
/// because the client does not read them), no queued request is executed and the connection is not read;
/// both resume when the channel becomes writable again. So a client that pipelines requests and never
/// reads holds at most one request's answer beyond the watermark, not an answer per request.
///
/// Request bytes are bounded before and after login, per connection and server-wide (`ConnectionLimits`).
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let executor: RequestExecutor
    private let pool: NIOThreadPool
    private let tracker: InFlightTracker
    let logger: Logger
    let metrics: RequestMetrics?
    private let maximumQueued: Int
    private let maximumOpenFiles: Int
    let maximumPayload: Int
    private var buffers: ConnectionBuffers
    private let idleTimeout: TimeAmount?
    /// When a request last arrived (for the idle timeout).
    private var lastActivity = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?
    private let readsInline: Bool
    private let mutationsInline: Bool
    var decoder: RequestFrameDecoder
    /// Inside a batch (a socket read, or a pool completion and the requests it unblocks): answers are
    /// gathered in `outbound` and written and flushed once at its end (ConnectionHandler+Output.swift).
    var batching = false
    var unflushed = false
    /// The answers of the current batch not yet handed to the channel.
    var outbound: ByteBuffer?

    var identity: ClientIdentity
    /// `identity` resolved to uid, gid and groups: once per login, at its first request.
    private var resolved: (client: ClientIdentity, identity: VirtualIdentity)?
    var gate: AuthenticationGate
    /// Closes the connection when its authentication exchange is not complete in time.
    var authenticationDeadline: Scheduled<Void>?
    /// TLS offered on this port (nil: none), and whether this connection switched to it.
    let tls: ClientTLS?
    var tlsActive = false
    private var sessionID: [UInt8] = []
    var queue = CircularBuffer<RequestFrame>()
    private var busy = false
    private var readHeld = false
    var closed = false
    private var files: [UInt32: OpenedFile] = [:]
    private var nextHandle: UInt32 = 1

    init(executor: RequestExecutor, pool: NIOThreadPool, tracker: InFlightTracker, logger: Logger,
         address: String, limits: ConnectionLimits, budget: RequestBufferBudget, maximumQueued: Int, maximumOpenFiles: Int,
         idleTimeout: Duration? = nil, readsInline: Bool, mutationsInline: Bool,
         authentication: AuthenticationService? = nil, declaredProtocol: String = "unix", tls: ClientTLS? = nil) {
        self.executor = executor
        self.pool = pool
        self.tracker = tracker
        self.maximumPayload = limits.maximumPayload
        buffers = ConnectionBuffers(budget: budget, perConnection: max(limits.perConnection, limits.maximumPayload))
        metrics = executor.metrics
        self.maximumQueued = maximumQueued
        self.maximumOpenFiles = maximumOpenFiles
        self.idleTimeout = idleTimeout.map { .nanoseconds(Int64($0.components.seconds) * 1_000_000_000 + $0.components.attoseconds / 1_000_000_000) }
        self.readsInline = readsInline
        self.mutationsInline = mutationsInline
        // Until login, a frame longer than a login needs closes the connection (raised at login).
        decoder = RequestFrameDecoder(start: .handshake, maximumPayload: min(limits.preLoginPayload, limits.maximumPayload))
        identity = ClientIdentity(address: address)
        gate = AuthenticationGate(service: authentication, declaredProtocol: declaredProtocol, address: address)
        self.tls = tls
        var logger = logger
        logger[metadataKey: "peer"] = "\(address)"
        self.logger = logger
    }

    // MARK: Channel events

    func channelActive(context: ChannelHandlerContext) {
        metrics?.connectionOpened()
        gate.remote = context.channel.remoteAddress
        executor.state.counters.connectionOpened()
        scheduleIdleCheck(context)
        context.fireChannelActive()
    }

    /// Closes the connection when nothing arrived for `idleTimeout` and nothing is in progress.
    private func scheduleIdleCheck(_ context: ChannelHandlerContext) {
        guard let timeout = idleTimeout, !closed else { return }
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: lastActivity + timeout) {
            guard !self.closed else { return }
            if !self.busy, self.queue.isEmpty, NIODeadline.now() >= self.lastActivity + timeout {
                self.logger.info("closing idle connection", metadata: ["user": "\(self.identity.user)"])
                self.closed = true
                context.close(promise: nil)
            } else {
                if self.busy || !self.queue.isEmpty { self.lastActivity = NIODeadline.now() }
                self.scheduleIdleCheck(context)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = NIODeadline.now()
        let bytes = unwrapInboundIn(data)
        decoder.append(bytes.readableBytesView)
        batching = true
        do throws(XRootDError) {
            // Every complete message before asking for more: the decoder holds the bytes now.
            while let message = try decoder.next() {
                switch message {
                case .handshake:
                    write(context, ServerHandshake().encode())
                    flush(context)
                case .request(let frame):
                    queue.append(frame)
                    buffers.queued(frame)
                    pump(context)
                }
            }
            settleBuffers(context)
        } catch {
            endBatch(context)
            if case .frameTooLarge(let length, let limit) = error, !identity.loggedIn || gate.pending {
                let when = identity.loggedIn ? "before authentication" : "before login"
                logger.warning("closing connection: a request of \(length) bytes \(when) (at most \(limit) \(when))")
                if let header = decoder.oversizedHeader {
                    respond(context, header.streamID, [.error(ServerError(code: .argTooLong, message:
                        "request of \(length) bytes \(when) (at most \(limit)): closing the connection"))])
                    flushNow(context)
                }
                closed = true
                context.close(promise: nil)
                return
            }
            errorCaught(context: context, error: error)
        }
    }

    /// Charges what this connection buffers to the server-wide budget; when that is exhausted, the
    /// partial request is refused (`kXR_Overloaded`) and the rest of its payload skipped unbuffered.
    private func settleBuffers(_ context: ChannelHandlerContext) {
        if buffers.settle(decoderBytes: decoder.bufferedByteCount) { return }
        if let header = decoder.discardPendingFrame() {
            let name = RequestID(rawValue: header.requestCode)?.name ?? "request \(header.requestCode)"
            let message = "Unable to \(name); the server holds too many partially received requests "
                + "(\(buffers.budget.current) bytes of all connections, limit \(buffers.budget.limit)): retry later"
            logger.warning("refusing a request of \(header.payloadLength) bytes: request buffers full",
                           metadata: ["buffered": "\(buffers.budget.current)", "limit": "\(buffers.budget.limit)"])
            respond(context, header.streamID, [.error(ServerError(code: .overloaded, message: message))])
        }
        buffers.forceSettle(decoderBytes: decoder.bufferedByteCount)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        endBatch(context)
        context.fireChannelReadComplete()
    }

    private func endBatch(_ context: ChannelHandlerContext) {
        batching = false
        if unflushed { flushNow(context) }
    }

    func read(context: ChannelHandlerContext) {
        if mustHoldReads(context) {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// Not read while the queue is full, the client does not take its answers, or the connection
    /// holds more request bytes than its budget (with requests waiting, which drain).
    private func mustHoldReads(_ context: ChannelHandlerContext) -> Bool {
        queue.count >= maximumQueued || !context.channel.isWritable
            || buffers.isOverConnectionBudget(decoderBytes: decoder.bufferedByteCount, queueIsEmpty: queue.isEmpty)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { pump(context) }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.warning("closing connection: \(error)")
        closed = true
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        metrics?.connectionClosed()
        executor.state.counters.connectionClosed()
        closed = true
        idleCheck?.cancel()
        idleCheck = nil
        queue.removeAll()
        buffers.releaseAll()
        files.removeAll()
        gate.end()
        authenticationDeadline?.cancel()
        logger.debug("connection closed", metadata: ["user": "\(identity.user)"])
        context.fireChannelInactive()
    }

    // MARK: Requests

    private func pump(_ context: ChannelHandlerContext) {
        // Not while the client is not taking its answers (see the type's comment).
        while !busy, !closed, context.channel.isWritable, let frame = queue.popFirst() {
            buffers.dequeued(frame)
            handle(frame, context)
        }
        if !closed { _ = buffers.settle(decoderBytes: decoder.bufferedByteCount) }
        if readHeld, !closed, !mustHoldReads(context) {
            readHeld = false
            context.read()
        }
    }

    private func handle(_ frame: RequestFrame, _ context: ChannelHandlerContext) {
        let stream = frame.header.streamID
        metrics?.received(frame.header.requestCode)
        if frame.header.requestCode == RequestID.auth.rawValue || gate.pending {
            guard authenticate(frame, context) else { return }
        }
        executor.state.counters.received(frame.header.requestCode)
        if frame.header.requestCode == RequestID.locate.rawValue {
            locate(frame, context)
            return
        }
        let request: XRootDRequest
        do throws(XRootDError) {
            request = try XRootDRequest(frame: frame)
        } catch {
            respond(context, stream, [.error(Self.refusal(error, code: frame.header.requestCode))])
            return
        }
        switch request {
        case .protocol(let p):
            // TLS as the stock server: offered to an able client, switched to when it wants it (roots://).
            let offered = tls != nil && !tlsActive && p.flags.contains(.ableTLS)
            let switching = offered && p.flags.contains(.wantTLS)
            let flags: ServerFlags = offered ? (switching ? [.isServer, .haveTLS, .gotoTLS] : [.isServer, .haveTLS]) : [.isServer]
            respond(context, stream, [.ok(ProtocolResponse(flags: flags).encode())])
            if switching { startTLS(context) }
        case .login(let login):
            guard let token = gate.login(login.user, identity: &identity) else {
                logger.warning("closing connection: more than \(AuthenticationGate.maximumLogins) logins")
                respond(context, stream, [.error(ServerError(code: .invalidRequest, message:
                    "more than \(AuthenticationGate.maximumLogins) logins on one connection: closing it"))])
                return closeAfterAnswers(context)
            }
            // Until the exchange completes, a frame longer than a credential needs closes the connection.
            decoder.maximumPayload = gate.pending ? min(AuthenticationGate.maximumCredential, maximumPayload) : maximumPayload
            sessionID = SessionIDs.next()
            logger.info("login", metadata: ["user": "\(login.user)", "pid": "\(login.processID)",
                                            "auth": "\(gate.pending ? "required" : identity.protocolName)"])
            if gate.pending { scheduleAuthenticationDeadline(context) }
            respond(context, stream, [.ok(LoginResponse(sessionID: sessionID).encode() + token)])
        case .ping:
            respond(context, stream, [.ok([])])
        case .endsess(let session):
            if session == sessionID {
                // As the stock server: ending the session in use closes the connection without an answer
                // (after the answers written before it).
                closeAfterAnswers(context)
            } else {
                respond(context, stream, [.ok([])])
            }
        case .read(let r):
            respond(context, stream, [read(r)])
        case .close(let handle):
            let removed = files.removeValue(forKey: handle.value) != nil
            respond(context, stream, [removed ? .ok([]) : Self.notOpen(handle)])
        case .stat(let r) where r.path.isEmpty:
            respond(context, stream, [statOpenFile(r.handle)])
        default:
            guard identity.loggedIn else {
                respond(context, stream, [.error(ServerError(code: .notAuthorized, message: "login required"))])
                return
            }
            if case .open(let r) = request, files.count >= maximumOpenFiles {
                // Refused before it runs (a creating open would otherwise make its entry first).
                let message = "Unable to open \(RequestExecutor.plain(r.path)); too many open files "
                    + "(\(maximumOpenFiles) on this connection: close some)"
                respond(context, stream, [.error(ServerError(code: XRootDErrorCode(errno: EMFILE), message: message))])
                return
            }
            switch HandleResolution.resolve(request, files: files, executor: executor, client: identity) {
            case .answer(let body)?: respond(context, stream, [body])
            case .execute(let resolved)?: execute(resolved, stream, context)
            case .work(let work)?: runOnPool(stream, context, work)
            case nil: execute(request, stream, context)
            }
        }
    }

    private func execute(_ request: XRootDRequest, _ stream: StreamID, _ context: ChannelHandlerContext) {
        // Inline keeps the order: `handle` runs only when nothing of this connection is executing.
        let metrics = metrics
        if Self.isRead(request) ? readsInline : mutationsInline {
            let start = metrics == nil ? 0 : RequestMetrics.now()
            deliver(executor.execute(request, client: identity, as: virtualIdentity), stream, context)
            metrics?.executed(request.code, since: start)
            return
        }
        let executor = executor, identity = identity, virtual = virtualIdentity
        runOnPool(stream, context) {
            let start = metrics == nil ? 0 : RequestMetrics.now()
            defer { metrics?.executed(request.code, since: start) }
            return executor.execute(request, client: identity, as: virtual)
        }
    }

    /// The login's uid, gid and groups, resolved at its first request and kept until the next login.
    private var virtualIdentity: VirtualIdentity {
        if let resolved, resolved.client == identity { return resolved.identity }
        let virtual = executor.state.identities.resolve(identity)
        logger.debug("identity", metadata: ["user": "\(identity.user)", "protocol": "\(identity.protocolName)",
                                            "identity": "\(virtual)"])
        resolved = (identity, virtual)
        return virtual
    }

    /// Requests that only take the namespace's read lock (never held across a wait for the disk) or
    /// read a file system's figures: they may run on the event loop under every durability.
    private static func isRead(_ request: XRootDRequest) -> Bool {
        switch request {
        case .stat, .dirlist, .query: return true
        case .fattr(let r): return r.kind == .get || r.kind == .list
        default: return false
        }
    }

    /// `kXR_locate` (not part of the typed subset; `xrdfs ls` asks it first): this server has everything,
    /// answered as the stock server does, `Sw[::127.0.0.1]:1094`, or ENOENT for a missing path.
    private func locate(_ frame: RequestFrame, _ context: ChannelHandlerContext) {
        let stream = frame.header.streamID
        guard identity.loggedIn else {
            respond(context, stream, [.error(ServerError(code: .notAuthorized, message: "login required"))])
            return
        }
        var path = String(decoding: frame.payload.prefix { $0 != 0 }, as: UTF8.self)
        if path.hasPrefix("*") { path.removeFirst() }
        let local = context.channel.localAddress
        let host = local?.ipAddress ?? "127.0.0.1"
        let location = "Sw[" + (host.contains(":") ? host : "::" + host) + "]:\(local?.port ?? 0)"
        let metrics = metrics, code = RequestID.locate.rawValue
        if readsInline {
            let start = metrics == nil ? 0 : RequestMetrics.now()
            deliver(executor.locate(path, location: location, client: identity, as: virtualIdentity), stream, context)
            metrics?.executed(code, since: start)
            return
        }
        let executor = executor, identity = identity, virtual = virtualIdentity
        let target = path
        runOnPool(stream, context) {
            let start = metrics == nil ? 0 : RequestMetrics.now()
            defer { metrics?.executed(code, since: start) }
            return executor.locate(target, location: location, client: identity, as: virtual)
        }
    }

    /// Runs `work` on the thread pool and answers with its result on the event loop, then goes on with
    /// the requests queued meanwhile (their answers flushed together).
    private func runOnPool(_ stream: StreamID, _ context: ChannelHandlerContext,
                           _ work: @escaping @Sendable () -> Execution) {
        busy = true
        tracker.begin()
        let future = pool.runIfActive(eventLoop: context.eventLoop, work)
        future.assumeIsolated().whenComplete { result in
            self.busy = false
            self.tracker.end()
            let outer = self.batching
            self.batching = true
            switch result {
            case .success(let execution):
                self.deliver(execution, stream, context)
            case .failure(let error):
                self.respond(context, stream, [.error(ServerError(code: .serverError, message: "server is stopping: \(error)"))])
            }
            self.pump(context)
            if !outer { self.endBatch(context) }
        }
    }

    private func deliver(_ execution: Execution, _ stream: StreamID, _ context: ChannelHandlerContext) {
        switch execution {
        case .responses(let bodies):
            respond(context, stream, bodies)
        case .stat(let stat):
            respond(context, stream, stat)
        case .parts(let bytes, let ends):
            respond(context, stream, parts: bytes, ends: ends)
        case .opened(let file, let stat):
            // The next handle not in use (after 2^32 - 1 opens the numbers wrap around).
            var handle = nextHandle
            while files[handle] != nil { handle = handle == UInt32.max ? 1 : handle + 1 }
            nextHandle = handle == UInt32.max ? 1 : handle + 1
            files[handle] = file
            respond(context, stream, [.ok(OpenResponse(handle: FileHandle(handle), stat: stat).encode())])
        }
    }

    // MARK: Open files

    private func read(_ r: ReadRequest) -> ResponseBody {
        guard let file = files[r.handle.value] else { return Self.notOpen(r.handle) }
        switch file {
        case .admin(let bytes):
            let start = Int(min(r.offset, Int64(bytes.count)))
            let end = min(bytes.count, start + Int(r.length))
            return .ok(Array(bytes[start..<end]))
        case .metadata(let path, let size, _, _):
            if r.offset >= size || r.length == 0 { return .ok([]) }
            return .error(ServerError(code: .unsupported,
                                      message: "Unable to read \(path); this MGM stores metadata only: no file data"))
        }
    }

    private func statOpenFile(_ handle: FileHandle) -> ResponseBody {
        guard let file = files[handle.value] else { return Self.notOpen(handle) }
        switch file {
        case .admin(let bytes):
            return .ok(StatInfo(id: 0, size: Int64(bytes.count), flags: [.readable], modificationTime: 0).encode())
        case .metadata(let path, _, _, _):
            guard case .file(let f)? = try? executor.namespace.stat(path) else {
                return .error(ServerError(code: .notFound, message: "Unable to stat \(path); no such file or directory"))
            }
            return .ok(StatMapping.stat(file: f).encode())
        }
    }

    private static func notOpen(_ handle: FileHandle) -> ResponseBody {
        .error(ServerError(code: .fileNotOpen, message: "file handle \(handle.value) is not open"))
    }

    /// The answer to a frame that does not decode as a request of the subset.
    static func refusal(_ error: XRootDError, code: UInt16) -> ServerError {
        switch error {
        case .unsupportedRequest:
            if [RequestID.write, .writev, .truncate, .sync].contains(where: { $0.rawValue == code }) {
                return ServerError(code: .unsupported, message: "this MGM stores metadata only: file data cannot be "
                                   + "written (the entry exists with size 0)")
            }
            let name = RequestID(rawValue: code)?.name ?? "request \(code)"
            return ServerError(code: .unsupported, message: "\(name) is not supported by this server")
        default:
            return ServerError(code: .argInvalid, message: "\(error)")
        }
    }
}

/// Login session ids: 8 random bytes per process, then a counter.
enum SessionIDs {
    private static let prefix: [UInt8] = (0..<8).map { _ in UInt8.random(in: 0...255) }
    private static let counter = Atomic<UInt64>(0)

    static func next() -> [UInt8] {
        let value = counter.add(1, ordering: .relaxed).newValue
        return prefix + (0..<8).map { UInt8((value >> (56 - 8 * UInt64($0))) & 0xFF) }
    }
}
