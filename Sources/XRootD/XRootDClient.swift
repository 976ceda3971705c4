import Glibc
import Synchronization

/// A blocking XRootD client: one long-lived logged-in connection per endpoint, one request at a time, or
/// many in flight on the home connection with `pipeline` (XRootDClient+Pipeline.swift).
///
/// Every request follows `kXR_redirect` (to another endpoint, at most `Options.maximumRedirects` hops, the
/// next request starting again at the home endpoint) and honours `kXR_wait` (sleep, then retry the same
/// request, at most `Options.maximumTotalWait` in all). Calls from several threads are serialised.
public final class XRootDClient: Sendable {
    public struct Options: Sendable {
        /// The user name declared at login (at most 8 bytes are sent).
        public var user: String
        public var connectTimeout: Duration
        /// Bounds each request's wait for its complete answer.
        public var requestTimeout: Duration
        public var maximumRedirects: Int
        /// The total time a request may spend sleeping on `kXR_wait` answers.
        public var maximumTotalWait: Duration
        /// The largest answer accepted (a frame, or the concatenated `kXR_oksofar` parts).
        public var maximumResponseBody: Int
        /// Answers a server that requires authentication (nil: the declared `user` by `unix` when the server
        /// offers it, as the stock clients fall back to it; otherwise such a login fails with `authenticationRequired`).
        public var authenticator: (any XRootDAuthenticator)? = nil

        public init(user: String = "nobody", connectTimeout: Duration = .seconds(5),
                    requestTimeout: Duration = .seconds(30), maximumRedirects: Int = 8,
                    maximumTotalWait: Duration = .seconds(60),
                    maximumResponseBody: Int = XRootDProtocol.defaultMaximumPayload) {
            self.user = user
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.maximumRedirects = maximumRedirects
            self.maximumTotalWait = maximumTotalWait
            self.maximumResponseBody = maximumResponseBody
        }
    }

    /// Where each request was finally answered, and how it got there.
    public struct Answer: Sendable {
        public var body: [UInt8]
        public var endpoint: Endpoint
        public var redirects: Int
        public var waited: Duration
    }

    struct State: ~Copyable {
        var sessions: [Endpoint: ClientSession] = [:]
    }

    public let home: Endpoint
    public let options: Options
    let state = Mutex(State())

    /// Connects and logs in to `home` (so that an unreachable server fails here, not at the first request).
    public init(_ home: Endpoint, options: Options = Options()) throws(XRootDError) {
        self.home = home
        self.options = options
        try state.withLock { state throws(XRootDError) in
            _ = try Self.session(for: home, in: &state, options: options, home: home)
        }
    }

    public convenience init(host: String, port: Int, options: Options = Options()) throws(XRootDError) {
        try self.init(Endpoint(host: host, port: port), options: options)
    }

    deinit { disconnect() }

    /// The login session id at the home endpoint (for `kXR_endsess`).
    public var sessionID: [UInt8] { state.withLock { $0.sessions[home]?.login.sessionID ?? [] } }

    /// Closes every connection; a later request reconnects.
    public func disconnect() {
        state.withLock { state in
            for session in state.sessions.values { session.close() }
            state.sessions = [:]
        }
    }

    /// Sends `request` (to `endpoint`, by default the home endpoint), following redirects and waits.
    public func send(_ request: XRootDRequest, to endpoint: Endpoint? = nil) throws(XRootDError) -> Answer {
        try state.withLock { state throws(XRootDError) in
            try Self.follow(request, at: endpoint ?? home, first: nil, in: &state, options: options, home: home)
        }
    }

    /// Performs `request` at `start` until it is answered, following redirects and waits; `first`: its
    /// outcome already received there (a pipelined request's redirect or wait), else it is sent now.
    static func follow(_ request: XRootDRequest, at start: Endpoint, first: ClientSession.Outcome?, in state: inout State,
                       options: Options, home: Endpoint) throws(XRootDError) -> Answer {
        var target = start
        var redirects = 0
        var waited = Duration.zero
        var received = first
        while true {
            let outcome: ClientSession.Outcome
            if let already = received {
                outcome = already
                received = nil
            } else {
                let session = try Self.session(for: target, in: &state, options: options, home: home)
                do throws(XRootDError) {
                    outcome = try session.perform(request)
                } catch {
                    if !session.isUsable { state.sessions[target] = nil }
                    throw error
                }
            }
            switch outcome {
            case .ok(let body):
                return Answer(body: body, endpoint: target, redirects: redirects, waited: waited)
            case .redirect(let redirect):
                redirects += 1
                guard redirects <= options.maximumRedirects else { throw .tooManyRedirects(redirects) }
                guard (1...65535).contains(redirect.port) else {
                    throw .unexpectedResponse("redirect to \(redirect) has no usable port")
                }
                target = Endpoint(host: redirect.host, port: Int(redirect.port))
            case .wait(let wait):
                let pause = Duration.seconds(Int(max(0, wait.seconds)))
                let charged = max(pause, .seconds(1))
                guard waited + charged <= options.maximumTotalWait else {
                    throw .waitLimitExceeded(Int((waited + charged).components.seconds))
                }
                Self.sleep(pause)
                waited += charged
            }
        }
    }

    static func session(for endpoint: Endpoint, in state: inout State, options: Options,
                                home: Endpoint) throws(XRootDError) -> ClientSession {
        if let session = state.sessions[endpoint], session.isUsable { return session }
        if state.sessions.count >= 8, let stale = state.sessions.keys.first(where: { $0 != home }) {
            state.sessions.removeValue(forKey: stale)?.close()
        }
        let session = try ClientSession(endpoint: endpoint, options: options)
        state.sessions[endpoint] = session
        return session
    }

    private static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, Glibc.errno == EINTR { request = remaining }
    }
}
