// Encoding and decoding of `XRootDRequest` (layouts: the Client*Request structs of XProtocol.hh).

extension XRootDRequest {
    public var requestID: RequestID {
        switch self {
        case .protocol: return .protocol
        case .login: return .login
        case .ping: return .ping
        case .stat: return .stat
        case .dirlist: return .dirlist
        case .mkdir: return .mkdir
        case .rmdir: return .rmdir
        case .rm: return .rm
        case .mv: return .mv
        case .chmod: return .chmod
        case .query: return .query
        case .open: return .open
        case .read: return .read
        case .close: return .close
        case .endsess: return .endsess
        case .fattr: return .fattr
        case .prepare: return .prepare
        case .set: return .set
        case .sync: return .sync
        case .data(let r): return r.id
        }
    }

    /// True for requests that change the namespace (the "write" class of access rules).
    public var isMutation: Bool {
        switch self {
        case .mkdir, .rmdir, .rm, .mv, .chmod: return true
        case .open(let open): return open.options.isWrite
        case .fattr(let r): return r.kind == .set || r.kind == .delete
        default: return false
        }
    }

    /// The 16 parameter bytes and the payload.
    private var parametersAndPayload: ([UInt8], [UInt8]) {
        var p = ByteWriter(capacity: 16)
        var payload: [UInt8] = []
        switch self {
        case .protocol(let r):
            p.i32(r.clientVersion); p.u8(r.flags.rawValue); p.u8(r.expect)
        case .login(let r):
            p.i32(r.processID); p.fixed(Array(r.user.utf8), count: 8)
            p.u8(r.ability2); p.u8(r.ability); p.u8(r.capabilityVersion)
            payload = WireText.encode(r.token)
        case .ping:
            break
        case .stat(let r):
            p.u8(r.options.rawValue); p.zeros(11); p.raw(r.handle.array)
            payload = WireText.encode(r.path)
        case .dirlist(let r):
            p.zeros(15); p.u8(r.options.rawValue)
            payload = WireText.encode(r.path)
        case .mkdir(let r):
            p.u8(r.options.rawValue); p.zeros(13); p.u16(r.mode.rawValue)
            payload = WireText.encode(r.path)
        case .rmdir(let path), .rm(let path):
            payload = WireText.encode(path)
        case .mv(let r):
            let source = WireText.encode(r.source)
            p.zeros(14); p.i16(Int16(clamping: source.count))
            payload = source + [0x20] + WireText.encode(r.destination)
        case .chmod(let r):
            p.zeros(14); p.u16(r.mode.rawValue)
            payload = WireText.encode(r.path)
        case .query(let r):
            p.u16(r.kind.rawValue); p.zeros(2); p.raw(r.handle.array)
            payload = WireText.encode(r.arguments)
        case .open(let r):
            p.u16(r.mode.rawValue); p.u16(r.options.rawValue)
            payload = WireText.encode(r.path)
        case .read(let r):
            p.raw(r.handle.array); p.i64(r.offset); p.i32(r.length)
        case .close(let handle):
            p.raw(handle.array)
        case .endsess(let session):
            p.fixed(session, count: 16)
        case .fattr(let r):
            p.raw(r.handle.array); p.u8(r.subcode); p.u8(r.count); p.u8(r.options)
            payload = r.encodePayload()
        case .prepare(let r):
            p.u8(r.options); p.u8(r.priority); p.u16(r.port); p.u16(r.optionX)
            payload = WireText.encode(r.text)
        case .set(let r):
            p.zeros(15); p.u8(r.modifier)
            payload = WireText.encode(r.text)
        case .sync(let handle):
            p.raw(handle.array)
        case .data(let r):
            switch r.id {
            case .readv, .writev: payload = r.handle.array + Array(repeating: 0, count: 12)
            case .truncate: p.raw(r.handle.array); payload = WireText.encode(r.path)
            default: p.raw(r.handle.array)
            }
        }
        p.fixed([], count: 16 - min(16, p.bytes.count))
        return (Array(p.bytes.prefix(16)), payload)
    }

    /// The request framed with `streamID`.
    public func frame(streamID: StreamID) -> RequestFrame {
        let (parameters, payload) = parametersAndPayload
        let header = RequestHeader(streamID: streamID, requestCode: requestID.rawValue, parameters: parameters,
                                   payloadLength: Int32(clamping: payload.count))
        return RequestFrame(header: header, payload: payload)
    }

    /// The request's bytes on the wire.
    public func encode(streamID: StreamID) -> [UInt8] {
        let frame = frame(streamID: streamID)
        var w = ByteWriter(capacity: RequestHeader.length + frame.payload.count)
        frame.header.encode(into: &w)
        w.raw(frame.payload)
        return w.bytes
    }

    /// Decodes a framed request. Unknown codes throw `unsupportedRequest`, bad contents `malformed`.
    public init(frame: RequestFrame) throws(XRootDError) {
        guard let id = frame.header.requestID else { throw .unsupportedRequest(frame.header.requestCode) }
        guard frame.header.parameters.count == 16 else {
            throw .malformed("\(id.name): \(frame.header.parameters.count) parameter bytes, expected 16")
        }
        var p = ByteReader(frame.header.parameters, context: id.name)
        let payload = frame.payload[...]
        func text() throws(XRootDError) -> String { try WireText.decode(payload, context: "\(id.name) payload") }
        func path() throws(XRootDError) -> String {
            let path = try text()
            guard !path.isEmpty else { throw .malformed("\(id.name): empty path") }
            return path
        }
        switch id {
        case .protocol:
            self = .protocol(ProtocolRequest(clientVersion: try p.i32(), flags: .init(rawValue: try p.u8()),
                                             expect: try p.u8()))
        case .login:
            let pid = try p.i32()
            let user = try WireText.decode(try p.take(8), context: "kXR_login user")
            self = .login(LoginRequest(processID: pid, user: user, ability2: try p.u8(), ability: try p.u8(),
                                       capabilityVersion: try p.u8(), token: try text()))
        case .ping:
            self = .ping
        case .stat:
            let options = StatOptions(rawValue: try p.u8())
            try p.skip(11)
            let handle = try FileHandle(reading: &p)
            let path = try text()
            guard !path.isEmpty || handle != .zero else { throw .malformed("kXR_stat: no path and no handle") }
            self = .stat(StatRequest(path: path, options: options, handle: handle))
        case .dirlist:
            try p.skip(15)
            self = .dirlist(DirlistRequest(path: try path(), options: .init(rawValue: try p.u8())))
        case .mkdir:
            let options = MkdirOptions(rawValue: try p.u8())
            try p.skip(13)
            self = .mkdir(MkdirRequest(path: try path(), options: options, mode: FileMode(rawValue: try p.u16())))
        case .rmdir:
            self = .rmdir(path: try path())
        case .rm:
            self = .rm(path: try path())
        case .mv:
            try p.skip(14)
            self = .mv(try Self.decodeMove(argument1Length: Int(try p.i16()), payload: payload))
        case .chmod:
            try p.skip(14)
            self = .chmod(ChmodRequest(path: try path(), mode: FileMode(rawValue: try p.u16())))
        case .query:
            let kind = QueryKind(rawValue: try p.u16())
            try p.skip(2)
            self = .query(QueryRequest(kind: kind, arguments: try text(), handle: try FileHandle(reading: &p)))
        case .open:
            let mode = FileMode(rawValue: try p.u16())
            self = .open(OpenRequest(path: try path(), options: OpenOptions(rawValue: try p.u16()), mode: mode))
        case .read:
            let handle = try FileHandle(reading: &p)
            let offset = try p.i64(), length = try p.i32()
            guard offset >= 0, length >= 0 else { throw .malformed("kXR_read: negative offset or length") }
            self = .read(ReadRequest(handle: handle, offset: offset, length: length))
        case .close:
            self = .close(try FileHandle(reading: &p))
        case .endsess:
            self = .endsess(sessionID: Array(try p.take(16)))
        case .fattr:
            let handle = try FileHandle(reading: &p)
            let subcode = try p.u8(), count = try p.u8(), options = try p.u8()
            self = .fattr(try FattrRequest(subcode: subcode, count: count, options: options, handle: handle, payload: payload))
        case .prepare:
            let options = try p.u8(), priority = try p.u8(), port = try p.u16(), optionX = try p.u16()
            self = .prepare(PrepareRequest(options: options, text: try text(), priority: priority, port: port, optionX: optionX))
        case .set:
            try p.skip(15)
            let modifier = try p.u8()
            self = .set(SetRequest(text: try text(), modifier: modifier))
        case .sync:
            self = .sync(try FileHandle(reading: &p))
        case .write, .pgwrite, .writev, .pgread, .readv, .truncate:
            self = .data(try DataRequest.decode(id, parameters: &p, payload: payload))
        default:
            throw .unsupportedRequest(id.rawValue)
        }
    }

    /// "source destination": split at `argument1Length`, or at the first space when it is 0 (old clients).
    private static func decodeMove(argument1Length: Int, payload: ArraySlice<UInt8>) throws(XRootDError)
        -> MoveRequest
    {
        let split: Int
        if argument1Length > 0 {
            guard argument1Length < payload.count, payload[payload.startIndex + argument1Length] == 0x20 else {
                throw .malformed("kXR_mv: source length \(argument1Length) does not end at a space")
            }
            split = payload.startIndex + argument1Length
        } else if argument1Length == 0, let space = payload.firstIndex(of: 0x20) {
            split = space
        } else {
            throw .malformed("kXR_mv: no space between source and destination")
        }
        let source = try WireText.decode(payload[payload.startIndex..<split], context: "kXR_mv source")
        let destination = try WireText.decode(payload[(split + 1)...], context: "kXR_mv destination")
        guard !source.isEmpty, !destination.isEmpty else { throw .malformed("kXR_mv: empty source or destination") }
        return MoveRequest(source: source, destination: destination)
    }
}
