import Foundation
import Glibc
import MGM
import Testing
import Synchronization
import XRootD

/// The stock clients against the MGM server: one interactive `xrdfs` session fed on stdin, three
/// one-shot `xrdfs` processes (in parallel) for exit statuses, and one Python process using the
/// XRootD bindings (libXrdCl). Each `xrdfs` start may stall 5 s on reverse DNS: timeouts are generous.
@Suite(.enabled(if: StockTools.hasXrdfs, "xrdfs (Debian xrootd-client) is not installed: skipped"))
struct StockClientEndToEndTests {
    @Test func interactiveXrdfsSession() throws {
        let server = try TestServer()
        defer { server.stop() }
        let commands = """
            mkdir -p /e2e/a/b
            ls -l /e2e
            stat /e2e/a
            mv /e2e/a /e2e/m
            ls /e2e
            chmod /e2e/m rwx------
            stat /e2e/m
            rmdir /e2e
            stat /nope
            mkdir /e2e/m
            rmdir /e2e/m/b
            ls -l /e2e/m
            query config version

            """
        let run = try ProgramRun.run(StockTools.xrdfs, [server.url], input: commands, timeout: .seconds(60))
        #expect(run.status == 0, "\(run.stderr)")
        let out = run.stdout, err = run.stderr
        // xrdfs logs in as the Unix user running it; new entries belong to that user.
        let me = String(cString: getpwuid(getuid()).pointee.pw_name)
        #expect(out.contains("drwxr-x--- \(me)"), "\(out)")
        #expect(out.contains("/e2e/a\n"), "\(out)")
        #expect(out.contains("Path:   /e2e/a") && out.contains("Flags:  51 (XBitSet|IsDir|IsReadable|IsWritable)"), "\(out)")
        #expect(out.contains("/e2e/m\n"), "\(out)")
        #expect(out.contains("Mode:   0700"), "\(out)")
        #expect(out.contains(MGMVersion.string), "\(out)")
        #expect(err.contains("[3005] Unable to remove /e2e; directory not empty"), "\(err)")
        #expect(err.contains("[3011] Unable to locate /nope; no such file or directory"), "\(err)")
        #expect(err.contains("[3018] Unable to mkdir /e2e/m; file exists"), "\(err)")
        #expect(try server.server.namespace.list("/e2e/m").isEmpty)
        #expect(try server.server.namespace.list("/e2e").map(\.name) == ["m"])
    }

    @Test func xrdfsExitStatusesAndMessages() throws {
        let server = try TestServer()
        defer { server.stop() }
        try server.server.namespace.createContainer("/full/child", missingParents: .create)
        try server.server.namespace.createContainer("/exists")
        let cases: [(arguments: [String], message: String)] = [
            (["rm", "/nope"], "no such file or directory"),
            (["rmdir", "/full"], "directory not empty"),
            (["mkdir", "/exists"], "file exists"),
        ]
        let results = Mutex<[Int: ProgramRun]>([:])
        DispatchQueue.concurrentPerform(iterations: cases.count) { index in
            let run = try? ProgramRun.run(StockTools.xrdfs, [server.url] + cases[index].arguments, timeout: .seconds(60))
            results.withLock { $0[index] = run }
        }
        for (index, test) in cases.enumerated() {
            let run = try #require(results.withLock { $0[index] })
            // 54: the shell code xrdfs gives a server error response (the same as against the stock server).
            #expect(run.status == 54, "\(test.arguments): \(run.stderr)")
            #expect(run.stderr.contains(test.message), "\(test.arguments): \(run.stderr)")
        }
    }

    static let pythonScript = """
        import sys
        from XRootD import client
        from XRootD.client.flags import DirListFlags, MkDirFlags, QueryCode, OpenFlags, AccessMode
        url = "root://root@127.0.0.1:%s" % sys.argv[1]
        fs = client.FileSystem(url)
        def out(*a): print(*a, flush=True)
        st, _ = fs.ping(); out("ping", st.ok)
        st, _ = fs.mkdir("/py/a/b", MkDirFlags.MAKEPATH); out("mkdir", st.ok)
        st, i = fs.stat("/py/a"); out("stat", st.ok, i.size, i.flags)
        st, _ = fs.stat("/nope"); out("enoent", st.ok, st.errno)
        f = client.File()
        st, _ = f.open(url + "//py/a/file", OpenFlags.NEW); out("create", st.ok)
        st, _ = f.write(b"data"); out("write", st.ok, st.errno, "metadata only" in st.message)
        f.close()
        st, _ = fs.stat("/py/a/file"); out("refusedgone", st.ok, st.errno)
        f = client.File()
        st, _ = f.open(url + "//py/a/file", OpenFlags.NEW); st2, _ = f.sync(); f.close(); out("emptykept", st.ok, st2.ok)
        st, l = fs.dirlist("/py/a", DirListFlags.STAT); out("lsl", st.ok, ",".join("%s:%d" % (e.name, e.statinfo.size) for e in l))
        st, _ = fs.mkdir("/py/a/b"); out("eexist", st.ok, st.errno)
        st, _ = fs.rmdir("/py/a"); out("enotempty", st.ok, st.errno, "directory not empty" in st.message)
        st, _ = fs.mv("/py/a/file", "/py/a/moved"); out("mv", st.ok)
        st, _ = fs.chmod("/py/a/moved", AccessMode.UR | AccessMode.UW); out("chmod", st.ok)
        st, i = fs.stat("/py/a/moved"); out("statfile", st.ok, i.size, i.flags)
        st, _ = fs.rm("/py/a/moved"); out("rm", st.ok)
        st, _ = fs.rmdir("/py/a/b"); out("rmdir", st.ok)
        st, r = fs.query(QueryCode.CONFIG, "version role"); out("config", st.ok, r.decode().split())
        a = client.File()
        st, _ = a.open(url + "//proc/admin/?mgm.cmd=ns&mgm.subcmd=stat&mgm.option=m"); out("adminopen", st.ok)
        st, data = a.read(); out("admin", st.ok, "ns.total.directories=" in data.decode(), "mgm.proc.retc=0" in data.decode())
        a.close()
        """

    @Test(.enabled(if: StockTools.hasPythonBindings, "python3-xrootd is not installed: skipped"))
    func pythonBindings() throws {
        let server = try TestServer()
        defer { server.stop() }
        let run = try ProgramRun.run(StockTools.python, ["-c", Self.pythonScript, String(server.port)], timeout: .seconds(60))
        var lines: [String: String] = [:]
        for line in run.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { lines[String(parts[0])] = String(parts[1]) }
        }
        let all = run.stdout + run.stderr
        #expect(run.status == 0, "\(all)")
        #expect(lines["ping"] == "True")
        #expect(lines["mkdir"] == "True")
        #expect(lines["stat"] == "True 4096 51", "\(all)")
        #expect(lines["enoent"] == "False 3011")
        #expect(lines["create"] == "True", "\(all)")
        #expect(lines["write"] == "False 3013 True", "\(all)")
        #expect(lines["refusedgone"] == "False 3011", "the refused upload left its entry: \(all)")
        #expect(lines["emptykept"] == "True True", "\(all)")
        #expect(lines["lsl"] == "True b:4096,file:0", "\(all)")
        #expect(lines["eexist"] == "False 3018")
        #expect(lines["enotempty"] == "False 3005 True")
        #expect(lines["mv"] == "True")
        #expect(lines["chmod"] == "True")
        #expect(lines["statfile"] == "True 0 48", "\(all)")
        #expect(lines["rm"] == "True")
        #expect(lines["rmdir"] == "True")
        #expect(lines["config"] == "True ['\(MGMVersion.string)', 'master']", "\(all)")
        #expect(lines["adminopen"] == "True", "\(all)")
        #expect(lines["admin"] == "True True True", "\(all)")
    }
}
