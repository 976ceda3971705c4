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

/// Bytes received but not yet framed; consumed from the front, compacted now and then. Once
/// empty, a storage grown past `retainedCapacity` (by one large frame) is given back, so a
/// connection does not keep the memory of its largest frame for its whole life.
struct ByteAccumulator {
    private var storage: [UInt8] = []
    private var start = 0
    static let retainedCapacity = 1 << 20

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
        defer {
            start += length
            if start == storage.count { removeAll() }
        }
        return Array(storage[start..<start + length])
    }

    /// Drops every byte held (and a large storage with them).
    mutating func removeAll() {
        storage.removeAll(keepingCapacity: storage.capacity <= Self.retainedCapacity)
        start = 0
    }
}

/// Frames the client-to-server byte stream: the 20-byte handshake (optionally), then requests.
/// Handles partial input (returns nil until a whole message is buffered) and refuses payload
/// lengths above `maximumPayload` (which the server raises after login); after an error it keeps
/// failing, the connection is to be dropped. A partial frame can be discarded (`discardPendingFrame`):
/// the rest of its payload is then skipped as it arrives, never buffered.
public struct RequestFrameDecoder: Sendable {
    public enum Start: Sendable { case handshake, requests }
    public enum Message: Hashable, Sendable {
        case handshake(ClientHandshake)
        case request(RequestFrame)
    }

    public var maximumPayload: Int
    private var buffer = ByteAccumulator()
    private var awaitingHandshake: Bool
    private var failure: XRootDError?
    /// The header of the frame refused as too large (`frameTooLarge`), so the refusal can be answered.
    public private(set) var oversizedHeader: RequestHeader?
    /// Payload bytes of a discarded frame still to arrive (dropped as they come).
    private var skipping = 0

    public init(start: Start = .handshake, maximumPayload: Int = XRootDProtocol.defaultMaximumPayload) {
        self.maximumPayload = maximumPayload
        awaitingHandshake = start == .handshake
    }

    public var bufferedByteCount: Int { buffer.count }

    public mutating func append<C: Collection<UInt8>>(_ bytes: C) {
        guard skipping > 0 else { return buffer.append(bytes) }
        let skipped = min(skipping, bytes.count)
        skipping -= skipped
        if skipped < bytes.count { buffer.append(bytes.dropFirst(skipped)) }
    }

    /// The header of a request whose header has arrived but not all of its payload (nil when none,
    /// or while the handshake is awaited, or after an error).
    public var pendingHeader: RequestHeader? {
        guard failure == nil, !awaitingHandshake, buffer.count >= RequestHeader.length,
              let header = try? RequestHeader.decode(buffer.peek(RequestHeader.length)) else { return nil }
        return buffer.count < RequestHeader.length + Int(max(0, header.payloadLength)) ? header : nil
    }

    /// Drops the partial request (`pendingHeader`) and skips the rest of its payload as it arrives;
    /// returns its header. For a server that refuses the request without buffering it.
    public mutating func discardPendingFrame() -> RequestHeader? {
        guard let header = pendingHeader else { return nil }
        skipping = RequestHeader.length + Int(header.payloadLength) - buffer.count
        buffer.removeAll()
        return header
    }

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
                oversizedHeader = header
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
