import Dispatch
import Foundation
import Glibc
import MGM
import Namespace
import Synchronization
import Testing
import XRootD

/// sss and unix through XRootD's own security framework, with the stock clients: `xrdfs`, `xrdcp` and the
/// Python bindings with the right key, a wrong key and no key (`XrdSecPROTOCOL=sss XrdSecSSSKT=FILE`).
@Suite(.enabled(if: Keytabs.available, "xrdsssadmin or xrdfs (Debian xrootd-client) is not installed: skipped"))
struct StockAuthenticationTests {
    static let python = """
        import sys
        from XRootD import client
        fs = client.FileSystem("root://127.0.0.1:%s" % sys.argv[1])
        st, i = fs.stat("/"); print("stat", st.ok, st.errno, flush=True)
        st, l = fs.dirlist("/"); print("ls", st.ok, flush=True)
        """

    @Test func stockClientsWithRightWrongAndNoKey() throws {
        let keytabs = Keytabs()
        defer { keytabs.remove() }
        let (right, wrong) = try #require(Keytabs.shared)
        let log = CollectedLog()
        let server = try TestServer(logger: log.logger) { $0.authentication = ["sss"]; $0.keytab = right }
        defer { server.stop() }
        // A drop folder daemon may write to (whatever the permission rules of the root).
        try server.namespace.createContainer("/drop", attributes: CreationAttributes(uid: 1, gid: 1, mode: 0o40777))
        let empty = keytabs.folder + "/empty"
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let url = server.url
        func sss(_ keytab: String) -> [String: String] { ["XrdSecPROTOCOL": "sss", "XrdSecSSSKT": keytab] }
        let cases: [(program: String, arguments: [String], environment: [String: String])] = [
            (StockTools.xrdfs, [url, "ls", "/"], sss(right)),
            (StockTools.xrdfs, [url, "ls", "/"], sss(wrong)),
            (StockTools.xrdfs, [url, "ls", "/"], sss(keytabs.folder + "/missing.keytab")),
            ("/usr/bin/xrdcp", ["-f", empty, url + "//drop/sss-copy"], sss(right)),
            (StockTools.python, ["-c", Self.python, String(server.port)], sss(right)),
        ]
        let results = Mutex<[Int: ProgramRun]>([:])
        DispatchQueue.concurrentPerform(iterations: cases.count) { index in
            let test = cases[index]
            let run = try? ProgramRun.run(test.program, test.arguments, environment: test.environment, timeout: .seconds(60))
            results.withLock { $0[index] = run }
        }
        let runs = try (0..<cases.count).map { index in try #require(results.withLock { $0[index] }) }
        #expect(runs[0].status == 0, "\(runs[0].stderr)")
        for refused in [runs[1], runs[2]] {
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("Auth failed"), "\(refused.stderr)")
        }
        #expect(runs[3].status == 0, "\(runs[3].stderr)")
        #expect(runs[4].status == 0 && runs[4].stdout.contains("stat True 0") && runs[4].stdout.contains("ls True"),
                "\(runs[4].stdout) \(runs[4].stderr)")
        // The name and groups the key allows, never the declared login name (root, the user running the tests).
        #expect(log.containing("authenticated daemon by sss").count >= 3, "\(log.entries.withLock { $0.map(\.message) })")
        #expect(log.containing("authentication failed: Unable to decrypt credentials").count >= 1)  // a loaded client may retry
        _ = try server.namespace.stat("/drop/sss-copy")
    }

    /// The project's console as an sss client (libXrdSec's client side, `SecurityClient`), a process of its
    /// own against the in-process server: by address and by host name, with the right and a wrong key. The
    /// library's sss client needs the connection's own address (it crashed in `XrdSecsssEnt::RR_Data`
    /// without it). The identity is the key's (daemon), not the console's user: admin commands are refused.
    @Test(.enabled(if: ExecutableTests.haveExecutables, "build the executables first (swift build)"))
    func consoleLogsInWithSss() throws {
        let (right, wrong) = try #require(Keytabs.shared)
        let log = CollectedLog()
        let server = try TestServer(logger: log.logger) { $0.authentication = ["sss"]; $0.keytab = right }
        defer { server.stop() }
        let beryl = try #require(ExecutableTests.sibling("beryl"))
        try server.namespace.createContainer("/drop", attributes: CreationAttributes(uid: 0, gid: 0, mode: 0o40777))
        func sss(_ keytab: String) -> [String: String] { ["XrdSecPROTOCOL": "sss", "XrdSecSSSKT": keytab] }
        let byName = "root://localhost:\(server.port)"
        let cases: [(arguments: [String], environment: [String: String])] = [
            (["--mgm", server.url, "ls", "/"], sss(right)),
            (["--mgm", byName, "mkdir", "/drop/by-name"], sss(right)),
            (["--mgm", server.url, "ls", "/"], sss(wrong)),
            (["--mgm", server.url, "ns", "stat"], sss(right)),
        ]
        let results = Mutex<[Int: ProgramRun]>([:])
        DispatchQueue.concurrentPerform(iterations: cases.count) { index in
            let run = try? ProgramRun.run(beryl, cases[index].arguments, environment: cases[index].environment, timeout: .seconds(60))
            results.withLock { $0[index] = run }
        }
        let runs = try (0..<cases.count).map { index in try #require(results.withLock { $0[index] }) }
        #expect(runs[0].status == 0, "\(runs[0].stderr)")
        #expect(runs[1].status == 0, "\(runs[1].stderr)")
        guard case .container(let made) = try server.namespace.stat("/drop/by-name") else { Issue.record("no /drop/by-name"); return }
        #expect(made.uid == 1, "daemon (uid 1) owns what it made")
        #expect(runs[2].status != 0 && runs[2].stderr.contains("Unable to decrypt credentials"), "\(runs[2].stderr)")
        #expect(runs[3].status != 0 && runs[3].stderr.contains("admin commands need uid 0"), "\(runs[3].stderr)")
        #expect(log.containing("authenticated daemon by sss").count >= 3, "\(log.entries.withLock { $0.map(\.message) })")
    }

    /// `--auth sss,unix`: a stock client without a key falls back to unix (the declared name, not
    /// authenticated), and so does the project's client without an authenticator; under `--auth sss`
    /// alone that client says why it cannot log in.
    @Test func fallbackToUnix() throws {
        let keytabs = Keytabs()
        defer { keytabs.remove() }
        let keytab = try #require(Keytabs.shared).server
        let log = CollectedLog()
        let server = try TestServer(logger: log.logger) { $0.authentication = ["sss", "unix"]; $0.keytab = keytab }
        defer { server.stop() }
        let run = try ProgramRun.run(StockTools.xrdfs, [server.url, "ls", "/"],
                                     environment: ["XrdSecSSSKT": keytabs.folder + "/missing"], timeout: .seconds(60))
        #expect(run.status == 0, "\(run.stderr)")
        let me = String(cString: getpwuid(getuid()).pointee.pw_name)
        #expect(log.containing("authenticated \(me) by unix").count == 1, "\(log.entries.withLock { $0.map(\.message) })")
        _ = try server.client(user: "unix-fallback").stat("/")
        #expect(log.containing("authenticated unix-fallback by unix").count == 1)

        let sssOnly = try TestServer { $0.authentication = ["sss"]; $0.keytab = keytab }
        defer { sssOnly.stop() }
        #expect { try sssOnly.client() } throws: { error in
            guard case .authenticationRequired? = error as? XRootDError else { return false }
            return true
        }
    }

    @Test func defaultUnixNeedsNoExchange() throws {
        let server = try TestServer()
        defer { server.stop() }
        let raw = try RawConnection(port: server.port)
        guard case .ok(let body)? = raw.logInAnswer()?.body else { Issue.record("login not answered"); return }
        #expect(body.count == 16, "no security token after the session id")
    }
}
