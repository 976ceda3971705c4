import BerylTestSupport
import Foundation
import Glibc
import MGM
import Testing
import XRootD

/// The stock clients run as two different Unix users (`daemon`, `nobody`, via `setpriv`) and root, each
/// one long-lived process: they log in under their own names and meet the server's permission checks.
/// Needs root (to change user) and Debian's xrootd-client and python3-xrootd.
@Suite(.enabled(if: getuid() == 0 && StockTools.hasXrdfs && StockTools.hasPythonBindings,
                "needs root (setpriv to daemon and nobody), xrdfs and python3-xrootd: skipped"))
struct StockClientPermissionTests {
    static let setpriv = "/usr/bin/setpriv"

    /// `arguments` run as uid/gid `id` with no supplementary groups.
    static func runAs(_ id: Int, _ program: String, _ arguments: [String], input: String = "") throws -> ProgramRun {
        try ProgramRun.run(setpriv, ["--reuid=\(id)", "--regid=\(id)", "--clear-groups", program] + arguments,
                           input: input, timeout: .seconds(60))
    }

    static let script = """
        import sys
        from XRootD import client
        from XRootD.client.flags import MkDirFlags, DirListFlags, OpenFlags
        url = "root://127.0.0.1:" + sys.argv[1]
        fs = client.FileSystem(url)
        def out(name, st, *rest):
            print(name, st.ok, st.errno if not st.ok else 0, st.message.strip() if not st.ok else "", *rest, sep="|")
        for line in sys.stdin:
            words = line.split()
            if not words: continue
            op, path = words[0], words[1]
            if op == "mkdir": st, _ = fs.mkdir(path, MkDirFlags.MAKEPATH if len(words) > 2 else MkDirFlags.NONE); out(line.strip(), st)
            elif op == "ls": st, l = fs.dirlist(path); out(line.strip(), st, ",".join(sorted(e.name for e in l)) if st.ok else "")
            elif op == "stat": st, _ = fs.stat(path); out(line.strip(), st)
            elif op == "rm": st, _ = fs.rm(path); out(line.strip(), st)
            elif op == "create":
                f = client.File(); st, _ = f.open(url + "/" + path, OpenFlags.NEW); out(line.strip(), st); f.close()
            elif op == "admin":
                f = client.File(); st, _ = f.open(url + "/" + path); out(line.strip(), st); f.close()
        """

    /// Runs the script as `id` over `commands`; answers by command line: (ok, errno, message).
    static func python(_ id: Int, port: Int, _ commands: [String]) throws -> [String: (ok: Bool, errno: Int, message: String)] {
        let run = try runAs(id, StockTools.python, ["-c", script, String(port)], input: commands.joined(separator: "\n") + "\n")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        var answers: [String: (Bool, Int, String)] = [:]
        for line in run.stdout.split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 4 else { continue }
            answers[fields[0]] = (fields[1] == "True", Int(fields[2]) ?? -1, fields[3])
        }
        return answers
    }

    @Test func twoUsersAndRoot() throws {
        let server = try TestServer()
        defer { server.stop() }
        let root = try server.client(user: "root")
        try root.mkdir("/home/daemon", options: .makePath, mode: 0o755)
        try root.mkdir("/private", mode: 0o700)
        let chown = try root.readFile(AdminRequest.path(for: ["chown", "daemon:daemon", "/home/daemon"]))
        #expect(AdminResult(encoded: String(decoding: chown, as: UTF8.self))?.returnCode == 0)

        let notAuthorized = Int(XRootDErrorCode.notAuthorized.rawValue)
        // daemon: works in its home, is kept out of root's private directory and the admin commands.
        let daemon = try Self.python(1, port: server.port, [
            "mkdir /home/daemon/py/a/b -p", "create /home/daemon/py/file", "ls /home/daemon/py", "stat /private",
            "ls /private", "mkdir /private/x", "admin /proc/admin/?mgm.cmd=ns",
        ])
        #expect(daemon["mkdir /home/daemon/py/a/b -p"]?.ok == true, "\(daemon)")
        #expect(daemon["create /home/daemon/py/file"]?.ok == true, "\(daemon)")
        #expect(daemon["ls /home/daemon/py"]?.ok == true)
        #expect(daemon["stat /private"]?.ok == true)
        #expect(daemon["ls /private"]?.errno == notAuthorized, "\(daemon)")
        #expect(daemon["mkdir /private/x"]?.message.hasSuffix("[\(notAuthorized)] Unable to mkdir /private/x; permission denied") == true,
                "\(daemon)")
        #expect(daemon["admin /proc/admin/?mgm.cmd=ns"]?.errno == notAuthorized, "\(daemon)")
        #expect(try root.stat("/home/daemon/py/a/b").extended?.owner == "daemon")
        #expect(try root.stat("/home/daemon/py/file").extended?.owner == "daemon")

        // nobody: may look, not touch.
        let nobody = try Self.python(65534, port: server.port, [
            "ls /home/daemon", "mkdir /home/daemon/py/n", "rm /home/daemon/py/file", "create /home/daemon/n",
            "admin /proc/admin/?mgm.cmd=chown&mgm.args=nobody%20/",
        ])
        #expect(nobody["ls /home/daemon"]?.ok == true, "\(nobody)")
        for refused in ["mkdir /home/daemon/py/n", "rm /home/daemon/py/file", "create /home/daemon/n",
                        "admin /proc/admin/?mgm.cmd=chown&mgm.args=nobody%20/"] {
            #expect(nobody[refused]?.errno == notAuthorized, "\(refused): \(nobody)")
        }
        #expect(try server.namespace.list("/home/daemon/py").map(\.name) == ["a", "file"])

        // The stock xrdfs as nobody, one interactive session: the stock server's messages.
        let xrdfs = try Self.runAs(65534, StockTools.xrdfs, [server.url],
                                   input: "mkdir /home/daemon/x\nls /private\nstat /home/daemon/py\n")
        #expect(xrdfs.stderr.contains("[3010] Unable to mkdir /home/daemon/x; permission denied"), "\(xrdfs.stderr)")
        #expect(xrdfs.stderr.contains("[3010] Unable to open directory /private; permission denied"), "\(xrdfs.stderr)")
        #expect(xrdfs.stdout.contains("Path:   /home/daemon/py"), "\(xrdfs.stdout)")

        // root (this process's user) passes every check.
        let asRoot = try Self.python(0, port: server.port, ["mkdir /private/r", "rm /home/daemon/py/file"])
        #expect(asRoot["mkdir /private/r"]?.ok == true && asRoot["rm /home/daemon/py/file"]?.ok == true, "\(asRoot)")
    }

    /// `make run` as a user who is not root: the fresh namespace's "/" is that user's, so the same user's
    /// `xrdfs` may make entries at once (and other users may not).
    @Test(.enabled(if: ChildProcess.sibling("beryl-mgm") != nil, "build the executables first (swift build)"))
    func aFreshNamespaceBelongsToTheUserWhoServesIt() throws {
        let mgm = try #require(ChildProcess.sibling("beryl-mgm"))
        let directory = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(chown(directory, 65534, 65534) == 0)
        let data = directory + "/data"
        #expect(try Self.runAs(65534, mgm, ["tag", "master", "--data", data]).status == 0)
        let port = try ExecutableTests.freePort()
        let server = try ServeProcess(Self.setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", mgm, "serve",
                                                     "--data", data, "--listen", "127.0.0.1:\(port)", "--durability", "none"],
                                      log: directory + "/serve.log")
        defer { server.stop() }
        let root: XRootDClient
        do {
            root = try server.connect(port: port)
        } catch {
            Issue.record("\(error): \((try? String(contentsOfFile: directory + "/serve.log", encoding: .utf8)) ?? "")")
            return
        }
        let url = "root://127.0.0.1:\(port)"
        let mine = try Self.runAs(65534, StockTools.xrdfs, [url], input: "mkdir /mine\nls -l /\n")
        #expect(!mine.stderr.contains("[ERROR]"), "\(mine.stderr)")
        #expect(mine.stdout.contains("nobody") && mine.stdout.contains("/mine"), "\(mine.stdout)")
        #expect(try root.stat("/").extended?.owner == "nobody")
        let other = try Self.runAs(1, StockTools.xrdfs, [url], input: "mkdir /theirs\n")
        #expect(other.stderr.contains("[3010] Unable to mkdir /theirs; permission denied"), "\(other.stderr)")
        #expect(server.stop() == 0)
        let log = (try? String(contentsOfFile: directory + "/serve.log", encoding: .utf8)) ?? ""
        #expect(log.contains("fresh namespace: / given to the serving user"), "\(log)")
    }
}
