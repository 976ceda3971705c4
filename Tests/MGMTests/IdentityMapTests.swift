import MGM
import Testing

/// The `--idmap` format and how login names become identities (system database: Debian's `root`,
/// `daemon` (1:1), `bin` (2:2) and `nobody` (65534), present on every Debian machine).
struct IdentityMapTests {
    @Test func rulesAndTheirPrecedence() throws {
        let map = try IdentityMap(parsing: """
            # protocol name rule
            sss   alice   uid=1001 gid=1001 groups=2000,2001
            sss   *       uid=daemon          # every other sss name
            *     carol   uid=bin gid=daemon
            *     *       uid=nobody

            krb5  dave@EXAMPLE.ORG uid=7777 groups=daemon
            """)
        #expect(map.count == 5)
        #expect(map.mapping(protocolName: "sss", name: "alice") == .init(uid: 1001, gid: 1001, groups: [2000, 2001]))
        #expect(map.mapping(protocolName: "sss", name: "zed")?.uid == 1)
        #expect(map.mapping(protocolName: "sss", name: "zed")?.gid == 1)
        #expect(map.mapping(protocolName: "unix", name: "carol") == .init(uid: 2, gid: 1, groups: []))
        #expect(map.mapping(protocolName: "sss", name: "carol")?.uid == 1, "protocol and * beats * and name")
        #expect(map.mapping(protocolName: "unix", name: "x")?.uid == 65534)
        // A uid without a system user: group 65534 unless given.
        #expect(map.mapping(protocolName: "krb5", name: "dave@EXAMPLE.ORG") == .init(uid: 7777, gid: 65534, groups: [1]))
        #expect(IdentityMap.empty.mapping(protocolName: "unix", name: "root") == nil)
    }

    @Test(arguments: [
        ("unix alice", 1, "expected"),
        ("unix alice gid=1", 1, "uid= is missing"),
        ("unix alice uid=no-such-user-here", 1, "unknown user"),
        ("\n\nunix alice uid=1 gid=no-such-group", 3, "unknown group"),
        ("unix alice uid=1 shell=/bin/sh", 1, "expected uid="),
        ("unix alice uid=1 uid=2", 1, "each once"),
        ("unix alice uid=1\nunix alice uid=2", 2, "a second rule"),
        ("unix alice uid=1 groups=1,no-such-group", 1, "unknown group"),
    ])
    func badLines(_ text: String, _ line: Int, _ message: String) {
        do throws(IdentityMapError) {
            _ = try IdentityMap(parsing: text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test func resolverUsesTheMapThenTheSystemDatabaseThenNobody() throws {
        let resolver = IdentityResolver(map: try IdentityMap(parsing: "sss alice uid=daemon\nunix mapped uid=bin"))
        func resolve(_ user: String, _ protocolName: String = "unix", address: String = "127.0.0.1",
                     authenticated: Bool = false, groups: [String] = []) -> VirtualIdentity {
            resolver.resolve(ClientIdentity(user: user, address: address, loggedIn: true, protocolName: protocolName,
                                            authenticated: authenticated, credentialGroups: groups))
        }
        #expect(resolve("alice", "sss", authenticated: true).uid == 1)
        #expect(resolve("alice", "sss", authenticated: true).name == "daemon")
        #expect(resolve("mapped").uid == 2)
        #expect(resolve("daemon").uid == 1)
        #expect(resolve("daemon").groups.first == 1)
        #expect(resolve("no-such-user-here") == .nobody)
        #expect(resolve("") == .nobody)
        // Root by `unix` only from a trusted address; proven root from anywhere.
        #expect(resolve("root").uid == 0)
        #expect(resolve("root", address: "10.9.8.7") == .nobody)
        #expect(resolve("root", "sss", address: "10.9.8.7", authenticated: true).uid == 0)
        // Groups carried by the credential replace the database's.
        let carried = resolve("daemon", "sss", authenticated: true, groups: ["nogroup", "bin", "no-such-group"])
        #expect(carried.gid == 65534 && carried.groups == [65534, 2], "\(carried)")
        #expect(carried.groupNames == ["nogroup", "bin"])
        #expect(resolve("daemon").isChecked)
    }

    @Test func adminAllowTrustsDeclaredRoot() {
        let resolver = IdentityResolver(adminAllow: ["10.9.8.7"])
        #expect(resolver.resolve(ClientIdentity(user: "root", address: "10.9.8.7", loggedIn: true)).uid == 0)
        #expect(resolver.resolve(ClientIdentity(user: "root", address: "10.9.8.6", loggedIn: true)).uid == 65534)
    }

    @Test func authNoneChecksNothing() throws {
        var configuration = MGMConfiguration(dataDirectory: "/nonexistent")
        configuration.authentication = ["none"]
        let resolver = try IdentityResolver(configuration: configuration)
        let identity = resolver.resolve(ClientIdentity(user: "daemon", address: "127.0.0.1", loggedIn: true, protocolName: "none"))
        #expect(identity.uid == 1 && !identity.isChecked && identity.passesEveryCheck)
    }

    @Test func unreadableOrBadMapStopsTheStart() {
        var configuration = MGMConfiguration(dataDirectory: "/nonexistent")
        configuration.idmap = "/nonexistent/idmap"
        #expect(throws: MGMError.self) { _ = try IdentityResolver(configuration: configuration) }
    }
}
