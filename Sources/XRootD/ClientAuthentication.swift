/// Client-side authentication for `XRootDClient`: when a login answer carries security requirements
/// (`&P=...`), the session asks `Options.authenticator` for an exchange and sends its credentials in
/// `kXR_auth` requests until the server answers `kXR_ok`. This module stays pure protocol: the
/// credentials come from elsewhere (the MGM module's `SecurityClient` wraps XRootD's own libXrdSec).
/// Without an authenticator, a server that offers `unix` gets the login name declared in it, as the
/// stock clients fall back to it (the replication nodes ask each other questions this way).
public protocol XRootDAuthenticator: Sendable {
    /// A new exchange for one connection to `endpoint`, from the login answer's security token. `socket` is
    /// the connected descriptor, for its local and peer addresses (sss binds its credentials to the
    /// client's address as the server sees it); the exchange must not keep or close it.
    func exchange(token: String, endpoint: Endpoint, socket: Int32) throws(XRootDError) -> any XRootDAuthenticationExchange
}

/// One connection's exchange: the credentials of the first `kXR_auth` (`parameters` nil), then of each
/// answer to a `kXR_authmore` (its parameters).
public protocol XRootDAuthenticationExchange: AnyObject {
    func credentials(_ parameters: [UInt8]?) throws(XRootDError) -> (protocolName: String, bytes: [UInt8])
}

extension ClientSession {
    /// Runs the exchange (at most 16 rounds); throws the server's refusal or the authenticator's error.
    func authenticate(token: String, endpoint: Endpoint) throws(XRootDError) {
        guard let authenticator = options.authenticator else {
            guard Self.offersUnix(token) else { throw .authenticationRequired(token) }
            return try declareUnix()
        }
        let exchange = try authenticator.exchange(token: token, endpoint: endpoint, socket: connection.socketDescriptor)
        var parameters: [UInt8]? = nil
        for _ in 0..<16 {
            let (name, bytes) = try exchange.credentials(parameters)
            var type = Array(name.utf8.prefix(4))
            type += [UInt8](repeating: 0, count: 4 - type.count)
            let header = RequestHeader(streamID: StreamID(0), requestCode: RequestID.auth.rawValue,
                                       parameters: [UInt8](repeating: 0, count: 12) + type, payloadLength: Int32(bytes.count))
            switch try performRaw(header, payload: bytes) {
            case .ok: return
            case .authMore(let more): parameters = more
            }
        }
        throw .unexpectedResponse("kXR_auth: more than 16 rounds")
    }

    /// True when the token (`&P=sss,0.+13:&P=unix`) names the `unix` protocol.
    static func offersUnix(_ token: String) -> Bool {
        token.split(separator: "&").contains { $0 == "P=unix" || $0.hasPrefix("P=unix,") }
    }

    /// The `unix` protocol's one round: its name, then the declared user (libXrdSecunix's format:
    /// "unix", NUL, "<user>[ <group>]", NUL).
    private func declareUnix() throws(XRootDError) {
        let credentials = Array("unix".utf8) + [0] + Array(options.user.utf8) + [0]
        let header = RequestHeader(streamID: StreamID(0), requestCode: RequestID.auth.rawValue,
                                   parameters: [UInt8](repeating: 0, count: 12) + Array("unix".utf8),
                                   payloadLength: Int32(credentials.count))
        switch try performRaw(header, payload: credentials) {
        case .ok: return
        case .authMore: throw .unexpectedResponse("kXR_auth unix: the server asked for another round")
        }
    }
}
