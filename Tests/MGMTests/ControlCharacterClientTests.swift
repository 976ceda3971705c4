import Foundation
import Glibc
import MGM
import Testing
import XRootD

/// Names with control characters, which broke every stat listing of their directory, are refused
/// with EINVAL (kXR_ArgInvalid) for mkdir, create, rename and mkdir -p, through our client, `xrdfs` and
/// the Python bindings; the directory's listings (plain and with stat) go on working for all of them.
@Suite struct ControlCharacterClientTests {
    @Test func controlCharactersAreRefusedAndListingsStillWork() throws {
        let server = try TestServer { $0.durability = .batch }
        defer { server.stop() }
        let client = try server.client()
        try client.mkdir("/d")
        try client.mkdir("/d/ok")
        for name in ["a\nb", "tab\there", "cr\r", "del\u{7F}", "bell\u{7}"] {
            let mkdir = serverErrorOf { try client.mkdir("/d/" + name) }
            #expect(mkdir?.code == .argInvalid, "mkdir \(name.debugDescription): \(String(describing: mkdir))")
            #expect(mkdir?.message.hasPrefix("Unable to mkdir /d/") == true, "\(String(describing: mkdir))")
            #expect(serverErrorOf { try client.mkdir("/p/" + name + "/q", options: [.makePath]) }?.code == .argInvalid)
            #expect(serverErrorOf { _ = try client.open("/d/" + name, options: [.new]) }?.code == .argInvalid)
            #expect(serverErrorOf { _ = try client.open("/m/" + name + "/f", options: [.new, .makePath]) }?.code == .argInvalid)
            #expect(serverErrorOf { try client.mv("/d/ok", to: "/d/" + name) }?.code == .argInvalid)
        }
        #expect(try client.dirlist("/").names == ["d"], "a refused mkdir -p or open made a parent")
        #expect(try client.dirlist("/d", options: [.withStat]).names == ["ok"])

        if StockTools.hasXrdfs {
            let refused = try ProgramRun.run(StockTools.xrdfs, [server.url, "mkdir", "/d/x\ty"], timeout: .seconds(60))
            #expect(refused.status == 54, "\(refused.stdout)\(refused.stderr)")
            #expect(refused.stderr.contains("[3000]"), "\(refused.stderr)")
            let renamed = try ProgramRun.run(StockTools.xrdfs, [server.url, "mv", "/d/ok", "/d/o\nk"], timeout: .seconds(60))
            #expect(renamed.status == 54, "\(renamed.stdout)\(renamed.stderr)")
            let listing = try ProgramRun.run(StockTools.xrdfs, [server.url, "ls", "-l", "/d"], timeout: .seconds(60))
            #expect(listing.status == 0, "\(listing.stderr)")
            #expect(listing.stdout.hasSuffix("/d/ok\n") && listing.stdout.split(separator: "\n").count == 1, "\(listing.stdout)")
        }
        if StockTools.hasPythonBindings {
            let script = """
                import sys
                from XRootD import client
                from XRootD.client.flags import DirListFlags
                fs = client.FileSystem("root://127.0.0.1:%s" % sys.argv[1])
                st, _ = fs.mkdir("/d/p\\nq"); print("mkdir", st.ok, st.errno, st.code, flush=True)
                st, _ = fs.mv("/d/ok", "/d/o\\rk"); print("mv", st.ok, st.errno, flush=True)
                st, l = fs.dirlist("/d", DirListFlags.STAT); print("lsl", st.ok, ",".join(e.name for e in l), flush=True)
                st, l = fs.dirlist("/d"); print("ls", st.ok, ",".join(e.name for e in l), flush=True)
                """
            let run = try ProgramRun.run(StockTools.python, ["-c", script, String(server.port)], timeout: .seconds(60))
            #expect(run.stdout.contains("mkdir False 3000"), "\(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("mv False 3000"), "\(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("lsl True ok\n"), "\(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("ls True ok\n"), "\(run.stdout)\(run.stderr)")
        }
        #expect(try server.server.namespace.list("/d").map(\.name) == ["ok"])
    }
}
