import Glibc
import Testing
import XRootD

/// Our client against the stock XRootD server: proves the codec speaks the real protocol.
@Suite(.serialized, .enabled(if: StockServer.isInstalled, "xrootd (Debian xrootd-server) is not installed: stock-server tests skipped"))
struct StockServerTests {
    private func withServer(_ body: (StockServer, XRootDClient) throws -> Void) throws {
        let server = try StockServer.start()
        defer { server.stop() }
        let options = XRootDClient.Options(user: "beryl", connectTimeout: .seconds(5), requestTimeout: .seconds(10))
        let client = try XRootDClient(host: "127.0.0.1", port: server.port, options: options)
        try body(server, client)
    }

    private func expectServerError(_ code: XRootDErrorCode, errno: Int32, _ operation: () throws(XRootDError) -> Void,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        do throws(XRootDError) {
            try operation()
            Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
        } catch {
            guard let server = error.serverError else {
                Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
                return
            }
            #expect(server.code == code, "\(server)", sourceLocation: sourceLocation)
            #expect(server.errno == errno, "\(server)", sourceLocation: sourceLocation)
            #expect(!server.message.isEmpty, sourceLocation: sourceLocation)
        }
    }

    @Test func namespaceOperations() throws {
        try withServer { server, client in
            try client.ping()
            let version = try client.queryConfig(["version"])
            #expect(version.count == 1 && version[0].hasPrefix("v5"), "\(version)")
            #expect(try client.querySpace("/")["oss.space"] != nil)

            try client.mkdir("/a/b/c", options: .makePath, mode: 0o755)
            let directory = try client.stat("/a/b")
            #expect(directory.isDirectory)
            #expect(directory.flags.isSuperset(of: [.isDirectory, .readable, .writable, .executable]))
            #expect(directory.extended?.mode == 0o755)

            let created = try client.open("/a/f1", options: [.new, .update], mode: 0o644)
            try client.close(created)
            let file = try client.stat("/a/f1")
            #expect(!file.isDirectory && file.size == 0)
            #expect(file.flags == [.readable, .writable])

            #expect(try client.dirlist("/a").names.sorted() == ["b", "f1"])
            let detailed = try client.dirlist("/a", options: .withStat)
            #expect(detailed.names.sorted() == ["b", "f1"])
            #expect(detailed.entries.first { $0.name == "b" }?.stat?.isDirectory == true)
            #expect(detailed.entries.first { $0.name == "f1" }?.stat?.size == 0)

            try client.mv("/a/f1", to: "/a/f2")
            expectServerError(.notFound, errno: ENOENT) { () throws(XRootDError) in _ = try client.stat("/a/f1") }
            try client.chmod("/a/f2", mode: 0o600)
            #expect(try client.stat("/a/f2").extended?.mode == 0o600)

            // Reading a small file (the path admin commands will take).
            try server.createFile("/a/hello.txt", contents: "hello, beryl\n")
            #expect(try client.readFile("/a/hello.txt") == Array("hello, beryl\n".utf8))
            let opened = try client.open("/a/hello.txt", options: [.read, .returnStat])
            #expect(opened.stat?.size == 13)
            #expect(try client.read(opened, offset: 7, length: 100) == Array("beryl\n".utf8))
            try client.close(opened)
            expectServerError(.fileNotOpen, errno: EBADF) { () throws(XRootDError) in
                _ = try client.read(opened, offset: 0, length: 10)
            }

            try client.rm("/a/f2")
            try client.rm("/a/hello.txt")
            try client.rmdir("/a/b/c")
            try client.rmdir("/a/b")
            #expect(try client.dirlist("/a").entries.isEmpty)
            #expect(try client.dirlist("/a", options: .withStat).entries.isEmpty)
            try client.rmdir("/a")
            expectServerError(.notFound, errno: ENOENT) { () throws(XRootDError) in _ = try client.stat("/a") }
            try client.endSession()
        }
    }

    @Test func errorCases() throws {
        try withServer { server, client in
            try client.mkdir("/d/sub", options: .makePath)
            try server.createFile("/d/file", contents: "x")
            expectServerError(.notFound, errno: ENOENT) { () throws(XRootDError) in _ = try client.stat("/nope") }
            expectServerError(.notFound, errno: ENOENT) { () throws(XRootDError) in try client.rm("/nope") }
            expectServerError(.notFound, errno: ENOENT) { () throws(XRootDError) in try client.mv("/nope", to: "/x") }
            expectServerError(.notFound, errno: ENOENT) { () throws(XRootDError) in _ = try client.dirlist("/nope") }
            expectServerError(.notFound, errno: ENOENT) { () throws(XRootDError) in try client.mkdir("/no/parent") }
            // EEXIST: mkdir over a file, exclusive create of an existing file. (The stock server answers
            // kXR_ok to a plain mkdir of an existing directory.)
            expectServerError(.itExists, errno: EEXIST) { () throws(XRootDError) in try client.mkdir("/d/file") }
            expectServerError(.itExists, errno: EEXIST) { () throws(XRootDError) in
                _ = try client.open("/d/file", options: [.new, .update])
            }
            try client.mkdir("/d/sub")
            // ENOTEMPTY and ENOTDIR have no kXR code: kXR_FSError with the strerror text.
            expectServerError(.fsError, errno: ENOTEMPTY) { () throws(XRootDError) in try client.rmdir("/d") }
            expectServerError(.fsError, errno: ENOTDIR) { () throws(XRootDError) in try client.rmdir("/d/file") }
            expectServerError(.fsError, errno: ENOTDIR) { () throws(XRootDError) in _ = try client.dirlist("/d/file") }
            expectServerError(.isDirectory, errno: EISDIR) { () throws(XRootDError) in _ = try client.open("/d/sub") }
            expectServerError(.argInvalid, errno: EINVAL) { () throws(XRootDError) in try client.mv("/d", to: "/d/sub/d") }
            expectServerError(.notAuthorized, errno: EACCES) { () throws(XRootDError) in _ = try client.stat("relative") }
            // The connection survives all of these.
            try client.ping()
            #expect(try client.stat("/d").isDirectory)
        }
    }

    @Test func longListingsArriveInParts() throws {
        try withServer { server, client in
            try client.mkdir("/big")
            let names = (0..<600).map { "entry_with_a_fairly_long_name_\($0)" }
            for name in names { try server.createFile("/big/" + name, contents: name) }
            #expect(try client.dirlist("/big").names.sorted() == names.sorted())
            let detailed = try client.dirlist("/big", options: .withStat)
            #expect(detailed.names.sorted() == names.sorted())
            #expect(detailed.entries.allSatisfy { $0.stat?.size == Int64($0.name.utf8.count) })
            // The raw answer is longer than one stock chunk, so the client did reassemble kXR_oksofar parts.
            let raw = try client.send(.dirlist(DirlistRequest(path: "/big", options: .withStat)))
            #expect(raw.body.count > 16 * 1024)
        }
    }

    @Test func refusedConnection() throws {
        let port = try StockServer.freePort()
        #expect(throws: XRootDError.self) {
            _ = try XRootDClient(host: "127.0.0.1", port: port, options: .init(connectTimeout: .seconds(2)))
        }
    }
}
