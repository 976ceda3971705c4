// Typed `kXR_ok` bodies of kXR_protocol, kXR_login and kXR_open.

/// Server capability flags of the kXR_protocol response (`kXR_isServer`, `kXR_isManager`, ...).
public struct ServerFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let isServer = Self(rawValue: 0x0000_0001)
    public static let isManager = Self(rawValue: 0x0000_0002)
    public static let isMetaManager = Self(rawValue: 0x0000_0100)
    public static let isProxy = Self(rawValue: 0x0000_0200)
    public static let isSupervisor = Self(rawValue: 0x0000_0400)
    public static let supportsPersistOnClose = Self(rawValue: 0x0010_0000)
    public static let supportsPageIO = Self(rawValue: 0x0020_0000)
    /// `kXR_haveTLS`: the server can switch the connection to TLS.
    public static let haveTLS = Self(rawValue: 0x8000_0000)
    /// `kXR_gotoTLS`: the server switches to TLS right after this answer; the client starts the TLS handshake.
    public static let gotoTLS = Self(rawValue: 0x4000_0000)
}

/// The kXR_protocol answer: the server's protocol version and flags (security requirements, if any, raw).
public struct ProtocolResponse: Hashable, Sendable {
    public var version: Int32
    public var flags: ServerFlags
    public var requirements: [UInt8]

    public init(version: Int32 = XRootDProtocol.version, flags: ServerFlags = [.isServer], requirements: [UInt8] = []) {
        self.version = version
        self.flags = flags
        self.requirements = requirements
    }

    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 8 + requirements.count)
        w.i32(version); w.u32(flags.rawValue); w.raw(requirements)
        return w.bytes
    }

    public init(body: [UInt8]) throws(XRootDError) {
        var r = ByteReader(body, context: "kXR_protocol response")
        self.init(version: try r.i32(), flags: ServerFlags(rawValue: try r.u32()), requirements: Array(r.rest()))
    }
}

/// The kXR_login answer: a 16-byte session id, then security parameters when authentication is required.
public struct LoginResponse: Hashable, Sendable {
    public var sessionID: [UInt8]
    public var security: String

    public init(sessionID: [UInt8], security: String = "") {
        self.sessionID = Array(sessionID.prefix(16)) + Array(repeating: 0, count: max(0, 16 - sessionID.count))
        self.security = security
    }

    public func encode() -> [UInt8] { sessionID + WireText.encode(security) }

    public init(body: [UInt8]) throws(XRootDError) {
        var r = ByteReader(body, context: "kXR_login response")
        let session = Array(try r.take(16))
        self.init(sessionID: session, security: try WireText.decode(r.rest(), context: "kXR_login security"))
    }
}

/// The kXR_open answer: the file handle, and the stat line when `returnStat` was asked for.
public struct OpenResponse: Hashable, Sendable {
    public var handle: FileHandle
    public var stat: StatInfo?

    public init(handle: FileHandle, stat: StatInfo? = nil) {
        self.handle = handle
        self.stat = stat
    }

    /// fhandle[4], then (with a stat) cpsize[4] and cptype[4] zeroed, then the stat text.
    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 12)
        w.raw(handle.array)
        if let stat {
            w.zeros(8)
            w.raw(WireText.encode(stat.text, nulTerminated: true))
        }
        return w.bytes
    }

    public init(body: [UInt8]) throws(XRootDError) {
        var r = ByteReader(body, context: "kXR_open response")
        let handle = try FileHandle(reading: &r)
        guard r.remaining > 8 else {
            self.init(handle: handle)
            return
        }
        try r.skip(8)
        self.init(handle: handle, stat: try StatInfo(text: WireText.decode(r.rest(), context: "kXR_open stat")))
    }
}
