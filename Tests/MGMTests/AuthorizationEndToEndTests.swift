import BerylTestSupport
import Glibc
import MGM
import Namespace
import Testing
import XRootD

/// Permission checks over the wire, one long-lived client per user: `root`, `daemon` (uid 1) and
/// `nobody` (uid 65534) from Debian's user database, logging in by `unix` (the declared name).
struct AuthorizationEndToEndTests {
    static func refusal(_ body: () throws(XRootDError) -> Void) -> ServerError? {
        do throws(XRootDError) {
            try body()
            return nil
        } catch {
            return error.serverError
        }
    }

    static func admin(_ client: XRootDClient, _ words: [String]) throws -> AdminResult {
        let bytes = try client.readFile(AdminRequest.path(for: words))
        return try #require(AdminResult(encoded: String(decoding: bytes, as: UTF8.self)))
    }

    @Test func modeBitsOwnershipAndRefusalsThatChangeNothing() throws {
        let server = try TestServer()
        defer { server.stop() }
        let root = try server.client(user: "root")
        let daemon = try server.client(user: "daemon")
        let nobody = try server.client(user: "nobody")

        try root.mkdir("/home", mode: 0o755)
        try root.mkdir("/home/daemon", mode: 0o755)
        try root.mkdir("/private", mode: 0o700)
        #expect(try Self.admin(root, ["chown", "daemon", "/home/daemon"]).returnCode == 0)
        #expect(try root.stat("/home/daemon").extended?.owner == "daemon")
        #expect(try root.stat("/home/daemon").extended?.group == "daemon")

        // The owner works in its home; what it makes is its own.
        try daemon.mkdir("/home/daemon/work/deep", options: .makePath)
        _ = try daemon.open("/home/daemon/work/file", options: [.new], mode: 0o640)
        #expect(try daemon.stat("/home/daemon/work/deep").extended?.owner == "daemon")
        #expect(try daemon.stat("/home/daemon/work/file").extended?.owner == "daemon")
        try daemon.chmod("/home/daemon/work", mode: 0o750)

        // Another user: each refusal is kXR_NotAuthorized with the stock text, and leaves the data directory as it was.
        let before = DirectorySnapshot(server.directory)
        let cases: [(String, () throws(XRootDError) -> Void)] = [
            ("Unable to mkdir /home/daemon/x; permission denied", { () throws(XRootDError) in try nobody.mkdir("/home/daemon/x") }),
            ("Unable to mkdir /home/daemon/a/b; permission denied",
             { () throws(XRootDError) in try nobody.mkdir("/home/daemon/a/b", options: .makePath) }),
            ("Unable to create /home/daemon/f; permission denied",
             { () throws(XRootDError) in _ = try nobody.open("/home/daemon/f", options: [.new]) }),
            ("Unable to remove /home/daemon/work/file; permission denied",
             { () throws(XRootDError) in try nobody.rm("/home/daemon/work/file") }),
            ("Unable to remove /home/daemon/work/deep; permission denied",
             { () throws(XRootDError) in try nobody.rmdir("/home/daemon/work/deep") }),
            ("Unable to rename /home/daemon/work; permission denied",
             { () throws(XRootDError) in try nobody.mv("/home/daemon/work", to: "/home/daemon/moved") }),
            ("Unable to change /home/daemon; permission denied",
             { () throws(XRootDError) in try nobody.chmod("/home/daemon", mode: 0o777) }),
            ("Unable to locate /home/daemon/work/file; permission denied",
             { () throws(XRootDError) in _ = try nobody.stat("/home/daemon/work/file") }),
            ("Unable to open directory /private; permission denied",
             { () throws(XRootDError) in _ = try nobody.dirlist("/private") }),
            ("Unable to mkdir /private/x; permission denied", { () throws(XRootDError) in try daemon.mkdir("/private/x") }),
            ("Unable to change /; permission denied", { () throws(XRootDError) in try daemon.chmod("/", mode: 0o777) }),
        ]
        for (message, operation) in cases {
            let error = Self.refusal(operation)
            #expect(error?.code == .notAuthorized, "\(message): \(String(describing: error))")
            #expect(error?.message == message)
        }
        #expect(DirectorySnapshot(server.directory) == before, "a refused request changed the data directory")

        // What others may do: search and stat where x allows, list where r allows.
        #expect(try nobody.stat("/private").flags.contains(.isDirectory))
        #expect(try nobody.dirlist("/home/daemon").names == ["work"])
        // Admin commands and chown: root only.
        #expect(Self.refusal { () throws(XRootDError) in _ = try daemon.readFile(AdminRequest.path(for: ["ns"])) }?.code
                == .notAuthorized)
        #expect(Self.refusal { () throws(XRootDError) in _ = try nobody.readFile(AdminRequest.path(for: ["chown", "nobody", "/"])) }?.code
                == .notAuthorized)
        #expect(try root.stat("/").extended?.owner == "root")
        // chown -r hands a whole subtree over; then the new owner may do what the old one could.
        let chown = try Self.admin(root, ["chown", "-r", "nobody:nogroup", "/home/daemon/work"])
        #expect(chown.returnCode == 0 && chown.stdout.contains("3 entries"), "\(chown)")
        #expect(try root.stat("/home/daemon/work/deep").extended?.owner == "nobody")
        #expect(try root.stat("/home/daemon/work/file").extended?.group == "nogroup")
        try nobody.rm("/home/daemon/work/file")
        #expect(try Self.admin(root, ["chown", "no-such-user-here", "/home"]).returnCode == EINVAL)
        #expect(try Self.admin(root, ["chown", "daemon", "/nope"]).returnCode == ENOENT)
        #expect(try Self.admin(root, ["chown", "/home"]).returnCode == EINVAL)
    }

    @Test func setgidParentsGiveTheirGroup() throws {
        let server = try TestServer()
        defer { server.stop() }
        let root = try server.client(user: "root")
        try root.mkdir("/shared", mode: 0o775)
        #expect(try Self.admin(root, ["chown", "root:daemon", "/shared"]).returnCode == 0)
        // kXR_chmod carries only 0o777: the setgid bit comes with the namespace (an EOS conversion keeps it)
        // and a chmod keeps it.
        try server.namespace.updateContainer(try server.namespace.containerID(at: "/shared")) { $0.mode |= 0o2000 }
        try root.chmod("/shared", mode: 0o775)
        #expect(try root.stat("/shared").extended?.mode == 0o2775)
        let daemon = try server.client(user: "daemon")
        try daemon.mkdir("/shared/sub")
        _ = try daemon.open("/shared/file", options: [.new])
        let sub = try root.stat("/shared/sub").extended
        #expect(sub?.owner == "daemon" && sub?.group == "daemon")
        #expect(sub.map { $0.mode & 0o2000 != 0 } == true, "a new directory keeps the setgid bit")
        // A user outside the group may not write there; root's entries take the group too.
        let nobody = try server.client(user: "nobody")
        #expect(Self.refusal { () throws(XRootDError) in try nobody.mkdir("/shared/n") }?.code == .notAuthorized)
        try root.mkdir("/shared/byroot")
        #expect(try root.stat("/shared/byroot").extended?.group == "daemon")
        try root.mkdir("/plain")
        #expect(try root.stat("/plain").extended?.group == "root")
    }

    @Test func directoryACLs() throws {
        let server = try TestServer()
        defer { server.stop() }
        let root = try server.client(user: "root")
        try root.mkdir("/project", mode: 0o700)
        let id = try server.namespace.containerID(at: "/project")
        // sys.acl: nobody may browse and write, not delete; user.acl only counts with sys.eval.useracl.
        try server.namespace.updateContainer(id) {
            $0.xattrs["sys.acl"] = "u:nobody:rwx!d"
            $0.xattrs["user.acl"] = "u:daemon:rwx"
        }
        let nobody = try server.client(user: "nobody")
        let daemon = try server.client(user: "daemon")
        try nobody.mkdir("/project/n")
        #expect(try nobody.dirlist("/project").names == ["n"])
        #expect(Self.refusal { () throws(XRootDError) in try nobody.rmdir("/project/n") }?.message
                == "Unable to remove /project/n; permission denied")
        #expect(Self.refusal { () throws(XRootDError) in try daemon.mkdir("/project/d") }?.code == .notAuthorized)
        try server.namespace.updateContainer(id) { $0.xattrs["sys.eval.useracl"] = "1" }
        try daemon.mkdir("/project/d")
        try daemon.rmdir("/project/d")
        #expect(try server.namespace.list("/project").map(\.name) == ["n"])
    }

    @Test func authNoneChecksNothingAndSaysSoOnce() throws {
        let log = CollectedLog()
        let server = try TestServer(logger: log.logger) { $0.authentication = ["none"] }
        defer { server.stop() }
        let root = try server.client(user: "root")
        try root.mkdir("/private", mode: 0o700)
        let nobody = try server.client(user: "nobody")
        try nobody.mkdir("/private/mine")
        #expect(try root.stat("/private/mine").extended?.owner == "nobody", "entries still take the declared user's ids")
        let warnings = log.containing("--auth none")
        #expect(warnings.count == 1 && warnings.first?.level == .warning, "\(warnings.map(\.message))")
        // Admin commands keep their gate: root from loopback.
        #expect(Self.refusal { () throws(XRootDError) in _ = try nobody.readFile(AdminRequest.path(for: ["ns"])) }?.code
                == .notAuthorized)
    }

    @Test func theIdentityMapRenamesLogins() throws {
        let directory = TestServer.temporaryDirectory()
        let map = directory + "/idmap"
        try "unix alice uid=daemon\nunix * uid=nobody\n".write(toFile: map, atomically: true, encoding: .utf8)
        let server = try TestServer(directory: directory) { $0.idmap = map }
        defer { server.stop() }
        try server.namespace.createContainer("/d", attributes: CreationAttributes(uid: 1, gid: 1, mode: 0o040755))
        let alice = try server.client(user: "alice")
        try alice.mkdir("/d/alice")
        #expect(try alice.stat("/d/alice").extended?.owner == "daemon")
        // `unix *` catches every other name, root's too: a declared root is nobody here.
        let root = try server.client(user: "root")
        #expect(Self.refusal { () throws(XRootDError) in try root.mkdir("/d/x") }?.code == .notAuthorized)
        #expect(Self.refusal { () throws(XRootDError) in _ = try root.readFile(AdminRequest.path(for: ["ns"])) }?.code
                == .notAuthorized)

        // A map that does not parse stops the start, naming the line.
        try "unix alice uid=no-such-user-here\n".write(toFile: map, atomically: true, encoding: .utf8)
        var configuration = MGMConfiguration(dataDirectory: directory, port: 0, durability: .none, role: .masterReadWrite)
        configuration.idmap = map
        do {
            _ = try MGMServer.start(configuration, logger: TestServer.quietLogger)
            Issue.record("started with a bad identity map")
        } catch {
            #expect("\(error)".contains("line 1: unknown user 'no-such-user-here'"), "\(error)")
        }
    }
}

private extension DirectoryListing {
    var names: [String] { entries.map(\.name) }
}
