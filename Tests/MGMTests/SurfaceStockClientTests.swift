import Foundation
import Glibc
import MGM
import Namespace
import Testing
import XRootD

/// The stock clients on the requests beyond the namespace subset (issue 21): checksum queries,
/// extended attributes, sync/prepare/set, uploads refused without a leftover entry. One Python process
/// (libXrdCl) drives many operations; one interactive `xrdfs` session and one `xrdcp` cover the CLI tools.
@Suite(.serialized)
struct SurfaceStockClientTests {
    /// A file with an adler32 checksum (layout 0x00100002, as the EOS fixtures), one without, a directory.
    static func seed(_ namespace: Namespace) throws {
        try namespace.createContainer("/s/d", missingParents: .create)
        let id = try namespace.createFile("/s/f", attributes: CreationAttributes(uid: 0, gid: 0, layoutID: 0x0010_0002))
        try namespace.setChecksum(id, [0x0f, 0xc8, 0x02, 0x71])
        try namespace.createFile("/s/plain")
    }

    static let pythonScript = """
        import sys
        from XRootD import client
        from XRootD.client.flags import QueryCode, OpenFlags
        port = sys.argv[1]
        fs = client.FileSystem("root://root@127.0.0.1:%s" % port)
        other = client.FileSystem("root://nobody@127.0.0.1:%s" % port)
        def out(*a): print(*a, flush=True)
        def codes(r): return ",".join(str(x[-1]["errno"]) for x in r)
        st, r = fs.query(QueryCode.CHECKSUM, "/s/f"); out("cksum", st.ok, r)
        st, r = fs.query(QueryCode.CHECKSUM, "/s/plain"); out("nocksum", st.errno, "query chksum is not supported" in st.message)
        st, r = fs.query(QueryCode.CHECKSUM, "/s/d"); out("dircksum", st.errno)
        st, r = fs.query(QueryCode.CHECKSUM, "/s/nope"); out("nopecksum", st.errno)
        st, r = fs.query(QueryCode.CHECKSUMCANCEL, "/s/f"); out("ckscan", st.ok, r)
        st, r = fs.query(QueryCode.XATTR, "/s/f"); out("qxattr", st.ok, r.split(b"&")[1])
        st, r = fs.query(QueryCode.STATS, "a"); out("stats", st.ok, r.startswith(b"<statistics "), b"<files>2</files>" in r, b"<kXR_query>" in r)
        st, r = fs.set_xattr("/s/f", [(b"user.a", b"1"), (b"user.b", b"2")]); out("set", st.ok, codes(r))
        st, r = fs.get_xattr("/s/f", [b"user.a", b"user.zz"]); out("get", st.ok, [(x[0], x[1]) for x in r], codes(r))
        st, r = fs.list_xattr("/s/f"); out("list", st.ok, sorted((x[0], x[1]) for x in r))
        st, r = fs.del_xattr("/s/f", [b"user.a", b"user.zz"]); out("del", st.ok, codes(r))
        st, r = fs.list_xattr("/s/f"); out("listafter", st.ok, sorted(x[0] for x in r))
        st, r = fs.set_xattr("/s/d", [(b"user.dir", b"x")]); out("setdir", st.ok, codes(r))
        st, r = fs.get_xattr("/s/d", [b"user.dir"]); out("getdir", st.ok, r[0][1])
        st, r = fs.list_xattr("/s/nope"); out("listnope", st.errno)
        st, r = other.set_xattr("/s/f", [(b"sys.acl", b"u:1:rwx")]); out("sysnobody", st.errno)
        st, r = fs.set_xattr("/s/f", [(b"sys.acl", b"u:1:rwx")]); out("sysroot", st.ok, codes(r))
        st, r = fs.set_xattr("/s/f", [(b"user.big", b"v" * 70000)]); out("bigvalue", st.ok)
        f = client.File()
        st, _ = f.open("root://root@127.0.0.1:%s//s/f" % port, OpenFlags.READ); out("open", st.ok)
        st, _ = f.sync(); out("syncro", st.ok)
        st, r = f.list_xattr(); out("handlelist", st.ok, sorted(x[0] for x in r))
        st, r = f.set_xattr([(b"user.h", b"1")]); out("handlesetro", st.errno)
        st, _ = f.vector_read([(0, 2)]); out("readv", st.errno, "kXR_readv /s/f" in st.message)
        f.close()
        st, r = fs.sendinfo("hello"); out("sendinfo", st.ok)
        f = client.File()
        st, _ = f.open("root://root@127.0.0.1:%s//s/new.tmp" % port, OpenFlags.NEW); f.close()
        st, _ = fs.mv("/s/new.tmp", "/s/plain"); out("mvover", st.ok)
        st, _ = fs.mv("/s/plain", "/s/d"); out("mvontodir", st.errno)
        """

    @Test(.enabled(if: StockTools.hasPythonBindings, "python3-xrootd is not installed: skipped"))
    func pythonBindings() throws {
        let server = try TestServer()
        defer { server.stop() }
        try Self.seed(server.namespace)
        let run = try ProgramRun.run(StockTools.python, ["-c", Self.pythonScript, String(server.port)], timeout: .seconds(60))
        var lines: [String: String] = [:]
        for line in run.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { lines[String(parts[0])] = String(parts[1]) }
        }
        let all = run.stdout + run.stderr
        #expect(run.status == 0, "\(all)")
        #expect(lines["cksum"] == "True b'adler32 0fc80271\\x00'", "\(all)")
        #expect(lines["nocksum"] == "3013 True", "\(all)")
        #expect(lines["dircksum"] == "3016", "\(all)")
        #expect(lines["nopecksum"] == "3011", "\(all)")
        #expect(lines["ckscan"] == "True b'adler32 0fc80271\\x00'", "\(all)")
        #expect(lines["qxattr"] == "True b'oss.type=f'", "\(all)")
        #expect(lines["stats"] == "True True True True", "\(all)")
        #expect(lines["set"] == "True 0,0", "\(all)")
        #expect(lines["get"] == "True [('user.a', '1'), ('user.zz', '')] 0,3027", "\(all)")
        #expect(lines["list"] == "True [('user.a', '1'), ('user.b', '2')]", "\(all)")
        #expect(lines["del"] == "True 0,3027", "\(all)")
        #expect(lines["listafter"] == "True ['user.b']", "\(all)")
        #expect(lines["setdir"] == "True 0", "\(all)")
        #expect(lines["getdir"] == "True x", "\(all)")
        #expect(lines["listnope"] == "3011", "\(all)")
        #expect(lines["sysnobody"] == "3010", "\(all)")
        #expect(lines["sysroot"] == "True 0", "\(all)")
        // The client refuses a value over the protocol's 64 KiB before sending it.
        #expect(lines["bigvalue"] == "False", "\(all)")
        #expect(lines["open"] == "True" && lines["syncro"] == "True", "\(all)")
        #expect(lines["handlelist"] == "True ['sys.acl', 'user.b']", "\(all)")
        #expect(lines["handlesetro"] == "3006", "\(all)")
        #expect(lines["readv"] == "3013 True", "\(all)")
        #expect(lines["sendinfo"] == "True", "\(all)")
        #expect(lines["mvover"] == "True" && lines["mvontodir"] == "3016", "\(all)")
        #expect(try server.namespace.list("/s").map(\.name).sorted() == ["d", "f", "plain"])
        // Kept in the namespace, the sys.* one set by root only.
        let f = try #require(server.namespace.file(server.namespace.fileID(at: "/s/f")))
        #expect(f.xattrs == ["user.b": "2", "sys.acl": "u:1:rwx"])
        guard case .container(let d) = try server.namespace.stat("/s/d") else { Issue.record("/s/d"); return }
        #expect(d.xattrs == ["user.dir": "x"])
    }

    @Test(.enabled(if: StockTools.hasXrdfs, "xrdfs (Debian xrootd-client) is not installed: skipped"))
    func interactiveXrdfs() throws {
        let server = try TestServer()
        defer { server.stop() }
        try Self.seed(server.namespace)
        let commands = """
            query checksum /s/f
            ls -l -C /s
            xattr /s/f set user.color=blue
            xattr /s/f list
            xattr /s/f get user.color
            xattr /s/f del user.color
            prepare -s /s/f
            truncate /s/d 5
            mv /s/plain /s/f

            """
        let run = try ProgramRun.run(StockTools.xrdfs, [server.url], input: commands, timeout: .seconds(60))
        let out = run.stdout, err = run.stderr
        #expect(out.contains("adler32 0fc80271\n"), "\(out)\n\(err)")
        #expect(out.contains(" adler32:0fc80271 ") && out.contains("/s/f\n"), "\(out)")
        #expect(out.contains(" adler32:none ") && out.contains("/s/d\n"), "\(out)")
        #expect(out.contains("# file: /s/f\nuser.color=\"blue\""), "\(out)")
        #expect(out.contains("beryl:"), "a staging prepare answers a request id: \(out)")
        #expect(err.contains("[3016] Unable to truncate /s/d; is a directory"), "\(err)")
        // The last command replaced /s/f (checksummed) by /s/plain, as rename(2).
        let replaced = try #require(server.namespace.file(try server.namespace.fileID(at: "/s/f")))
        #expect(replaced.checksum.isEmpty && replaced.xattrs == [:], "\(replaced)")
        #expect(try server.namespace.list("/s").map(\.name).sorted() == ["d", "f"])
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/xrdcp"), "xrdcp is not installed: skipped"))
    func xrdcpUploadIsRefusedWithoutLeftover() throws {
        let server = try TestServer()
        defer { server.stop() }
        try server.namespace.createContainer("/up")
        let source = server.directory + "/small.txt"
        try "hello\n".write(toFile: source, atomically: true, encoding: .utf8)
        let run = try ProgramRun.run("/usr/bin/xrdcp", [source, server.url + "//up/small.txt"], timeout: .seconds(60))
        #expect(run.status == 54, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("Unable to kXR_pgwrite /up/small.txt; this MGM stores metadata only"), "\(run.stderr)")
        #expect(try server.namespace.list("/up").isEmpty, "the refused upload left an entry")
    }

    /// Limits and refusals on the wire: numattr, empty and long names, a long value, `sys.*` for a
    /// non-root user, an unknown subcode; nothing is written for a refused request.
    @Test func fattrLimitsAndRefusals() throws {
        let server = try TestServer()
        defer { server.stop() }
        try Self.seed(server.namespace)
        // alice (unknown: nobody) owns the entries, so the mode bits allow her and the limits are what refuse.
        try server.namespace.setOwner(try server.namespace.fileID(at: "/s/f"), uid: 65534, gid: 65534)
        if case .container(let d) = try server.namespace.stat("/s/d") {
            try server.namespace.updateContainer(d.id) { $0.uid = 65534; $0.gid = 65534 }
        }
        let raw = try RawConnection(port: server.port)
        #expect(raw.logIn(user: "alice"))
        func answer(_ r: FattrRequest) -> ResponseBody? {
            raw.send(XRootDRequest.fattr(r).encode(streamID: StreamID(9)))
            return raw.readResponse()?.body
        }
        func expectError(_ r: FattrRequest, _ code: XRootDErrorCode, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
            guard case .error(let e)? = answer(r) else { Issue.record("not refused", sourceLocation: sourceLocation); return }
            #expect(e.code == code && e.message.contains(text), "\(e)", sourceLocation: sourceLocation)
        }
        let name = Array("user.a".utf8)
        expectError(FattrRequest(subcode: .get, path: "/s/f"), .argInvalid, "fattr numattr is invalid")
        expectError(FattrRequest(subcode: .get, path: "/s/f", names: Array(repeating: name, count: 17)), .argInvalid, "numattr")
        expectError(FattrRequest(subcode: .get, path: "/s/f", names: [[]]), .argMissing, "fattr name argument #1")
        expectError(FattrRequest(subcode: .set, path: "/s/f", names: [Array(repeating: 0x61, count: 249)], values: [[0x31]]),
                    .argTooLong, "name argument #1 (at most 248 bytes)")
        expectError(FattrRequest(subcode: .set, path: "/s/f", names: [name], values: [Array(repeating: 0x61, count: 65536)]),
                    .argTooLong, "data argument #1 (at most 65535 bytes)")
        expectError(FattrRequest(subcode: .set, path: "/s/f", names: [name, Array("sys.x".utf8)], values: [[0x31], [0x32]]),
                    .notAuthorized, "only root may set or remove sys.*")
        expectError(FattrRequest(subcode: .delete, path: "/s/d", names: [Array("sys.x".utf8)]), .notAuthorized, "(you are uid 65534)")
        var bad = FattrRequest(subcode: .get, path: "/s/f", names: [name])
        bad.subcode = 7
        expectError(bad, .argInvalid, "fattr subcode is invalid")
        #expect(server.namespace.file(try server.namespace.fileID(at: "/s/f"))?.xattrs == [:])
        // isNew on an existing name: that name's code, nothing written when none succeeds.
        guard case .ok = answer(FattrRequest(subcode: .set, path: "/s/f", names: [name], values: [[0x31]])) else { Issue.record("set"); return }
        let before = try server.namespace.stat("/s/f")
        guard case .ok(let body)? = answer(FattrRequest(subcode: .set, path: "/s/f", names: [name], values: [[0x32]], options: FattrRequest.isNew))
        else { Issue.record("isNew"); return }
        #expect(Array(body.prefix(4)) == [1, 1, 0x0B, 0xCA], "kXR_ItExists for the name: \(body)")
        #expect(try server.namespace.stat("/s/f") == before)
    }

    /// xattrs (and the ctime they set) survive a restart and a compaction of both logs.
    @Test func attributesSurviveRestartAndCompaction() throws {
        let directory = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var server = try TestServer(directory: directory)
        try Self.seed(server.namespace)
        let raw = try RawConnection(port: server.port)
        #expect(raw.logIn(user: "root"))
        for path in ["/s/f", "/s/d"] {
            raw.send(XRootDRequest.fattr(FattrRequest(subcode: .set, path: path, names: [Array("user.k".utf8), Array("sys.k".utf8)],
                                                      values: [Array("v1".utf8), Array("v2".utf8)])).encode(streamID: StreamID(3)))
            guard case .ok? = raw.readResponse()?.body else { Issue.record("set \(path)"); return }
        }
        let expected = ["user.k": "v1", "sys.k": "v2"]
        func check(_ when: String) throws {
            let f = try #require(server.namespace.file(try server.namespace.fileID(at: "/s/f")))
            #expect(f.xattrs == expected, "\(when)")
            guard case .container(let d) = try server.namespace.stat("/s/d") else { Issue.record("/s/d"); return }
            #expect(d.xattrs["user.k"] == "v1" && d.xattrs["sys.k"] == "v2", "\(when)")
        }
        try check("served")
        _ = try server.namespace.compact(.all)
        try check("compacted")
        server.stop(removing: false)
        server = try TestServer(directory: directory)
        defer { server.stop(removing: false) }
        try check("restarted after compaction")
    }
}
