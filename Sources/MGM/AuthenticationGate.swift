import Logging
import NIOCore
import XRootD

/// A connection's authentication state: what its login answers (the security token, when a protocol
/// is required), which requests it admits while the `kXR_auth` exchange is not complete, and the
/// exchange itself. Never half-authenticated: until an exchange completes, only `kXR_auth`,
/// `kXR_login`, `kXR_protocol`, `kXR_ping` and `kXR_endsess` are answered; anything else is refused
/// and the connection closed (as the stock server). Everything it holds is bounded: credentials of at
/// most `maximumCredential` bytes (a longer frame closes the connection as its header arrives), at
/// most `maximumRounds` rounds per exchange, `maximumFailures` failed exchanges and `maximumLogins`
/// logins per connection.
struct AuthenticationGate {
    static let maximumCredential = 64 << 10
    static let maximumRounds = 16
    static let maximumFailures = 4
    static let maximumLogins = 16
    /// How long a client has, after its login, to complete the exchange.
    static let timeout = TimeAmount.seconds(30)

    let service: AuthenticationService?
    /// The protocol name of a login without exchange: `unix` (declared name) or `none` (development).
    let declaredProtocol: String
    private let address: String
    /// The client's socket address (the sss credential names it, and the library compares).
    var remote: SocketAddress?
    private var session: AuthenticationSession?
    private var rounds = 0
    private var failures = 0
    private var logins = 0
    /// Logged in, an exchange required and not complete.
    private(set) var pending = false

    init(service: AuthenticationService?, declaredProtocol: String, address: String) {
        self.service = service
        self.declaredProtocol = declaredProtocol
        self.address = address
    }

    /// Requests answered while the exchange is pending (besides `kXR_auth`, handled on its own).
    static func admitsWhilePending(_ code: UInt16) -> Bool {
        [RequestID.login, .protocol, .ping, .endsess].contains { $0.rawValue == code }
    }

    /// A `kXR_login` for `user`: the identity it gives (the declared name; authenticated later when an
    /// exchange is required) and the security token its answer carries after the session id, or nil
    /// when the connection has logged in too many times.
    mutating func login(_ user: String, identity: inout ClientIdentity) -> [UInt8]? {
        logins += 1
        guard logins <= Self.maximumLogins else { return nil }
        identity.user = user
        identity.loggedIn = true
        identity.protocolName = declaredProtocol
        identity.authenticated = false
        identity.credentialGroups = []
        // A new login starts a new exchange (the old protocol object is freed).
        session = nil
        rounds = 0
        guard let service else { return [] }
        pending = true
        return service.token
    }

    /// The connection closed: its exchange (and the protocol object) goes.
    mutating func end() {
        session = nil
        pending = false
    }

    /// What a `kXR_auth` comes to: the answer, and whether the connection is closed after it.
    struct Outcome {
        var body: ResponseBody
        var close = false
        var authenticated = false
    }

    /// One `kXR_auth` step (its header's parameters hold the credential type in bytes 12..<16).
    mutating func authenticate(_ frame: RequestFrame, identity: inout ClientIdentity, logger: Logger) -> Outcome {
        guard identity.loggedIn else {
            return Outcome(body: .error(ServerError(code: .invalidRequest, message: "Invalid request; kXR_auth before kXR_login")))
        }
        guard let service, pending else {
            // As the stock server: with nothing to authenticate (or already authenticated), kXR_auth is a no-op.
            return Outcome(body: .ok([]))
        }
        let typeBytes = Array(frame.header.parameters[12..<16])
        let type = String(decoding: typeBytes.prefix { $0 != 0 }, as: UTF8.self)
        guard service.protocolNames.contains(type) else {
            return failed("unknown or not allowed protocol '\(Self.printable(type))' "
                          + "(this server accepts \(service.protocolNames.joined(separator: ", ")))", identity, logger)
        }
        if session == nil { session = service.session(remote: remote, address: address) }
        guard let session else { return failed("out of memory", identity, logger) }
        rounds += 1
        guard rounds <= Self.maximumRounds else {
            return failed("authentication exchange of more than \(Self.maximumRounds) rounds", identity, logger)
        }
        switch session.step(credentialType: typeBytes, credentials: frame.payload) {
        case .authenticated(let protocolName, let user, let groups):
            pending = false
            rounds = 0
            identity.user = user
            identity.protocolName = protocolName
            identity.authenticated = protocolName != "unix" && protocolName != "host"
            identity.credentialGroups = groups
            logger.info("authenticated \(user) by \(protocolName)", metadata: ["groups": "\(groups.joined(separator: ","))"])
            return Outcome(body: .ok([]), authenticated: true)
        case .more(let parameters):
            return Outcome(body: .authMore(parameters))
        case .failed(let reason):
            return failed(reason, identity, logger)
        }
    }

    private mutating func failed(_ reason: String, _ identity: ClientIdentity, _ logger: Logger) -> Outcome {
        failures += 1
        rounds = 0
        session = nil
        let close = failures >= Self.maximumFailures
        logger.warning("authentication failed: \(reason)",
                       metadata: ["user": "\(identity.user)", "failures": "\(failures)"])
        let suffix = close ? " (\(Self.maximumFailures) failed attempts: closing the connection)" : ""
        return Outcome(body: .error(ServerError(code: .authFailed, message: "User authentication failed; " + reason + suffix)),
                       close: close)
    }

    /// A client-chosen name for the log: printable ASCII only, at most 4 characters.
    private static func printable(_ text: String) -> String {
        String(text.unicodeScalars.prefix(4).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
    }
}

/// The gate's per-connection bounds, for tests and documentation.
public enum AuthenticationGateLimits {
    public static let failures = AuthenticationGate.maximumFailures
    public static let logins = AuthenticationGate.maximumLogins
    public static let credentialBytes = AuthenticationGate.maximumCredential
}
