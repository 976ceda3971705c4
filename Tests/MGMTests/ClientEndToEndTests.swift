import Glibc
import MGM
import Testing
import XRootD

/// Our `XRootDClient` against the MGM server: every request of the subset, end to end.
@Suite struct ClientEndToEndTests {
    private func expectError(_ code: XRootDErrorCode, errno: Int32, sourceLocation: SourceLocation = #_sourceLocation,
                             _ operation: () throws(XRootDError) -> Void) {
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
        }
    }

    @Test func namespaceOperations() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        try client.ping()
        #expect(try client.queryConfig(["version", "role", "nosuchkey"]) == [MGMVersion.string, "master", "nosuchkey"])
        #expect(try client.querySpace("/")["oss.space"] != nil)

        try client.mkdir("/a/b/c", options: .makePath, mode: 0o755)
        try client.mkdir("/a/b/c", options: .makePath)  // mkdir -p of an existing directory succeeds
        let directory = try client.stat("/a/b")
        #expect(directory.isDirectory && directory.extended?.mode == 0o755)
        #expect(directory.flags == [.isDirectory, .readable, .writable, .executable])

        let created = try client.open("/a/f1", options: [.new, .update], mode: 0o644)
        try client.close(created)
        let file = try client.stat("/a/f1")
        #expect(!file.isDirectory && file.size == 0 && file.flags == [.readable, .writable])
        #expect(file.extended?.owner == "root")

        #expect(try client.dirlist("/a").names.sorted() == ["b", "f1"])  // plain listings are unsorted
        let detailed = try client.dirlist("/a", options: .withStat)
        #expect(detailed.names == ["b", "f1"])
        #expect(detailed.entries[0].stat?.isDirectory == true && detailed.entries[1].stat?.size == 0)

        try client.mv("/a/f1", to: "/a/f2")
        expectError(.notFound, errno: ENOENT) { () throws(XRootDError) in _ = try client.stat("/a/f1") }
        try client.chmod("/a/f2", mode: 0o600)
        #expect(try client.stat("/a/f2").extended?.mode == 0o600)
        try client.chmod("/a/b", mode: 0o711)
        #expect(try client.stat("/a/b").extended?.mode == 0o711)

        expectError(.itExists, errno: EEXIST) { () throws(XRootDError) in try client.mkdir("/a/b") }
        expectError(.itExists, errno: EEXIST) { () throws(XRootDError) in _ = try client.open("/a/f2", options: [.new, .update]) }
        expectError(.fsError, errno: ENOTEMPTY) { () throws(XRootDError) in try client.rmdir("/a") }
        expectError(.fsError, errno: ENOTDIR) { () throws(XRootDError) in try client.rmdir("/a/f2") }
        expectError(.isDirectory, errno: EISDIR) { () throws(XRootDError) in try client.rm("/a/b") }
        expectError(.notFound, errno: ENOENT) { () throws(XRootDError) in try client.rm("/nope") }
        expectError(.notFound, errno: ENOENT) { () throws(XRootDError) in try client.mkdir("/x/y") }
        expectError(.argInvalid, errno: EINVAL) { () throws(XRootDError) in try client.mv("/a", to: "/a/b/c/inside") }

        try client.rm("/a/f2")
        try client.rmdir("/a/b/c")
        try client.rmdir("/a/b")
        #expect(try client.dirlist("/a").names.isEmpty)
        #expect(try client.dirlist("/a", options: .withStat).names.isEmpty)
        try client.endSession()
    }

    @Test func longListingsComeInParts() throws {
        let server = try TestServer()
        defer { server.stop() }
        for index in 0..<1500 {
            try server.server.namespace.createFile("/f-\(String(repeating: "x", count: 20))-\(index)")
        }
        let client = try server.client()
        let plain = try client.dirlist("/")
        #expect(plain.entries.count == 1500)
        #expect(Set(plain.names) == Set((0..<1500).map { "f-\(String(repeating: "x", count: 20))-\($0)" }))
        let detailed = try client.dirlist("/", options: .withStat)
        #expect(detailed.entries.count == 1500 && detailed.entries.allSatisfy { $0.stat?.size == 0 })
    }

    @Test func openForWritingCreatesAnEntryAndRefusesWrites() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        let file = try client.open("/deep/new/file", options: [.delete, .makePath, .returnStat], mode: 0o640)
        #expect(file.stat?.size == 0)
        #expect(try client.stat("/deep/new/file").extended?.mode == 0o640)
        #expect(try client.read(file, offset: 0, length: 100).isEmpty)
        try client.close(file)
        expectError(.fileNotOpen, errno: EBADF) { () throws(XRootDError) in try client.close(file) }
        expectError(.isDirectory, errno: EISDIR) { () throws(XRootDError) in _ = try client.open("/deep") }

        // kXR_write is refused with a clear message (sent raw: the typed subset has no write).
        let raw = try RawConnection(port: server.port)
        #expect(raw.logIn())
        raw.send(XRootDRequest.open(OpenRequest(path: "/w", options: [.new, .update])).encode(streamID: StreamID(3)))
        guard case .ok(let body)? = raw.readResponse()?.body else { Issue.record("open failed"); return }
        let handle = try OpenResponse(body: body).handle
        let data: [UInt8] = Array("hello".utf8)
        var parameters = [handle.bytes.0, handle.bytes.1, handle.bytes.2, handle.bytes.3] + [UInt8](repeating: 0, count: 12)
        parameters[11] = 0
        let write = RequestHeader(streamID: StreamID(4), requestCode: RequestID.write.rawValue, parameters: parameters,
                                  payloadLength: Int32(data.count))
        raw.send(write.encode() + data)
        guard case .error(let error)? = raw.readResponse()?.body else { Issue.record("write was not refused"); return }
        #expect(error.code == .unsupported && error.message.contains("metadata only"), "\(error)")
        #expect(error.message.contains("kXR_write /w"), "the message names the request and path: \(error)")
        // The upload was refused: the entry its open created is gone.
        expectError(.notFound, errno: ENOENT) { () throws(XRootDError) in _ = try client.stat("/w") }
    }

    @Test func adminCommands() throws {
        let server = try TestServer()
        defer { server.stop() }
        try server.server.namespace.createContainer("/data/x", missingParents: .create)
        let root = try server.client(user: "root")
        func admin(_ words: [String]) throws -> AdminResult {
            let text = String(decoding: try root.readFile(AdminRequest.path(for: words)), as: UTF8.self)
            return try #require(AdminResult(encoded: text), "\(text)")
        }
        let ns = try admin(["ns"])
        #expect(ns.returnCode == 0)
        #expect(ns.stdout.contains("ALL      Directories                      3"), "\(ns.stdout)")
        #expect(ns.stdout.contains("ALL      Replication                      mode=master-rw"), "\(ns.stdout)")
        let legacy = String(decoding: try root.readFile("/proc/admin/?mgm.cmd=ns&mgm.subcmd=stat&mgm.option=m"), as: UTF8.self)
        let monitoring = try #require(AdminResult(encoded: legacy))
        #expect(monitoring.stdout.contains("ns.total.directories=3\n") && monitoring.stdout.contains("ns.master.mode=master-rw"))

        #expect(try admin(["ns", "master"]).stdout.contains("booted namespace"))
        #expect(try admin(["ns", "master", "--log-clear"]).returnCode == 0)
        #expect(try admin(["ns", "master"]).stdout.isEmpty)
        let change = try admin(["ns", "master", "otherhost:1094"])
        #expect(change.returnCode == ENOTSUP && change.stderr.contains("not configured"))

        // ns compact: the legacy interface to the persisted schedule, and a run that happens.
        let on = try admin(["ns", "compact", "on", "0", "0", "all"])
        #expect(on.returnCode == 0 && on.stdout.contains("configured online compacting to run in 0 seconds"), "\(on.stdout)\(on.stderr)")
        var ran = false
        for _ in 0..<100 where !ran {
            usleep(50_000)
            let log = server.server.namespace.masterLog.text
            ran = log.contains("compaction all of the files log:") && log.contains("compaction all of the directories log:")
        }
        #expect(ran, "scheduled compaction did not run")
        #expect(try admin(["ns", "compact", "off"]).stdout.contains("disabled"))
        #expect(try admin(["ns", "compact", "sideways"]).returnCode != 0)

        #expect(try admin(["access", "set", "redirect", "elsewhere:2094", "w"]).returnCode == 0)
        #expect(try admin(["access", "set", "stall", "60", "r"]).returnCode == 0)
        let listing = try admin(["access", "ls"]).stdout
        #expect(listing.contains("w:* => elsewhere:2094") && listing.contains("r:* => 60"), "\(listing)")
        #expect(server.server.access.rules.redirects[.write] == Endpoint(host: "elsewhere", port: 2094))
        #expect(try admin(["access", "rm", "redirect", "w"]).returnCode == 0)
        #expect(try admin(["access", "rm", "stall", "r"]).returnCode == 0)
        #expect(server.server.access.rules.isEmpty)
        #expect(try admin(["access", "set", "stall", "soon"]).returnCode == EINVAL)
        #expect(try admin(["bogus"]).returnCode == EINVAL)

        // Not root, or root without a command: refused.
        let user = try server.client(user: "alice")
        do throws(XRootDError) {
            _ = try user.readFile(AdminRequest.path(for: ["ns"]))
            Issue.record("a non-root user ran an admin command")
        } catch {
            #expect(error.serverError?.code == .notAuthorized, "\(error)")
        }
        #expect(throws: XRootDError.self) { _ = try root.readFile("/proc/admin/") }
    }
}
