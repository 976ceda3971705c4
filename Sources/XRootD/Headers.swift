/// The two bytes a client picks per request; the server echoes them in every response to it.
public struct StreamID: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt8
    public var low: UInt8

    public init(_ high: UInt8, _ low: UInt8) {
        self.high = high
        self.low = low
    }

    public init(_ value: UInt16) { self.init(UInt8(value >> 8), UInt8(value & 0xFF)) }

    public var value: UInt16 { UInt16(high) << 8 | UInt16(low) }
    public var description: String { "\(value)" }
}

/// The 24-byte client request header: stream id, request code, 16 request-specific bytes, payload length.
public struct RequestHeader: Hashable, Sendable {
    public static let length = XRootDProtocol.requestHeaderLength
    public var streamID: StreamID
    /// The raw request code; `RequestID(rawValue:)` names the known ones.
    public var requestCode: UInt16
    /// The 16 request-specific parameter bytes.
    public var parameters: [UInt8]
    public var payloadLength: Int32

    public init(streamID: StreamID, requestCode: UInt16, parameters: [UInt8], payloadLength: Int32) {
        self.streamID = streamID
        self.requestCode = requestCode
        self.parameters = parameters
        self.payloadLength = payloadLength
    }

    public var requestID: RequestID? { RequestID(rawValue: requestCode) }

    func encode(into w: inout ByteWriter) {
        w.u8(streamID.high); w.u8(streamID.low); w.u16(requestCode)
        w.fixed(parameters, count: 16); w.i32(payloadLength)
    }

    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: Self.length)
        encode(into: &w)
        return w.bytes
    }

    public static func decode(_ bytes: ArraySlice<UInt8>) throws(XRootDError) -> RequestHeader {
        var r = ByteReader(bytes, context: "request header")
        let high = try r.u8(), low = try r.u8(), code = try r.u16()
        let parameters = Array(try r.take(16))
        return RequestHeader(streamID: StreamID(high, low), requestCode: code, parameters: parameters,
                             payloadLength: try r.i32())
    }
}

/// The 8-byte server response header: stream id, status, body length.
public struct ResponseHeader: Hashable, Sendable {
    public static let length = XRootDProtocol.responseHeaderLength
    public var streamID: StreamID
    /// The raw status; `ResponseStatus(rawValue:)` names the known ones.
    public var statusCode: UInt16
    public var bodyLength: Int32

    public init(streamID: StreamID, statusCode: UInt16, bodyLength: Int32) {
        self.streamID = streamID
        self.statusCode = statusCode
        self.bodyLength = bodyLength
    }

    public var status: ResponseStatus? { ResponseStatus(rawValue: statusCode) }

    func encode(into w: inout ByteWriter) {
        w.u8(streamID.high); w.u8(streamID.low); w.u16(statusCode); w.i32(bodyLength)
    }

    public static func decode(_ bytes: ArraySlice<UInt8>) throws(XRootDError) -> ResponseHeader {
        var r = ByteReader(bytes, context: "response header")
        let high = try r.u8(), low = try r.u8()
        return ResponseHeader(streamID: StreamID(high, low), statusCode: try r.u16(), bodyLength: try r.i32())
    }
}
