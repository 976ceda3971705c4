import Foundation
import BerylTestSupport
import Glibc
import MGM
import Replication
import Testing
import XRootD

/// The built executables: the `beryl` console against a server, and `beryl-mgm serve` as a process
/// (SIGTERM, the data-directory lock, tagging).
@Suite struct ExecutableTests {
    /// An executable next to the test binary (SwiftPM puts all products in one folder).
    static func sibling(_ name: String) -> String? { ChildProcess.sibling(name) }

    static var haveExecutables: Bool { sibling("beryl") != nil && sibling("beryl-mgm") != nil }

    @Test(.enabled(if: haveExecutables, "build the executables first (swift build)"))
    func consoleCommands() throws {
        let server = try TestServer()
        defer { server.stop() }
        let beryl = try #require(Self.sibling("beryl"))
        func console(_ arguments: String...) throws -> ProgramRun {
            try ProgramRun.run(beryl, ["--mgm", server.url] + arguments, timeout: .seconds(30))
        }
        #expect(try console("mkdir", "-p", "/c/d").status == 0)
        #expect(try console("touch", "/c/f").status == 0)
        #expect(try console("touch", "/c/f").status == 0)
        #expect(try console("chmod", "700", "/c/d").status == 0)
        #expect(try console("mv", "/c/f", "/c/g").status == 0)
        let long = try console("ls", "-l", "/c")
        let lines = long.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("drwx------") && lines[0].hasSuffix(" d"), "\(long.stdout)")
        #expect(lines.count == 2 && lines[1].hasPrefix("-rw-r--r--") && lines[1].contains(" 0 ") && lines[1].hasSuffix(" g"), "\(long.stdout)")
        #expect(try console("ls", "/c").stdout == "d\ng\n")
        #expect(try console("stat", "/c/g").stdout.contains("Size: 0  regular file"))

        let notEmpty = try console("rmdir", "/c")
        #expect(notEmpty.status == ENOTEMPTY && notEmpty.stderr.contains("directory not empty"), "\(notEmpty.stderr)")
        let missing = try console("rm", "/nope")
        #expect(missing.status == ENOENT && missing.stderr.contains("no such file or directory"))
        let exists = try console("mkdir", "/c/d")
        #expect(exists.status == EEXIST && exists.stderr.contains("file exists"))
        #expect(try console("rm", "/c/g").status == 0)

        // Admin commands (the test runs as its own user: as root they succeed, otherwise they are refused).
        let ns = try console("ns", "stat")
        if Console.isRoot {
            #expect(ns.status == 0 && ns.stdout.contains("Replication                      mode=master-rw"), "\(ns.stderr)")
            #expect(try console("access", "set", "stall", "30", "w").status == 0)
            #expect(try console("access", "ls").stdout.contains("w:* => 30"))
            #expect(try console("access", "rm", "stall", "w").status == 0)
            #expect(try console("ns", "master", "other:1094").status == ENOTSUP)
            // The legacy `ns compact` from the console; `on` alone starts at once.
            let compact = try console("ns", "compact", "on", "0", "0", "all")
            #expect(compact.status == 0 && compact.stdout.contains("success: configured online compacting"), "\(compact)")
            #expect(try console("ns", "compact", "on").status == 0)
            #expect(try console("ns", "compact", "off").stdout.contains("disabled online compacting"))
            // chown (the legacy `eos chown`): a subtree to another user, checked through stat.
            let chown = try console("chown", "-r", "daemon:nogroup", "/c")
            #expect(chown.status == 0 && chown.stdout.contains("success: daemon:nogroup owns /c (2 entries)"), "\(chown)")
            #expect(try console("ls", "-l", "/c").stdout.contains("daemon   nogroup"))
            #expect(try console("chown", "no-such-user-here", "/c").status == EINVAL)
            #expect(try console("chown", "daemon").status == 64, "a usage error, before any server is asked")
        } else {
            #expect(ns.status == EACCES)
            #expect(try console("chown", "daemon", "/c").status == EACCES)
        }
    }

    /// Console usage errors are caught before anything reaches a server (exit 64): a typo must never
    /// start a role change or a compaction.
    @Test(.enabled(if: haveExecutables, "build the executables first (swift build)"))
    func consoleRefusesMalformedAdminCommandsLocally() throws {
        let beryl = try #require(Self.sibling("beryl"))
        // Port 1 on loopback: nothing listens, so any attempt to reach a server would fail differently.
        func console(_ arguments: String...) throws -> ProgramRun {
            try ProgramRun.run(beryl, ["--mgm", "root://127.0.0.1:1"] + arguments, timeout: .seconds(30))
        }
        for words in [["ns", "master", "127.0.0.1:3094", "extra"], ["ns", "master", "--bogus"], ["ns", "master", "--sync", "sometimes"],
                      ["ns", "master", "--log", "x"], ["ns", "compact", "on", "0", "0", "everything"], ["ns", "compact", "maybe"],
                      ["ns", "compact", "on", "-5"], ["ns", "compact", "off", "now"]] {
            let run = try ProgramRun.run(beryl, ["--mgm", "root://127.0.0.1:1"] + words, timeout: .seconds(30))
            #expect(run.status == 64, "\(words): \(run.status) \(run.stderr)")
        }
        let help = try console("ns", "master", "--help")
        #expect(help.status == 0 && help.stdout.contains("--discard-divergent"), "\(help)")
    }

    @Test(.enabled(if: haveExecutables, "build the executables first (swift build)"))
    func serveTagAndSignals() throws {
        let mgm = try #require(Self.sibling("beryl-mgm"))
        let directory = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try ProgramRun.run(mgm, ["tag", "master", "--data", directory]).status == 0)
        #expect(RoleFile.read(in: directory) == .masterReadWrite)

        let port = try Self.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mgm)
        process.arguments = ["serve", "--data", directory, "--listen", "127.0.0.1:\(port)", "--durability", "none",
                             "--log-level", "warning"]
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var client: XRootDClient?
        for _ in 0..<100 where client == nil {
            client = try? XRootDClient(host: "127.0.0.1", port: port, options: .init(user: "root"))
            if client == nil { usleep(50_000) }
        }
        try #require(client).mkdir("/from-process")

        let second = try ProgramRun.run(mgm, ["serve", "--data", directory, "--listen", "127.0.0.1:0"], timeout: .seconds(30))
        #expect(second.status == 1 && second.stderr.contains("locked by another process"), "\(second.stderr)")

        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(15)
        while process.isRunning, ContinuousClock.now < deadline { usleep(20_000) }
        #expect(!process.isRunning)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let restarted = try TestServer(role: nil, directory: directory)
        defer { restarted.stop(removing: false) }
        #expect(try restarted.client().stat("/from-process").isDirectory)
    }

    static func freePort() throws -> Int {
        guard let port = freeLoopbackPort() else { throw XRootDError.connectionFailed("bind", errno: errno) }
        return port
    }
}

enum Console {
    static var isRoot: Bool { getuid() == 0 }
}
