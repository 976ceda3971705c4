/// A request as framed on the wire: header plus `payloadLength` bytes of payload.
public struct RequestFrame: Hashable, Sendable {
    public var header: RequestHeader
    public var payload: [UInt8]

    public init(header: RequestHeader, payload: [UInt8]) {
        self.header = header
        self.payload = payload
    }
}

/// A response as framed on the wire: header plus `bodyLength` bytes of body.
public struct ResponseFrame: Hashable, Sendable {
    public var header: ResponseHeader
    public var body: [UInt8]

    public init(header: ResponseHeader, body: [UInt8]) {
        self.header = header
        self.body = body
    }
}

/// Bytes received but not yet framed; consumed from the front, compacted now and then.
struct ByteAccumulator {
    private var storage: [UInt8] = []
    private var start = 0

    var count: Int { storage.count - start }

    mutating func append<C: Collection<UInt8>>(_ bytes: C) {
        if start > 0, start >= storage.count / 2 {
            storage.removeFirst(start)
            start = 0
        }
        storage.append(contentsOf: bytes)
    }

    func peek(_ length: Int) -> ArraySlice<UInt8> { storage[start..<start + length] }

    mutating func consume(_ length: Int) -> [UInt8] {
        defer { start += length }
        return Array(storage[start..<start + length])
    }
}

/// Frames the client-to-server byte stream: the 20-byte handshake (optionally), then requests.
/// Handles partial input (returns nil until a whole message is buffered) and refuses payload
/// lengths above `maximumPayload`; after an error it keeps failing, the connection is to be dropped.
public struct RequestFrameDecoder: Sendable {
    public enum Start: Sendable { case handshake, requests }
    public enum Message: Hashable, Sendable {
        case handshake(ClientHandshake)
        case request(RequestFrame)
    }

    public let maximumPayload: Int
    private var buffer = ByteAccumulator()
    private var awaitingHandshake: Bool
    private var failure: XRootDError?

    public init(start: Start = .handshake, maximumPayload: Int = XRootDProtocol.defaultMaximumPayload) {
        self.maximumPayload = maximumPayload
        awaitingHandshake = start == .handshake
    }

    public var bufferedByteCount: Int { buffer.count }

    public mutating func append<C: Collection<UInt8>>(_ bytes: C) { buffer.append(bytes) }

    /// The next complete message, or nil when more bytes are needed.
    public mutating func next() throws(XRootDError) -> Message? {
        if let failure { throw failure }
        do throws(XRootDError) {
            if awaitingHandshake {
                guard buffer.count >= ClientHandshake.length else { return nil }
                let handshake = try ClientHandshake.decode(buffer.peek(ClientHandshake.length))
                _ = buffer.consume(ClientHandshake.length)
                awaitingHandshake = false
                return .handshake(handshake)
            }
            guard buffer.count >= RequestHeader.length else { return nil }
            let header = try RequestHeader.decode(buffer.peek(RequestHeader.length))
            guard header.payloadLength >= 0, Int(header.payloadLength) <= maximumPayload else {
                throw XRootDError.frameTooLarge(length: Int64(header.payloadLength), limit: maximumPayload)
            }
            let total = RequestHeader.length + Int(header.payloadLength)
            guard buffer.count >= total else { return nil }
            _ = buffer.consume(RequestHeader.length)
            return .request(RequestFrame(header: header, payload: buffer.consume(Int(header.payloadLength))))
        } catch {
            failure = error
            throw error
        }
    }
}

/// Frames the server-to-client byte stream into responses (the handshake reply has the same shape).
public struct ResponseFrameDecoder: Sendable {
    public let maximumBody: Int
    private var buffer = ByteAccumulator()
    private var failure: XRootDError?

    public init(maximumBody: Int = XRootDProtocol.defaultMaximumPayload) { self.maximumBody = maximumBody }

    public var bufferedByteCount: Int { buffer.count }

    public mutating func append<C: Collection<UInt8>>(_ bytes: C) { buffer.append(bytes) }

    /// The next complete response, or nil when more bytes are needed.
    public mutating func next() throws(XRootDError) -> ResponseFrame? {
        if let failure { throw failure }
        guard buffer.count >= ResponseHeader.length else { return nil }
        do throws(XRootDError) {
            let header = try ResponseHeader.decode(buffer.peek(ResponseHeader.length))
            guard header.bodyLength >= 0, Int(header.bodyLength) <= maximumBody else {
                throw XRootDError.frameTooLarge(length: Int64(header.bodyLength), limit: maximumBody)
            }
            let total = ResponseHeader.length + Int(header.bodyLength)
            guard buffer.count >= total else { return nil }
            _ = buffer.consume(ResponseHeader.length)
            return ResponseFrame(header: header, body: buffer.consume(Int(header.bodyLength)))
        } catch {
            failure = error
            throw error
        }
    }
}
