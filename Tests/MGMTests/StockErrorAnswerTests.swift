import Glibc
import MGM
import Testing
import XRootD

/// Regressions found by the differential test: error answers as the stock server words them.
@Suite struct StockErrorAnswerTests {
    private func serverError(_ operation: () throws(XRootDError) -> Void) -> ServerError? {
        do throws(XRootDError) {
            try operation()
            return nil
        } catch {
            return error.serverError
        }
    }

    /// XrdOfs's words: a stat is "locate", mkdir "mkdir", chmod "change", a mv names its source only,
    /// an open that may create is "create".
    @Test func errorTextsUseTheStockServerWords() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        try client.mkdir("/d/e", options: .makePath)
        try client.close(client.open("/d/f", options: [.new, .update]))
        let cases: [(String, () throws(XRootDError) -> Void)] = [
            ("[3011] Unable to locate /nope; no such file or directory", { () throws(XRootDError) in _ = try client.stat("/nope") }),
            ("[3005] Unable to locate /d/f/x; not a directory", { () throws(XRootDError) in _ = try client.stat("/d/f/x") }),
            ("[3011] Unable to mkdir /x/y; no such file or directory", { () throws(XRootDError) in try client.mkdir("/x/y") }),
            ("[3018] Unable to mkdir /d/f; file exists", { () throws(XRootDError) in try client.mkdir("/d/f") }),
            ("[3011] Unable to change /nope; no such file or directory", { () throws(XRootDError) in try client.chmod("/nope", mode: 0o700) }),
            ("[3011] Unable to rename /nope; no such file or directory", { () throws(XRootDError) in try client.mv("/nope", to: "/d/z") }),
            ("[3000] Unable to rename /d; invalid argument", { () throws(XRootDError) in try client.mv("/d", to: "/d/e/inside") }),
            ("[3018] Unable to create /d/f; file exists", { () throws(XRootDError) in _ = try client.open("/d/f", options: [.new, .update]) }),
            ("[3016] Unable to create /d/e; is a directory", { () throws(XRootDError) in _ = try client.open("/d/e", options: [.delete, .update]) }),
            ("[3011] Unable to open /nope; no such file or directory", { () throws(XRootDError) in _ = try client.open("/nope") }),
        ]
        for (expected, operation) in cases {
            let error = serverError(operation)
            #expect(error.map { "[\($0.code.rawValue)] \($0.message)" } == expected)
        }
    }

    /// As the stock server's rpCheck: a relative path or a `..` component is kXR_NotAuthorized, before
    /// anything else, in the stock server's words.
    @Test func relativePathsAreRefusedAsTheStockServerDoes() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        try client.mkdir("/d", options: .makePath)
        let cases: [(XRootDRequest, String)] = [
            (.stat(StatRequest(path: "d")), "Stating relative path 'd' is disallowed."),
            (.stat(StatRequest(path: "/d/../d?x=1")), "Stating relative path '/d/../d' is disallowed."),
            (.dirlist(DirlistRequest(path: "d")), "Listing relative path 'd' is disallowed."),
            (.mkdir(MkdirRequest(path: "d2")), "Creating relative path 'd2' is disallowed."),
            (.rmdir(path: "d"), "Removing relative path 'd' is disallowed."),
            (.rm(path: "/d/.."), "Removing relative path '/d/..' is disallowed."),
            (.mv(MoveRequest(source: "d", destination: "/q")), "Renaming relative path 'd' is disallowed."),
            (.mv(MoveRequest(source: "/d", destination: "q")), "Renaming to relative path 'q' is disallowed."),
            (.chmod(ChmodRequest(path: "d", mode: 0o700)), "Modifying relative path 'd' is disallowed."),
            (.open(OpenRequest(path: "d/f", options: [.new, .update])), "Opening relative path 'd/f' is disallowed."),
        ]
        for (request, message) in cases {
            let error = serverError { () throws(XRootDError) in _ = try client.send(request) }
            #expect(error?.code == .notAuthorized, "\(request)")
            #expect(error?.message == message, "\(request)")
        }
        // kXR_locate (outside the typed subset) over a raw connection.
        let raw = try RawConnection(port: server.port)
        #expect(raw.logIn())
        let path = Array("d".utf8)
        raw.send(RequestHeader(streamID: StreamID(9), requestCode: RequestID.locate.rawValue,
                               parameters: [UInt8](repeating: 0, count: 16), payloadLength: Int32(path.count)).encode() + path)
        guard case .error(let e)? = raw.readResponse()?.body else { Issue.record("locate of a relative path answered"); return }
        #expect(e.code == .notAuthorized && e.message == "Locating relative path 'd' is disallowed.", "\(e)")
        // Nothing was created or changed.
        #expect(try client.dirlist("/").names == ["d"])
    }
}
