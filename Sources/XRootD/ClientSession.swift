import Glibc

/// One logged-in connection to one endpoint: handshake, kXR_protocol, kXR_login, then one request at a
/// time, or a window of them (ClientSession+Pipeline.swift).
/// @unchecked Sendable: used by one thread at a time, under `XRootDClient`'s lock or checked out of it
/// by `XRootDClient.pipeline`.
final class ClientSession: @unchecked Sendable {
    /// What a request came to, short of an error (errors throw).
    enum Outcome {
        /// `kXR_ok`, with the bodies of any preceding `kXR_oksofar` in front.
        case ok([UInt8])
        case redirect(Redirect)
        case wait(Wait)
    }

    let connection: SocketConnection
    let options: XRootDClient.Options
    private(set) var protocolResponse = ProtocolResponse()
    private(set) var login = LoginResponse(sessionID: [])
    /// False once the byte stream may be out of step (a transport or framing failure): drop the session.
    private(set) var isUsable = true
    private var nextStream: UInt16 = 1

    /// The answer to a `kXR_auth` step.
    enum AuthenticationAnswer {
        case ok
        case authMore([UInt8])
    }

    init(endpoint: Endpoint, options: XRootDClient.Options) throws(XRootDError) {
        self.options = options
        connection = try SocketConnection(endpoint: endpoint, timeout: options.connectTimeout,
                                          maximumBody: options.maximumResponseBody)
        connection.setTimeouts(options.requestTimeout)
        let deadline = ContinuousClock.now + options.requestTimeout
        try connection.send(ClientHandshake().encode())
        let handshake = try ServerHandshake(frame: connection.nextFrame(deadline: deadline))
        guard handshake.protocolVersion >= 0x0300 else {
            throw .unexpectedResponse("server protocol version \(handshake.protocolVersion) is too old")
        }
        guard case .ok(let protocolBody) = try perform(.protocol(ProtocolRequest())) else {
            throw .unexpectedResponse("kXR_protocol was not answered with kXR_ok")
        }
        protocolResponse = try ProtocolResponse(body: protocolBody)
        let request = LoginRequest(processID: getpid(), user: options.user)
        switch try perform(.login(request)) {
        case .ok(let body):
            login = try LoginResponse(body: body)
            if login.security.contains("&P=") { try authenticate(token: login.security, endpoint: endpoint) }
        case .redirect(let redirect):
            throw .unexpectedResponse("kXR_login redirected to \(redirect); log in at that server instead")
        case .wait(let wait):
            throw .unexpectedResponse("kXR_login asked to wait \(wait.seconds) s: \(wait.message)")
        }
    }

    func close() {
        isUsable = false
        connection.close()
    }

    /// Sends `request` and collects its answer. Server errors throw `.server` and leave the session usable;
    /// anything else that throws leaves it unusable.
    func perform(_ request: XRootDRequest) throws(XRootDError) -> Outcome {
        guard isUsable else { throw .connectionClosed }
        let stream = allocateStream()
        do throws(XRootDError) {
            try connection.send(request.encode(streamID: stream))
            return try collect(stream: stream, request: request.requestID)
        } catch {
            if error.serverError == nil { isUsable = false }
            throw error
        }
    }

    /// Sends a request given as header and payload (`kXR_auth`), answered by `kXR_ok` or `kXR_authmore`.
    func performRaw(_ header: RequestHeader, payload: [UInt8]) throws(XRootDError) -> AuthenticationAnswer {
        guard isUsable else { throw .connectionClosed }
        var header = header
        header.streamID = StreamID(nextStream)
        nextStream = nextStream == UInt16.max ? 1 : nextStream + 1
        do throws(XRootDError) {
            try connection.send(header.encode() + payload)
            let response = try XRootDResponse(frame: connection.nextFrame(deadline: ContinuousClock.now + options.requestTimeout))
            switch response.body {
            case .ok: return .ok
            case .authMore(let parameters): return .authMore(parameters)
            case .error(let error): throw XRootDError.server(error)
            default: throw XRootDError.unexpectedResponse("kXR_auth: answered \(response.body.status)")
            }
        } catch {
            isUsable = false
            throw error
        }
    }

    private func collect(stream: StreamID, request: RequestID) throws(XRootDError) -> Outcome {
        var deadline = ContinuousClock.now + options.requestTimeout
        var data: [UInt8] = []
        while true {
            var response = try XRootDResponse(frame: connection.nextFrame(deadline: deadline))
            if case .attention(let attention) = response.body {
                guard let inner = try attention.asynchronousResponse(), inner.streamID == stream else { continue }
                response = inner
            }
            guard response.streamID == stream else {
                throw .unexpectedResponse("\(request.name): answer for stream \(response.streamID), expected \(stream)")
            }
            switch try absorb(response.body, request: request, data: &data, deadline: &deadline) {
            case .more: continue
            case .done(let outcome): return try outcome.get()
            }
        }
    }

    /// One response's effect on its request.
    enum Step {
        /// More responses follow for the stream (`kXR_oksofar`, `kXR_waitresp`).
        case more
        /// The request's outcome; a server error is `.failure(.server)`.
        case done(Result<Outcome, XRootDError>)
    }

    /// Folds one response body into its request's answer: `kXR_oksofar` parts gather in `data`,
    /// `kXR_waitresp` moves `deadline`. Throws only for what leaves the stream out of step.
    func absorb(_ body: ResponseBody, request: RequestID, data: inout [UInt8],
                deadline: inout ContinuousClock.Instant) throws(XRootDError) -> Step {
        switch body {
        case .okSoFar(let part):
            guard data.count + part.count <= options.maximumResponseBody else {
                throw .frameTooLarge(length: Int64(data.count + part.count), limit: options.maximumResponseBody)
            }
            data += part
            return .more
        case .ok(let last):
            return .done(.success(.ok(data.isEmpty ? last : data + last)))
        case .error(let error):
            return .done(.failure(.server(error)))
        case .redirect(let redirect):
            return .done(.success(.redirect(redirect)))
        case .wait(let wait):
            return .done(.success(.wait(wait)))
        case .waitResponse(let seconds):
            deadline = max(deadline, ContinuousClock.now + .seconds(Int(max(0, seconds))) + options.requestTimeout)
            return .more
        case .attention, .authMore, .status:
            throw .unexpectedResponse("\(request.name): \(body.status) is not supported")
        }
    }

    /// The next stream id (wrapping around, never 0). Ids of requests in flight are never reused
    /// while the window (`ClientSession+Pipeline.swift`) is smaller than 65,535.
    func allocateStream() -> StreamID {
        let stream = StreamID(nextStream)
        nextStream = nextStream == UInt16.max ? 1 : nextStream + 1
        return stream
    }

    /// Marks the session unusable (its byte stream may be out of step).
    func invalidate() { isUsable = false }
}
