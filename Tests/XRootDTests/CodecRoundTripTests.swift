import Testing
@testable import XRootD

/// Encodes, frames through the decoder, decodes: the result must equal the input.
private func roundTrip(_ request: XRootDRequest, stream: StreamID = StreamID(0x12, 0x34)) throws -> XRootDRequest {
    var decoder = RequestFrameDecoder(start: .requests)
    decoder.append(request.encode(streamID: stream))
    guard case .request(let frame) = try decoder.next() else { throw XRootDError.malformed("no frame") }
    #expect(frame.header.streamID == stream)
    #expect(frame.header.requestCode == request.requestID.rawValue)
    #expect(try decoder.next() == nil)
    return try XRootDRequest(frame: frame)
}

private func roundTrip(_ response: XRootDResponse) throws -> XRootDResponse {
    var decoder = ResponseFrameDecoder()
    decoder.append(response.encode())
    guard let frame = try decoder.next() else { throw XRootDError.malformed("no frame") }
    return try XRootDResponse(frame: frame)
}

@Suite struct CodecRoundTripTests {
    static let requests: [XRootDRequest] = [
        .protocol(ProtocolRequest(clientVersion: 0x511, flags: [.securityRequirements, .ableTLS], expect: 3)),
        .login(LoginRequest(processID: 4242, user: "root", ability2: 1, ability: 8, capabilityVersion: 5, token: "xrd.cc=ch")),
        .login(LoginRequest(processID: -1, user: "eight888")),
        .ping,
        .stat(StatRequest(path: "/eos/dir/file?x=1")),
        .stat(StatRequest(path: "", options: .fileSystem, handle: FileHandle(7))),
        .dirlist(DirlistRequest(path: "/eos")),
        .dirlist(DirlistRequest(path: "/eos", options: .withStat)),
        .mkdir(MkdirRequest(path: "/a/b/c", options: .makePath, mode: 0o750)),
        .mkdir(MkdirRequest(path: "/a", options: [], mode: [.ownerRead, .ownerWrite, .ownerExecute])),
        .rmdir(path: "/a/b"),
        .rm(path: "/a/f"),
        .mv(MoveRequest(source: "/a/f", destination: "/b/g with space")),
        .chmod(ChmodRequest(path: "/a/f", mode: 0o600)),
        .query(QueryRequest(kind: .config, arguments: "version role")),
        .query(QueryRequest(kind: .space, arguments: "/", handle: FileHandle(3))),
        .open(OpenRequest(path: "/proc/admin/?mgm.cmd=ns&mgm.subcmd=stat")),
        .open(OpenRequest(path: "/a/new", options: [.new, .update, .makePath, .returnStat], mode: 0o644)),
        .read(ReadRequest(handle: FileHandle(0xDEAD_BEEF), offset: 1 << 40, length: 65536)),
        .close(FileHandle(1)),
        .endsess(sessionID: Array(1...16)),
    ]

    @Test(arguments: requests)
    func requestRoundTrip(_ request: XRootDRequest) throws {
        #expect(try roundTrip(request) == request)
    }

    @Test func everyRequestKindIsCovered() {
        #expect(Set(Self.requests.map(\.requestID)).count == 15)
    }

    static let responses: [XRootDResponse] = [
        XRootDResponse(streamID: StreamID(1), body: .ok([])),
        XRootDResponse(streamID: StreamID(2), body: .ok(Array("v5.5.3\n".utf8))),
        XRootDResponse(streamID: StreamID(3), body: .okSoFar(Array(repeating: 0x41, count: 5000))),
        .error(StreamID(4), .notFound, "Unable to locate /nope; no such file or directory"),
        XRootDResponse(streamID: StreamID(5), body: .redirect(Redirect(host: "master.example", port: 1094))),
        XRootDResponse(streamID: StreamID(6), body: .redirect(Redirect(host: "127.0.0.1", port: 2094, opaque: "eos.app=x&y=z"))),
        XRootDResponse(streamID: StreamID(7), body: .wait(Wait(seconds: 5, message: "stalled by rule w:*"))),
        XRootDResponse(streamID: StreamID(8), body: .waitResponse(seconds: 30)),
        XRootDResponse(streamID: StreamID(0), body: .attention(Attention(action: 5002, parameters: [0, 0, 0, 0, 1, 2]))),
    ]

    @Test(arguments: responses)
    func responseRoundTrip(_ response: XRootDResponse) throws {
        #expect(try roundTrip(response) == response)
    }

    @Test func asynchronousResponseUnwraps() throws {
        let inner = XRootDResponse(streamID: StreamID(9), body: .ok(Array("late".utf8)))
        let attention = Attention(action: Attention.asynchronousResponse, parameters: [0, 0, 0, 0] + inner.encode())
        let outer = try roundTrip(XRootDResponse(streamID: StreamID(0), body: .attention(attention)))
        guard case .attention(let decoded) = outer.body else { Issue.record("not attn"); return }
        #expect(try decoded.asynchronousResponse() == inner)
    }

    @Test func handshakes() throws {
        let client = ClientHandshake().encode()
        #expect(client == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0x07, 0xDC])
        #expect(try ClientHandshake.decode(client[...]) == ClientHandshake())
        // The stock 5.5.3 server's reply, byte for byte.
        let reply: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 5, 0x11, 0, 0, 0, 1]
        #expect(ServerHandshake().encode() == reply)
        #expect(try ServerHandshake.decode(reply[...]) == ServerHandshake(protocolVersion: 0x511, serverType: 1))
    }

    @Test func sessionBodies() throws {
        // The stock server's kXR_protocol body: 0x511, kXR_isServer | kXR_supposc | kXR_suppgrw.
        let protocolBody: [UInt8] = [0, 0, 5, 0x11, 0, 0x30, 0, 1]
        let decoded = try ProtocolResponse(body: protocolBody)
        #expect(decoded.version == 0x511)
        #expect(decoded.flags == [.isServer, .supportsPersistOnClose, .supportsPageIO])
        #expect(decoded.encode() == protocolBody)
        let login = LoginResponse(sessionID: Array(0..<16))
        #expect(try LoginResponse(body: login.encode()) == login)
        let stat = try StatInfo(text: "12 7 48 1795803852 1795803853 1795803861 0644 nobody root")
        for open in [OpenResponse(handle: FileHandle(5)), OpenResponse(handle: FileHandle(6), stat: stat)] {
            #expect(try OpenResponse(body: open.encode()) == open)
        }
    }

    @Test func stockStatFormat() throws {
        let body = Array("69772259119660544 4096 51 1795803838 1795803853 1795803853 0755 nobody nogroup\0".utf8)
        let stat = try StatInfo(body: body)
        #expect(stat.id == 69_772_259_119_660_544)
        #expect(stat.size == 4096)
        #expect(stat.flags == [.isDirectory, .readable, .writable, .executable])
        #expect(stat.modificationTime == 1_795_803_838)
        #expect(stat.extended?.mode == 0o755)
        #expect(stat.extended?.owner == "nobody")
        #expect(stat.encode() == body)
        let short = try StatInfo(text: "0 0 0 0")
        #expect(short.extended == nil && short.text == "0 0 0 0")
        #expect(StatFlags(posixMode: 0o040755) == [.isDirectory, .readable, .writable, .executable])
        #expect(StatFlags(posixMode: 0o100644) == [.readable, .writable])
    }

    /// `encode()` formats without an intermediate string: the same bytes as the text, at the extremes too.
    @Test func statEncodingMatchesText() {
        let names = ["", "u", String(repeating: "ü", count: 40)]
        for id: UInt64 in [0, 7, 10, UInt64.max] {
            for size: Int64 in [0, -1, Int64.min, Int64.max, 4096] {
                for mode: UInt32 in [0, 0o7, 0o644, 0o7777, 0o17777, UInt32.max] {
                    let e = StatInfo.Extended(changeTime: Int64.min, accessTime: 99, mode: mode,
                                              owner: names[Int(mode % 3)], group: names[Int(id % 3)])
                    for stat in [StatInfo(id: id, size: size, flags: [.readable, .isDirectory], modificationTime: -5),
                                 StatInfo(id: id, size: size, flags: StatFlags(rawValue: Int32.min),
                                          modificationTime: Int64.max, extended: e)] {
                        let encoded = stat.encode()
                        #expect(encoded == Array(stat.text.utf8) + [0])
                        #expect(encoded.count <= stat.maximumEncodedLength)
                    }
                }
            }
        }
        #expect(RequestID.allCases.allSatisfy { $0.name == "kXR_\($0)" })
    }

    @Test func stockDirlistFormats() throws {
        let plain = try DirectoryListing(body: Array("b\nf1\0".utf8), options: [])
        #expect(plain.names == ["b", "f1"])
        #expect(try DirectoryListing(body: [UInt8](), options: []).entries.isEmpty)
        let statBody = ".\n0 0 0 0\nb\n69772263414627840 4096 51 1795803838 1795803838 1795803838 0755 nobody nogroup\n"
            + "f1\n69772272004562432 0 48 1795803838 1795803838 1795803838 0644 nobody nogroup\0"
        let listing = try DirectoryListing(body: Array(statBody.utf8), options: .withStat)
        #expect(listing.names == ["b", "f1"])
        #expect(listing.entries[0].stat?.isDirectory == true)
        #expect(listing.entries[1].stat?.size == 0)
        #expect(listing.encodeBodies(options: .withStat) == [Array(statBody.utf8)])
        #expect(plain.encodeBodies(options: []) == [Array("b\nf1\0".utf8)])
        // Empty directories, as the stock server answers them.
        #expect(DirectoryListing(entries: []).encodeBodies(options: []) == [[]])
        #expect(DirectoryListing(entries: []).encodeBodies(options: .withStat) == [Array(".\n0 0 0 0\0".utf8)])
        #expect(try DirectoryListing(body: Array(".\n0 0 0 0\0".utf8), options: .withStat).entries.isEmpty)
    }

    @Test func dirlistBodyEdges() throws {
        // A trailing newline before the NUL, non-ASCII names, and the three ways a body is malformed.
        #expect(try DirectoryListing(body: Array("a\nb\n\0".utf8), options: []).names == ["a", "b"])
        #expect(try DirectoryListing(body: Array("é\n名前\0\0".utf8), options: []).names == ["é", "名前"])
        for bad: [UInt8] in [Array("a\n\nb\0".utf8), Array("a\0b\0".utf8), [0x61, 0x0A, 0xC3, 0x0A, 0x62, 0]] {
            #expect(throws: XRootDError.self) { try DirectoryListing(body: bad, options: []) }
        }
        #expect(throws: XRootDError.self) { try DirectoryListing(body: Array(".\n0 0 0 0\nname\n1 2\0".utf8), options: .withStat) }
    }

    @Test func dirlistChunksReassemble() throws {
        let stat = StatInfo(id: 1, size: 10, flags: [.readable], modificationTime: 5)
        let listing = DirectoryListing(entries: (0..<300).map { DirectoryEntry(name: "file_\($0)", stat: stat) })
        for options: DirlistOptions in [[], .withStat] {
            let bodies = listing.encodeBodies(options: options, maximumBodyLength: 512)
            #expect(bodies.count > 5)
            #expect(bodies.dropLast().allSatisfy { $0.count <= 512 && $0.last == 0x0A })
            #expect(bodies.last?.last == 0)
            let decoded = try DirectoryListing(body: bodies.joined(), options: options)
            #expect(decoded.names == listing.names)
            if options.contains(.withStat) { #expect(decoded == listing) }
        }
    }

    @Test func stockErrorBody() throws {
        let body: [UInt8] = [0, 0, 0x0B, 0xC3] + Array("Unable to locate /nope; no such file or directory\0".utf8)
        let header = ResponseHeader(streamID: StreamID(1), statusCode: 4003, bodyLength: Int32(body.count))
        let response = try XRootDResponse(frame: ResponseFrame(header: header, body: body))
        #expect(response == .error(StreamID(1), .notFound, "Unable to locate /nope; no such file or directory"))
        #expect(response.encode() == [0, 1, 0x0F, 0xA3, 0, 0, 0, UInt8(body.count)] + body)
    }

    @Test func endpointParsing() {
        #expect(Endpoint(parsing: "root://127.0.0.1:2094//eos") == Endpoint(host: "127.0.0.1", port: 2094))
        #expect(Endpoint(parsing: "root://user@mgm.example") == Endpoint(host: "mgm.example", port: 1094))
        #expect(Endpoint(parsing: "[::1]:1095") == Endpoint(host: "::1", port: 1095))
        #expect(Endpoint(parsing: "host:0") == nil)
        #expect(Endpoint(parsing: "root://") == nil)
    }
}
