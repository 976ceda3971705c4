// Typed client requests of the supported subset. Encoding and decoding: RequestCodec.swift.

/// The 4-byte file handle a server returns from `kXR_open`.
public struct FileHandle: Hashable, Sendable, CustomStringConvertible {
    public var bytes: (UInt8, UInt8, UInt8, UInt8)

    public init(_ bytes: (UInt8, UInt8, UInt8, UInt8)) { self.bytes = bytes }
    public init(_ value: UInt32) {
        bytes = (UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF))
    }

    public static let zero = FileHandle(0)

    public var value: UInt32 {
        UInt32(bytes.0) << 24 | UInt32(bytes.1) << 16 | UInt32(bytes.2) << 8 | UInt32(bytes.3)
    }

    var array: [UInt8] { [bytes.0, bytes.1, bytes.2, bytes.3] }

    init(reading r: inout ByteReader) throws(XRootDError) { self.init(try r.u32()) }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.value == rhs.value }
    public func hash(into hasher: inout Hasher) { hasher.combine(value) }
    public var description: String { "fh\(value)" }
}

/// `kXR_protocol`: the client's protocol version and what it wants to know.
public struct ProtocolRequest: Hashable, Sendable {
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let securityRequirements = Self(rawValue: 0x01)
        public static let ableTLS = Self(rawValue: 0x02)
        public static let wantTLS = Self(rawValue: 0x04)
        public static let bindRequirements = Self(rawValue: 0x08)
    }

    public var clientVersion: Int32
    public var flags: Flags
    /// `ExpectFlags`: what the client does next (3 = login).
    public var expect: UInt8

    public init(clientVersion: Int32 = XRootDProtocol.version, flags: Flags = [], expect: UInt8 = 3) {
        self.clientVersion = clientVersion
        self.flags = flags
        self.expect = expect
    }
}

/// `kXR_login`: the declared user (at most 8 bytes on the wire) and process id; no strong authentication.
public struct LoginRequest: Hashable, Sendable {
    public var processID: Int32
    public var user: String
    public var ability2: UInt8
    public var ability: UInt8
    /// `XLoginCapVer`: the low bits hold the client version (5 = TLS-capable 2019 client).
    public var capabilityVersion: UInt8
    /// Optional CGI token sent as payload.
    public var token: String

    public init(processID: Int32, user: String, ability2: UInt8 = 0, ability: UInt8 = 0,
                capabilityVersion: UInt8 = 5, token: String = "") {
        self.processID = processID
        self.user = String(decoding: Array(user.utf8.prefix(8)), as: UTF8.self)
        self.ability2 = ability2
        self.ability = ability
        self.capabilityVersion = capabilityVersion
        self.token = token
    }
}

/// `kXR_stat` options (`XStatRequestOption`).
public struct StatOptions: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Report file-system (space) information instead of the entry's.
    public static let fileSystem = Self(rawValue: 0x01)
}

/// `kXR_stat` of a path (or, with an empty path, of an open file handle).
public struct StatRequest: Hashable, Sendable {
    public var path: String
    public var options: StatOptions
    public var handle: FileHandle

    public init(path: String, options: StatOptions = [], handle: FileHandle = .zero) {
        self.path = path
        self.options = options
        self.handle = handle
    }
}

/// `kXR_dirlist` options (`XDirlistRequestOption`).
public struct DirlistOptions: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let online = Self(rawValue: 0x01)
    /// `kXR_dstat`: each name is followed by its stat line.
    public static let withStat = Self(rawValue: 0x02)
    public static let withChecksum = Self(rawValue: 0x04)
}

public struct DirlistRequest: Hashable, Sendable {
    public var path: String
    public var options: DirlistOptions

    public init(path: String, options: DirlistOptions = []) {
        self.path = path
        self.options = options
    }
}

/// `kXR_mkdir` options (`XMkdirOptions`).
public struct MkdirOptions: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// `kXR_mkdirpath`: create missing parents (`mkdir -p`).
    public static let makePath = Self(rawValue: 0x01)
}

public struct MkdirRequest: Hashable, Sendable {
    public var path: String
    public var options: MkdirOptions
    public var mode: FileMode

    public init(path: String, options: MkdirOptions = [], mode: FileMode = 0o755) {
        self.path = path
        self.options = options
        self.mode = mode
    }
}

public struct MoveRequest: Hashable, Sendable {
    public var source: String
    public var destination: String

    public init(source: String, destination: String) {
        self.source = source
        self.destination = destination
    }
}

public struct ChmodRequest: Hashable, Sendable {
    public var path: String
    public var mode: FileMode

    public init(path: String, mode: FileMode) {
        self.path = path
        self.mode = mode
    }
}

/// `kXR_query`: `arguments` are the payload (config keys separated by spaces, a path for space, ...).
public struct QueryRequest: Hashable, Sendable {
    public var kind: QueryKind
    public var arguments: String
    public var handle: FileHandle

    public init(kind: QueryKind, arguments: String, handle: FileHandle = .zero) {
        self.kind = kind
        self.arguments = arguments
        self.handle = handle
    }
}

/// `kXR_open` options (`XOpenRequestOption`).
public struct OpenOptions: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let compress = Self(rawValue: 0x0001)
    /// Create, truncating an existing file.
    public static let delete = Self(rawValue: 0x0002)
    public static let force = Self(rawValue: 0x0004)
    /// Create; fail with `kXR_ItExists` if the file exists.
    public static let new = Self(rawValue: 0x0008)
    public static let read = Self(rawValue: 0x0010)
    public static let update = Self(rawValue: 0x0020)
    public static let async = Self(rawValue: 0x0040)
    public static let refresh = Self(rawValue: 0x0080)
    public static let makePath = Self(rawValue: 0x0100)
    public static let append = Self(rawValue: 0x0200)
    /// The open response carries the file's stat line.
    public static let returnStat = Self(rawValue: 0x0400)
    public static let replica = Self(rawValue: 0x0800)
    public static let persistOnSuccessfulClose = Self(rawValue: 0x1000)
    public static let noWait = Self(rawValue: 0x2000)
    public static let sequentialIO = Self(rawValue: 0x4000)
    public static let writeOnly = Self(rawValue: 0x8000)

    /// True when the open may create or modify the file (a write-class request).
    public var isWrite: Bool { !intersection([.delete, .new, .update, .append, .writeOnly]).isEmpty }
}

public struct OpenRequest: Hashable, Sendable {
    public var path: String
    public var options: OpenOptions
    public var mode: FileMode

    public init(path: String, options: OpenOptions = .read, mode: FileMode = 0o644) {
        self.path = path
        self.options = options
        self.mode = mode
    }
}

public struct ReadRequest: Hashable, Sendable {
    public var handle: FileHandle
    public var offset: Int64
    public var length: Int32

    public init(handle: FileHandle, offset: Int64, length: Int32) {
        self.handle = handle
        self.offset = offset
        self.length = length
    }
}

/// A decoded or to-be-encoded request of the supported subset.
public enum XRootDRequest: Hashable, Sendable {
    case `protocol`(ProtocolRequest)
    case login(LoginRequest)
    case ping
    case stat(StatRequest)
    case dirlist(DirlistRequest)
    case mkdir(MkdirRequest)
    case rmdir(path: String)
    case rm(path: String)
    case mv(MoveRequest)
    case chmod(ChmodRequest)
    case query(QueryRequest)
    case open(OpenRequest)
    case read(ReadRequest)
    case close(FileHandle)
    /// `kXR_endsess` for the 16-byte session id from the login response.
    case endsess(sessionID: [UInt8])
    /// `kXR_fattr`, `kXR_prepare`, `kXR_set`, `kXR_sync` and the data requests (SurfaceRequests.swift).
    case fattr(FattrRequest)
    case prepare(PrepareRequest)
    case set(SetRequest)
    case sync(FileHandle)
    case data(DataRequest)
}
