/// An error answered by the server (`kXR_error`): its kXR code, the errno it stands for, and its message.
public struct ServerError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: XRootDErrorCode
    public var message: String
    /// The errno this error stands for (see `XRootDErrorCode.errno(for:message:)`).
    public var errno: Int32

    public init(code: XRootDErrorCode, message: String) {
        self.code = code
        self.message = message
        errno = XRootDErrorCode.errno(for: code, message: message)
    }

    public var description: String { "\(code) (errno \(errno)): \(message)" }
}

/// Everything that can go wrong in this module: malformed bytes, transport failures, server errors.
public enum XRootDError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Bytes that do not form a valid message; the reason says where.
    case malformed(String)
    /// A frame whose declared payload length is negative or above the configured limit.
    case frameTooLarge(length: Int64, limit: Int)
    /// A request code this module does not decode; the server answers `kXR_Unsupported`.
    case unsupportedRequest(UInt16)
    /// The server answered `kXR_error`.
    case server(ServerError)
    /// Connecting, sending or receiving failed (with errno when there is one).
    case connectionFailed(String, errno: Int32)
    /// The peer closed the connection.
    case connectionClosed
    /// No complete answer within the configured time.
    case timedOut(String)
    /// More redirects than the configured maximum.
    case tooManyRedirects(Int)
    /// The server asked to wait longer, in total, than the configured maximum (seconds waited so far).
    case waitLimitExceeded(Int)
    /// A well-formed answer that makes no sense here (wrong stream id, unexpected status, ...).
    case unexpectedResponse(String)
    /// The server requires authentication, which this module does not implement.
    case authenticationRequired(String)

    /// The server's error, when this is one.
    public var serverError: ServerError? {
        if case .server(let error) = self { return error }
        return nil
    }

    public var description: String {
        switch self {
        case .malformed(let reason): return "malformed message: \(reason)"
        case .frameTooLarge(let length, let limit): return "frame payload of \(length) bytes exceeds limit \(limit)"
        case .unsupportedRequest(let id): return "unsupported request \(id)"
        case .server(let error): return error.description
        case .connectionFailed(let what, let code): return "\(what) failed (errno \(code))"
        case .connectionClosed: return "connection closed by peer"
        case .timedOut(let what): return "timed out: \(what)"
        case .tooManyRedirects(let hops): return "too many redirects (\(hops))"
        case .waitLimitExceeded(let seconds): return "server kept asking to wait (\(seconds) s)"
        case .unexpectedResponse(let what): return "unexpected response: \(what)"
        case .authenticationRequired(let what): return "server requires authentication: \(what)"
        }
    }
}
