// Protocol constants of the XRootD wire protocol (values from XProtocol.hh, protocol 5.1.0).

/// The protocol version this module speaks (`kXR_PROTOCOLVERSION`).
public enum XRootDProtocol {
    /// `kXR_PROTOCOLVERSION`: 5.1.0 encoded as 0x0511.
    public static let version: Int32 = 0x0000_0511
    /// The fourth and fifth words of the client's initial handshake.
    public static let handshakeFourth: Int32 = 4
    public static let handshakeFifth: Int32 = 2012
    /// `kXR_DataServer`, the `msgval` of the server's handshake reply.
    public static let dataServer: Int32 = 1
    /// Length of a client request header and of a server response header.
    public static let requestHeaderLength = 24
    public static let responseHeaderLength = 8
    /// Default limit for a frame's payload: anything longer is refused.
    public static let defaultMaximumPayload = 16 * 1024 * 1024
}

/// Client request codes (`XRequestTypes`). Only the subset this module encodes is listed.
public enum RequestID: UInt16, Sendable, CaseIterable {
    case auth = 3000
    case query = 3001
    case chmod = 3002
    case close = 3003
    case dirlist = 3004
    case `protocol` = 3006
    case login = 3007
    case mkdir = 3008
    case mv = 3009
    case open = 3010
    case ping = 3011
    case read = 3013
    case rm = 3014
    case rmdir = 3015
    case sync = 3016
    case stat = 3017
    case set = 3018
    case write = 3019
    case fattr = 3020
    case prepare = 3021
    case statx = 3022
    case endsess = 3023
    case bind = 3024
    case readv = 3025
    case pgwrite = 3026
    case locate = 3027
    case truncate = 3028
    case sigver = 3029
    case pgread = 3030
    case writev = 3031

    /// The legacy request name as XRootD logs it (`kXR_stat`, ...). From a table built once: interpolating
    /// `self` reflects over the enum, which cost a server ~1.5 µs per request (every decode names its request).
    public var name: String { Self.names[Int(rawValue) - Self.firstCode] }

    private static let firstCode = Int(RequestID.auth.rawValue)
    private static let names: [String] = {
        var table = Array(repeating: "", count: Int(RequestID.writev.rawValue) - firstCode + 1)
        for id in allCases { table[Int(id.rawValue) - firstCode] = "kXR_\(id)" }
        return table
    }()
}

/// Server response status codes (`XResponseType`).
public enum ResponseStatus: UInt16, Sendable, CaseIterable {
    case ok = 0
    case okSoFar = 4000
    case attention = 4001
    case authMore = 4002
    case error = 4003
    case redirect = 4004
    case wait = 4005
    case waitResponse = 4006
    case status = 4007
}

/// Server error codes (`XErrorCode`); a struct so that codes from newer servers stay representable.
public struct XRootDErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let argInvalid = Self(rawValue: 3000)
    public static let argMissing = Self(rawValue: 3001)
    public static let argTooLong = Self(rawValue: 3002)
    public static let fileLocked = Self(rawValue: 3003)
    public static let fileNotOpen = Self(rawValue: 3004)
    public static let fsError = Self(rawValue: 3005)
    public static let invalidRequest = Self(rawValue: 3006)
    public static let ioError = Self(rawValue: 3007)
    public static let noMemory = Self(rawValue: 3008)
    public static let noSpace = Self(rawValue: 3009)
    public static let notAuthorized = Self(rawValue: 3010)
    public static let notFound = Self(rawValue: 3011)
    public static let serverError = Self(rawValue: 3012)
    public static let unsupported = Self(rawValue: 3013)
    public static let noServer = Self(rawValue: 3014)
    public static let notFile = Self(rawValue: 3015)
    public static let isDirectory = Self(rawValue: 3016)
    public static let cancelled = Self(rawValue: 3017)
    public static let itExists = Self(rawValue: 3018)
    public static let checksumError = Self(rawValue: 3019)
    public static let inProgress = Self(rawValue: 3020)
    public static let overQuota = Self(rawValue: 3021)
    public static let signatureError = Self(rawValue: 3022)
    public static let decryptError = Self(rawValue: 3023)
    public static let overloaded = Self(rawValue: 3024)
    public static let fsReadOnly = Self(rawValue: 3025)
    public static let badPayload = Self(rawValue: 3026)
    public static let attributeNotFound = Self(rawValue: 3027)
    public static let tlsRequired = Self(rawValue: 3028)
    public static let noReplicas = Self(rawValue: 3029)
    public static let authFailed = Self(rawValue: 3030)
    public static let impossible = Self(rawValue: 3031)
    public static let conflict = Self(rawValue: 3032)
    public static let tooManyErrors = Self(rawValue: 3033)
    public static let requestTimedOut = Self(rawValue: 3034)

    static let names: [Int32: String] = [
        3000: "kXR_ArgInvalid", 3001: "kXR_ArgMissing", 3002: "kXR_ArgTooLong", 3003: "kXR_FileLocked",
        3004: "kXR_FileNotOpen", 3005: "kXR_FSError", 3006: "kXR_InvalidRequest", 3007: "kXR_IOError",
        3008: "kXR_NoMemory", 3009: "kXR_NoSpace", 3010: "kXR_NotAuthorized", 3011: "kXR_NotFound",
        3012: "kXR_ServerError", 3013: "kXR_Unsupported", 3014: "kXR_noserver", 3015: "kXR_NotFile",
        3016: "kXR_isDirectory", 3017: "kXR_Cancelled", 3018: "kXR_ItExists", 3019: "kXR_ChkSumErr",
        3020: "kXR_inProgress", 3021: "kXR_overQuota", 3022: "kXR_SigVerErr", 3023: "kXR_DecryptErr",
        3024: "kXR_Overloaded", 3025: "kXR_fsReadOnly", 3026: "kXR_BadPayload", 3027: "kXR_AttrNotFound",
        3028: "kXR_TLSRequired", 3029: "kXR_noReplicas", 3030: "kXR_AuthFailed", 3031: "kXR_Impossible",
        3032: "kXR_Conflict", 3033: "kXR_TooManyErrs", 3034: "kXR_ReqTimedOut",
    ]

    /// The XProtocol.hh name, e.g. `kXR_NotFound`, or `kXR_error(<n>)` for an unknown code.
    public var description: String { Self.names[rawValue] ?? "kXR_error(\(rawValue))" }
}

/// Query kinds (`XQueryType`) for `kXR_query`.
public struct QueryKind: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let statistics = Self(rawValue: 1)
    public static let prepare = Self(rawValue: 2)
    public static let checksum = Self(rawValue: 3)
    public static let extendedAttributes = Self(rawValue: 4)
    /// `kXR_Qspace`: space usage of the file system holding a path.
    public static let space = Self(rawValue: 5)
    /// `kXR_Qconfig`: configuration values for space-separated keys (`version`, `role`, ...).
    public static let config = Self(rawValue: 7)
    public static let visa = Self(rawValue: 8)
    public static let opaque = Self(rawValue: 16)
    /// `kXR_Qckscan`: a checksum computed by scanning the file.
    public static let checksumScan = Self(rawValue: 6)
    /// `kXR_Qopaquf`, `kXR_Qopaqug`: opaque file-system control on a file or a path.
    public static let opaqueFile = Self(rawValue: 32)
    public static let opaqueGeneric = Self(rawValue: 64)
}

/// Permission bits of `kXR_open`, `kXR_mkdir` and `kXR_chmod` (`XOpenRequestMode`).
/// The kXR bits coincide with the POSIX permission bits 0o777.
public struct FileMode: OptionSet, Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0o777 }
    public init(integerLiteral value: UInt16) { self.init(rawValue: value) }

    public static let ownerRead = Self(rawValue: 0x100)
    public static let ownerWrite = Self(rawValue: 0x080)
    public static let ownerExecute = Self(rawValue: 0x040)
    public static let groupRead = Self(rawValue: 0x020)
    public static let groupWrite = Self(rawValue: 0x010)
    public static let groupExecute = Self(rawValue: 0x008)
    public static let otherRead = Self(rawValue: 0x004)
    public static let otherWrite = Self(rawValue: 0x002)
    public static let otherExecute = Self(rawValue: 0x001)

    /// Octal, as `ls` and the stat response print it (`0755`).
    public var description: String { octalString(UInt32(rawValue), width: 4) }
}

/// `value` in octal, zero-padded to `width` digits.
func octalString(_ value: UInt32, width: Int) -> String {
    let digits = String(value, radix: 8)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
