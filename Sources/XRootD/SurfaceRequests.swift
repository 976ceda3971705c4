// Requests beyond the namespace subset that stock clients send: kXR_fattr (extended attributes),
// kXR_prepare, kXR_set, kXR_sync and the data requests (kXR_write, kXR_pgwrite, kXR_writev, kXR_pgread,
// kXR_readv, kXR_truncate). Layouts: the Client*Request structs of XProtocol.hh.

/// `kXR_fattr` subcodes (`xfaSubCode`).
public enum FattrSubcode: UInt8, Sendable, Hashable {
    case delete = 0
    case get = 1
    case list = 2
    case set = 3
}

/// `kXR_fattr`: get, set, list or delete extended attributes of a path (or of an open file when `path` is
/// empty and `handle` is not zero). Payload: the path and a NUL, then `nvec` (per name: a 2-byte code,
/// the name, a NUL), then for set `vvec` (per value: a 4-byte length, the bytes).
public struct FattrRequest: Hashable, Sendable {
    /// The raw subcode (a value outside `FattrSubcode` is answered `kXR_ArgInvalid` by the server).
    public var subcode: UInt8
    public var handle: FileHandle
    /// `numattr` as sent.
    public var count: UInt8
    public var options: UInt8
    public var path: String
    public var names: [[UInt8]]
    public var values: [[UInt8]]

    /// `isNew`: set fails for a name that exists. `withValues` (`aData`): list returns the values.
    public static let isNew: UInt8 = 0x01
    public static let withValues: UInt8 = 0x10
    /// `kXR_faMaxVars`, `kXR_faMaxNlen`, `kXR_faMaxVlen`.
    public static let maximumCount = 16
    public static let maximumNameLength = 248
    public static let maximumValueLength = 65536

    public init(subcode: FattrSubcode, path: String, names: [[UInt8]] = [], values: [[UInt8]] = [],
                options: UInt8 = 0, handle: FileHandle = .zero) {
        self.subcode = subcode.rawValue
        self.handle = handle
        self.count = UInt8(clamping: names.count)
        self.options = options
        self.path = path
        self.names = names
        self.values = values
    }

    public var kind: FattrSubcode? { FattrSubcode(rawValue: subcode) }

    func encodePayload() -> [UInt8] {
        var w = ByteWriter(capacity: path.utf8.count + 64)
        w.raw(Array(path.utf8)); w.u8(0)
        for name in names { w.u16(0); w.raw(name); w.u8(0) }
        if kind == .set {
            for value in values { w.i32(Int32(clamping: value.count)); w.raw(value) }
        }
        return w.bytes
    }

    /// Decodes the payload: the path, then `count` names, then (set) `count` values. A name without
    /// its NUL or a value past the payload's end is malformed.
    init(subcode: UInt8, count: UInt8, options: UInt8, handle: FileHandle, payload: ArraySlice<UInt8>) throws(XRootDError) {
        self.subcode = subcode
        self.count = count
        self.options = options
        self.handle = handle
        guard let pathEnd = payload.firstIndex(of: 0) else {
            path = try WireText.decode(payload, context: "kXR_fattr path")
            names = []
            values = []
            return
        }
        path = try WireText.decode(payload[payload.startIndex..<pathEnd], context: "kXR_fattr path")
        var r = ByteReader(payload[(pathEnd + 1)...], context: "kXR_fattr")
        var names: [[UInt8]] = []
        var values: [[UInt8]] = []
        let wanted = FattrSubcode(rawValue: subcode) == .list ? 0 : Int(count)
        for _ in 0..<min(wanted, Self.maximumCount) {
            try r.skip(2)
            let rest = r.rest()
            guard let nul = rest.firstIndex(of: 0) else { throw .malformed("kXR_fattr: a name without its NUL") }
            names.append(Array(rest[rest.startIndex..<nul]))
            r = ByteReader(rest[(nul + 1)...], context: "kXR_fattr")
        }
        if FattrSubcode(rawValue: subcode) == .set {
            for _ in names {
                let length = try r.i32()
                guard length >= 0 else { throw .malformed("kXR_fattr: negative value length") }
                values.append(Array(try r.take(Int(length))))
            }
        }
        self.names = names
        self.values = values
    }
}

/// `kXR_prepare`: `options` (`kXR_cancel` 1, `kXR_notify` 2, `kXR_noerrs` 4, `kXR_stage` 8, ...),
/// `optionX` (`kXR_evict` 1, ...), the paths (or a request id) separated by newlines.
public struct PrepareRequest: Hashable, Sendable {
    public var options: UInt8
    public var priority: UInt8
    public var port: UInt16
    public var optionX: UInt16
    public var text: String

    public static let cancel: UInt8 = 0x01
    public static let stage: UInt8 = 0x08

    public init(options: UInt8, text: String, priority: UInt8 = 0, port: UInt16 = 0, optionX: UInt16 = 0) {
        self.options = options
        self.priority = priority
        self.port = port
        self.optionX = optionX
        self.text = text
    }

    /// The non-empty lines of the payload (paths, or a request id for a cancel).
    public var items: [Substring] { text.split(whereSeparator: { $0 == "\n" }) }
}

/// `kXR_set`: a modifier byte and the text (`appid <text>`, `monitor on|off ...`).
public struct SetRequest: Hashable, Sendable {
    public var modifier: UInt8
    public var text: String

    public init(text: String, modifier: UInt8 = 0) {
        self.modifier = modifier
        self.text = text
    }
}

/// A data request (`kXR_write`, `kXR_pgwrite`, `kXR_writev`, `kXR_pgread`, `kXR_readv`, `kXR_truncate`):
/// the handle it names (zero for a truncate by path, and for `kXR_readv`/`kXR_writev`, whose handles
/// are in their payload's segments), and the path of a truncate by path. The data itself is not kept.
public struct DataRequest: Hashable, Sendable {
    public var id: RequestID
    public var handle: FileHandle
    public var path: String

    public init(id: RequestID, handle: FileHandle, path: String = "") {
        self.id = id
        self.handle = handle
        self.path = path
    }

    /// Requests that send file data (an upload), against reads and truncates.
    public var isWrite: Bool { id == .write || id == .pgwrite || id == .writev }

    static func decode(_ id: RequestID, parameters: inout ByteReader, payload: ArraySlice<UInt8>) throws(XRootDError) -> Self {
        switch id {
        case .readv, .writev:
            // The first segment's handle (readahead_list / write_list: 4-byte handle first).
            let handle = payload.count >= 4 ? FileHandle(UInt32(payload[payload.startIndex]) << 24
                | UInt32(payload[payload.startIndex + 1]) << 16 | UInt32(payload[payload.startIndex + 2]) << 8
                | UInt32(payload[payload.startIndex + 3])) : .zero
            return DataRequest(id: id, handle: handle)
        case .truncate:
            let handle = try FileHandle(reading: &parameters)
            let path = try WireText.decode(payload, context: "kXR_truncate path")
            return DataRequest(id: id, handle: path.isEmpty ? handle : .zero, path: path)
        default:
            return DataRequest(id: id, handle: try FileHandle(reading: &parameters))
        }
    }
}
