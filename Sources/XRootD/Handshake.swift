/// The 20 bytes a client sends first: five network-order words, 0, 0, 0, 4, 2012.
public struct ClientHandshake: Hashable, Sendable {
    public static let length = 20
    public var words: (Int32, Int32, Int32, Int32, Int32)

    public init() { words = (0, 0, 0, XRootDProtocol.handshakeFourth, XRootDProtocol.handshakeFifth) }

    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: Self.length)
        w.i32(words.0); w.i32(words.1); w.i32(words.2); w.i32(words.3); w.i32(words.4)
        return w.bytes
    }

    /// Decodes exactly 20 bytes; anything but 0, 0, 0, 4, 2012 is malformed.
    public static func decode(_ bytes: ArraySlice<UInt8>) throws(XRootDError) -> ClientHandshake {
        guard bytes.count == length else { throw .malformed("handshake: \(bytes.count) bytes, expected \(length)") }
        var r = ByteReader(bytes, context: "handshake")
        let words = (try r.i32(), try r.i32(), try r.i32(), try r.i32(), try r.i32())
        let expected = ClientHandshake().words
        guard words == expected else {
            throw .malformed("handshake: words \(words) are not (0, 0, 0, 4, 2012)")
        }
        return ClientHandshake()
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.words == rhs.words }
    public func hash(into hasher: inout Hasher) {
        for word in [words.0, words.1, words.2, words.3, words.4] { hasher.combine(word) }
    }
}

/// The server's answer to the handshake: a response header (stream 0, status ok, dlen 8)
/// followed by the protocol version and the server type.
public struct ServerHandshake: Hashable, Sendable {
    public static let length = 16
    public var protocolVersion: Int32
    /// `kXR_DataServer` (1) or `kXR_LBalServer` (0).
    public var serverType: Int32

    public init(protocolVersion: Int32 = XRootDProtocol.version, serverType: Int32 = XRootDProtocol.dataServer) {
        self.protocolVersion = protocolVersion
        self.serverType = serverType
    }

    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: Self.length)
        w.zeros(2); w.u16(ResponseStatus.ok.rawValue); w.i32(8)
        w.i32(protocolVersion); w.i32(serverType)
        return w.bytes
    }

    public static func decode(_ bytes: ArraySlice<UInt8>) throws(XRootDError) -> ServerHandshake {
        guard bytes.count == length else {
            throw .malformed("handshake reply: \(bytes.count) bytes, expected \(length)")
        }
        var r = ByteReader(bytes, context: "handshake reply")
        let stream = try r.u16(), status = try r.u16(), dlen = try r.i32()
        guard stream == 0, status == ResponseStatus.ok.rawValue, dlen == 8 else {
            throw .malformed("handshake reply: header (\(stream), \(status), \(dlen)) is not (0, ok, 8)")
        }
        return ServerHandshake(protocolVersion: try r.i32(), serverType: try r.i32())
    }
}

extension ServerHandshake {
    /// The handshake reply read as an ordinary response frame (it has that shape).
    public init(frame: ResponseFrame) throws(XRootDError) {
        var w = ByteWriter(capacity: Self.length)
        frame.header.encode(into: &w)
        w.raw(frame.body)
        self = try ServerHandshake.decode(w.bytes[...])
    }
}
