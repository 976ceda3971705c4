// Server responses: header status plus body (layouts: the ServerResponseBody_* structs of XProtocol.hh).

/// `kXR_redirect`: go to `host:port` (the host field may carry `?opaque` CGI for the new server).
public struct Redirect: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int32
    public var opaque: String?

    public init(host: String, port: Int32, opaque: String? = nil) {
        self.host = host
        self.port = port
        self.opaque = opaque
    }

    public var description: String { "\(host):\(port)" + (opaque.map { "?\($0)" } ?? "") }
}

/// `kXR_wait`: retry the same request after `seconds`.
public struct Wait: Hashable, Sendable {
    public var seconds: Int32
    public var message: String

    public init(seconds: Int32, message: String = "") {
        self.seconds = seconds
        self.message = message
    }
}

/// `kXR_attn`: an unsolicited message; `kXR_asynresp` (5008) carries a deferred response.
public struct Attention: Hashable, Sendable {
    public static let asynchronousResponse: Int32 = 5008
    public var action: Int32
    public var parameters: [UInt8]

    public init(action: Int32, parameters: [UInt8]) {
        self.action = action
        self.parameters = parameters
    }

    /// For `kXR_asynresp`: the embedded response (4 reserved bytes, header, body).
    public func asynchronousResponse() throws(XRootDError) -> XRootDResponse? {
        guard action == Self.asynchronousResponse else { return nil }
        var r = ByteReader(parameters, context: "kXR_attn asynresp")
        try r.skip(4)
        let header = try ResponseHeader.decode(try r.take(ResponseHeader.length))
        guard header.bodyLength >= 0, Int(header.bodyLength) == r.remaining else {
            throw .malformed("kXR_attn asynresp: embedded length \(header.bodyLength), has \(r.remaining)")
        }
        return try XRootDResponse(frame: ResponseFrame(header: header, body: Array(r.rest())))
    }
}

public enum ResponseBody: Hashable, Sendable {
    case ok([UInt8])
    /// Part of a longer answer; more responses for the same stream follow.
    case okSoFar([UInt8])
    case error(ServerError)
    case redirect(Redirect)
    case wait(Wait)
    /// `kXR_waitresp`: the answer comes later as a `kXR_attn` asynresp.
    case waitResponse(seconds: Int32)
    case attention(Attention)
    case authMore([UInt8])
    case status([UInt8])

    public var status: ResponseStatus {
        switch self {
        case .ok: return .ok
        case .okSoFar: return .okSoFar
        case .error: return .error
        case .redirect: return .redirect
        case .wait: return .wait
        case .waitResponse: return .waitResponse
        case .attention: return .attention
        case .authMore: return .authMore
        case .status: return .status
        }
    }
}

/// One server response: the stream it answers and its body.
public struct XRootDResponse: Hashable, Sendable {
    public var streamID: StreamID
    public var body: ResponseBody

    public init(streamID: StreamID, body: ResponseBody) {
        self.streamID = streamID
        self.body = body
    }

    /// Shorthand for `kXR_error` with a code and message.
    public static func error(_ streamID: StreamID, _ code: XRootDErrorCode, _ message: String) -> XRootDResponse {
        XRootDResponse(streamID: streamID, body: .error(ServerError(code: code, message: message)))
    }

    public func frame() -> ResponseFrame {
        var w = ByteWriter()
        switch body {
        case .ok(let data), .okSoFar(let data), .authMore(let data), .status(let data):
            w.raw(data)
        case .error(let error):
            w.i32(error.code.rawValue); w.raw(WireText.encode(error.message, nulTerminated: true))
        case .redirect(let redirect):
            w.i32(redirect.port); w.raw(WireText.encode(redirect.host))
            if let opaque = redirect.opaque { w.u8(0x3F); w.raw(WireText.encode(opaque)) }
        case .wait(let wait):
            w.i32(wait.seconds); w.raw(WireText.encode(wait.message, nulTerminated: true))
        case .waitResponse(let seconds):
            w.i32(seconds)
        case .attention(let attention):
            w.i32(attention.action); w.raw(attention.parameters)
        }
        let header = ResponseHeader(streamID: streamID, statusCode: body.status.rawValue,
                                    bodyLength: Int32(clamping: w.bytes.count))
        return ResponseFrame(header: header, body: w.bytes)
    }

    /// The response's bytes on the wire.
    public func encode() -> [UInt8] {
        let frame = frame()
        var w = ByteWriter(capacity: ResponseHeader.length + frame.body.count)
        frame.header.encode(into: &w)
        w.raw(frame.body)
        return w.bytes
    }

    /// Decodes a framed response; an unknown status or a short body is malformed.
    public init(frame: ResponseFrame) throws(XRootDError) {
        guard let status = frame.header.status else {
            throw .malformed("response status \(frame.header.statusCode) is unknown")
        }
        var r = ByteReader(frame.body, context: "\(status) response")
        streamID = frame.header.streamID
        switch status {
        case .ok: body = .ok(frame.body)
        case .okSoFar: body = .okSoFar(frame.body)
        case .authMore: body = .authMore(frame.body)
        case .status: body = .status(frame.body)
        case .error:
            let code = XRootDErrorCode(rawValue: try r.i32())
            body = .error(ServerError(code: code, message: try WireText.decode(r.rest(), context: "error message")))
        case .redirect:
            let port = try r.i32()
            let target = try WireText.decode(r.rest(), context: "redirect host")
            let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            guard let host = parts.first, !host.isEmpty else { throw .malformed("redirect: empty host") }
            body = .redirect(Redirect(host: String(host), port: port, opaque: parts.count > 1 ? String(parts[1]) : nil))
        case .wait:
            let seconds = try r.i32()
            body = .wait(Wait(seconds: seconds, message: try WireText.decode(r.rest(), context: "wait message")))
        case .waitResponse:
            body = .waitResponse(seconds: try r.i32())
        case .attention:
            body = .attention(Attention(action: try r.i32(), parameters: Array(r.rest())))
        }
    }
}
