import BerylTestSupport
import Foundation
import Glibc
import MGM
import Testing
import XRootD

/// Running `beryl-mgm` as a service: the configuration file, systemd readiness, `make install` and the unit.
@Suite struct ServiceTests {
    static var haveExecutables: Bool { ChildProcess.sibling("beryl-mgm") != nil }
    static let known: [String: ConfigFile.Kind] = ["data": .single, "admin-allow": .list, "verbose": .flag]

    /// The checkout (Tests/MGMTests/ServiceTests.swift is three levels down).
    static let checkout: String = {
        var path = "\(#filePath)"
        for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
        return path
    }()

    @Test(arguments: [
        ("data = /srv/a\n", [ConfigFile.Entry(key: "data", values: ["/srv/a"], line: 1)]),
        ("  # comment\n\ndata=/srv/a   # trailing comment\n", [.init(key: "data", values: ["/srv/a"], line: 3)]),
        ("data = \"/srv/with space # not a comment\"\n", [.init(key: "data", values: ["/srv/with space # not a comment"], line: 1)]),
        ("data = \"/srv/q\\\"uote\"\r\n", [.init(key: "data", values: ["/srv/q\"uote"], line: 1)]),
        ("admin-allow = 10.0.0.1, 10.0.0.2 10.0.0.3\n", [.init(key: "admin-allow", values: ["10.0.0.1", "10.0.0.2", "10.0.0.3"], line: 1)]),
        ("verbose = true\n", [.init(key: "verbose", values: [], line: 1)]),
        ("verbose = no\n", []),
        ("", []),
    ])
    func configParses(_ text: String, _ expected: [ConfigFile.Entry]) throws {
        #expect(try ConfigFile.parse(text, path: "t.conf", known: Self.known) == expected)
    }

    @Test(arguments: [
        ("data /srv/a\n", 1, "expected key = value"),
        ("# ok\nlisten = 1.2.3.4:5\n", 2, "unknown key 'listen'"),
        ("--data = /a\n", 1, "without '--'"),
        ("data = /a\ndata = /b\n", 2, "already set on line 1"),
        ("data =\n", 1, "has no value"),
        ("data = /a /b\n", 1, "takes one value"),
        ("data = \"/a\n", 1, "unterminated quote"),
        ("data = \"\"\n", 1, "empty quoted value"),
        ("[serve]\n", 1, "sections are not supported"),
        ("verbose = maybe\n", 1, "is a flag: true or false"),
    ])
    func configRefusesBadLines(_ text: String, _ line: Int, _ reason: String) {
        #expect {
            _ = try ConfigFile.parse(text, path: "t.conf", known: Self.known)
        } throws: { error in
            guard let failure = error as? ConfigFile.Failure else { return false }
            return failure.line == line && failure.description.hasPrefix("t.conf:\(line): ") && failure.reason.contains(reason)
        }
    }

    @Test func commandLineReplacesTheFile() throws {
        let entries = try ConfigFile.parse("data = /file\nadmin-allow = a b\nverbose = yes\n", path: "t", known: Self.known)
        #expect(ConfigFile.merged(entries, commandLine: ["--data", "/cli", "--config", "t"])
            == ["--admin-allow", "a", "b", "--verbose", "--data", "/cli", "--config", "t"])
        #expect(ConfigFile.merged(entries, commandLine: ["--admin-allow=c"]) == ["--data", "/file", "--verbose", "--admin-allow=c"])
        let expanded = try ConfigFile.expand(["--config=x.conf", "--data", "/d"], known: Self.known) { path throws(ConfigFile.Failure) in
            #expect(path == "x.conf")
            return "data = /ignored\nverbose = 1\n"
        }
        #expect(expanded == ["--verbose", "--config=x.conf", "--data", "/d"])
    }

    @Test func optionsComeFromTheUsageLine() {
        let usage = "serve [--config <config>] --data <data> [--listen <listen>] [--admin-allow <admin-allow> ...] "
            + "[--allow-missing-log] [--color|--no-color]"
        #expect(ConfigFile.options(fromUsage: usage) == ["data": .single, "listen": .single, "admin-allow": .list,
                                                         "allow-missing-log": .flag, "color": .flag, "no-color": .flag])
    }

    /// The keys `beryl-mgm` accepts are every long option of `serve --help` but --config (an unknown
    /// key's error lists them), so a new option is settable in the file without a change elsewhere.
    @Test(.enabled(if: haveExecutables, "build the executables first (swift build)"))
    func everyServeOptionIsAKey() throws {
        let mgm = try #require(ChildProcess.sibling("beryl-mgm"))
        let help = try ProgramRun.run(mgm, ["serve", "--help"]).stdout
        var named = Set<String>()
        for word in help.split(whereSeparator: { " \n,[]".contains($0) }) where word.hasPrefix("--") && word.count > 2 {
            named.insert(String(word.dropFirst(2).prefix { $0.isLetter || $0.isNumber || $0 == "-" }))
        }
        named.subtract(["help", "config", ""])  // "" : the "--" of a sentence in the help text

        let directory = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "nonsense = 1\n".write(toFile: directory + "/c.conf", atomically: true, encoding: .utf8)
        let run = try ProgramRun.run(mgm, ["serve", "--config", directory + "/c.conf"])
        // The unknown key's error lists the keys a file may set: every option of `serve --help`.
        let known = run.stderr.split(separator: "known: ").last.map {
            Set($0.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" }).map(String.init))
        } ?? []
        #expect(known == named, "keys: \(known.sorted()), help: \(named.sorted())")
        #expect(run.status == 1 && run.stderr.contains("c.conf:1: unknown key 'nonsense'; known: \(named.sorted().joined(separator: ", "))"),
                "\(run.stderr)")
    }

    @Test(.enabled(if: haveExecutables, "build the executables first (swift build)"))
    func serveFromAConfigFileAndNotifySystemd() throws {
        let mgm = try #require(ChildProcess.sibling("beryl-mgm"))
        let directory = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try ProgramRun.run(mgm, ["tag", "master", "--data", directory + "/data"]).status == 0)
        let port = try ExecutableTests.freePort(), metricsPort = try ExecutableTests.freePort()
        // The file gives every address; the command line replaces the log level.
        let config = directory + "/beryl-mgm.conf"
        try """
            # a test configuration
            data = \(directory)/data
            listen = 127.0.0.1:\(port)   # the XRootD port
            durability = none
            log-level = "critical"
            metrics = 127.0.0.1:\(metricsPort)
            """.write(toFile: config, atomically: true, encoding: .utf8)

        let notify = try DatagramSocket(path: directory + "/notify.sock")
        let server = try ServeProcess(mgm, ["serve", "--config", config, "--log-level", "info"], log: directory + "/serve.log",
                                      environment: ["NOTIFY_SOCKET": notify.path])
        defer { server.stop() }
        let ready = try #require(notify.receive(timeout: .seconds(20)), "no sd_notify datagram")
        #expect(ready.hasPrefix("READY=1\n") && ready.contains("MAINPID=\(server.process.processIdentifier)"), "\(ready)")
        let client = try server.connect(port: port)
        try client.mkdir("/from-config")
        #expect(try client.stat("/from-config").isDirectory)
        client.disconnect()
        #expect(try HTTP.get(port: metricsPort, path: "/metrics").status == 200)
        #expect(server.stop() == 0)
        #expect(notify.receive(timeout: .seconds(5))?.hasPrefix("STOPPING=1") == true)
        // The command line's --log-level info replaced the file's critical: the info lines are there.
        #expect(try String(contentsOfFile: directory + "/serve.log", encoding: .utf8).contains("listening"))

        // A bad line stops the server before anything else, naming the file and the line.
        try "data = \(directory)/data\nlisten 127.0.0.1:1\n".write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try ProgramRun.run(mgm, ["serve", "--config", config])
        #expect(bad.status == 1 && bad.stderr.contains("\(config):2: expected key = value"), "\(bad.stderr)")
        let missing = try ProgramRun.run(mgm, ["serve", "--config", directory + "/none.conf"])
        #expect(missing.status == 1 && missing.stderr.contains("none.conf: cannot read: No such file or directory"), "\(missing.stderr)")
    }

    @Test func notifierSendsOneDatagram() throws {
        let directory = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = try DatagramSocket(path: directory + "/n.sock")
        #expect(try ServiceNotifier.notify("READY=1\nSTATUS=test", socket: socket.path))
        #expect(socket.receive(timeout: .seconds(5)) == "READY=1\nSTATUS=test")
        #expect(try ServiceNotifier.notify("READY=1", socket: nil) == false)
        #expect(throws: ServiceNotifier.Failure.self) { try ServiceNotifier.notify("READY=1", socket: directory + "/absent.sock") }
    }

    /// `make install` lays out the binaries, the unit (paths filled in), the configuration (kept when it
    /// exists) and the docs; `systemd-analyze verify` accepts the unit.
    @Test(.enabled(if: haveExecutables, "build the executables first (swift build)"))
    func makeInstallLaysOutTheFiles() throws {
        let mgm = try #require(ChildProcess.sibling("beryl-mgm"))
        let binaries = String(mgm[..<mgm.lastIndex(of: "/")!])
        _ = try #require(ChildProcess.sibling("log-repair"))
        _ = try #require(ChildProcess.sibling("beryl"))
        let stage = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: stage) }
        func install() throws -> ProgramRun {
            try ProgramRun.run("/usr/bin/make", ["-s", "-C", Self.checkout, "install-files", "DESTDIR=\(stage)",
                                                 "PREFIX=/opt/beryl", "INSTALL_FROM=\(binaries)"])
        }
        let first = try install()
        #expect(first.status == 0, "\(first.stderr)")
        for file in ["/opt/beryl/bin/beryl-mgm", "/opt/beryl/bin/beryl", "/opt/beryl/bin/log-repair"] {
            #expect(access(stage + file, X_OK) == 0, "\(file)")
        }
        let unit = try String(contentsOfFile: stage + "/opt/beryl/lib/systemd/system/beryl-mgm@.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/opt/beryl/bin/beryl-mgm serve --config /etc/beryl/beryl-mgm.conf --data /var/lib/beryl/%i"))
        #expect(!unit.contains("@BINDIR@") && !unit.contains("@SYSCONFDIR@") && unit.contains("Type=notify"))
        let conf = stage + "/etc/beryl/beryl-mgm.conf"
        let known = ConfigFile.options(fromUsage: "serve --data <data> --listen <listen> --durability <durability> "
                                       + "--log-level <log-level> --metrics <metrics>")
        #expect(try ConfigFile.parse(try ConfigFile.text(of: conf), path: conf, known: known).count == 4)
        for file in ["OPERATIONS.md", "grafana-beryl.json", "beryl-mgm.conf"] {
            #expect(FileManager.default.fileExists(atPath: stage + "/opt/beryl/share/doc/beryl/" + file), "\(file)")
        }
        // An operator's configuration survives a second install.
        try "log-level = debug\n".write(toFile: conf, atomically: true, encoding: .utf8)
        let second = try install()
        #expect(second.status == 0 && second.stdout.contains("kept"), "\(second.stdout)\(second.stderr)")
        #expect(try String(contentsOfFile: conf, encoding: .utf8) == "log-level = debug\n")

        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            print("ServiceTests: skipping systemd-analyze verify: /usr/bin/systemd-analyze is absent")
            return
        }
        // verify wants an instance and an executable at the unit's path: the staged tree, installed in place.
        let root = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let inPlace = try ProgramRun.run("/usr/bin/make", ["-s", "-C", Self.checkout, "install-files", "PREFIX=\(root)/usr",
                                                           "SYSCONFDIR=\(root)/etc", "INSTALL_FROM=\(binaries)"])
        #expect(inPlace.status == 0, "\(inPlace.stderr)")
        let instance = root + "/beryl-mgm@test.service"
        try FileManager.default.copyItem(atPath: root + "/usr/lib/systemd/system/beryl-mgm@.service", toPath: instance)
        let verify = try ProgramRun.run("/usr/bin/systemd-analyze", ["verify", instance])
        #expect(verify.status == 0 && verify.stderr.isEmpty, "\(verify.stdout)\(verify.stderr)")
    }
}

/// A bound AF_UNIX datagram socket standing in for systemd's notification socket.
final class DatagramSocket {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in path.utf8.enumerated() { bytes[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, bound == 0 else { throw XRootDError.connectionFailed("bind \(path)", errno: errno) }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// The next datagram, or nil after `timeout`.
    func receive(timeout: Duration) -> String? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout.components.seconds * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }
}
