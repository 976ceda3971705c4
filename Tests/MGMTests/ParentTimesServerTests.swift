import Foundation
import Namespace
import Testing
import XRootD

/// Through the protocol, as a sync tool sees it: mkdir, create, rm, rmdir, mv set the parent
/// directory's mtime and ctime (both parents on a move); chmod and xattr changes set the entry's ctime
/// and leave its parent alone. The same after a restart.
@Suite struct ParentTimesServerTests {
    static let old = Timestamp(seconds: 1_700_000_000)

    static func times(_ ns: Namespace, _ path: String) throws -> (mtime: Timestamp, ctime: Timestamp) {
        switch try ns.stat(path) {
        case .container(let c): return (c.mtime, c.ctime)
        case .file(let f): return (f.mtime, f.ctime)
        }
    }

    @Test func eachRequestSetsTheTimesEOSSets() throws {
        let directory = TestServer.temporaryDirectory()
        var server = try TestServer(directory: directory)
        let ns = server.namespace
        for d in ["mkdir", "create", "rm", "rmdir", "mv", "from", "to", "chmod"] {
            try ns.createContainer("/p/" + d, attributes: CreationAttributes(time: Self.old), missingParents: .create)
        }
        for f in ["/p/rm/f", "/p/mv/a", "/p/from/m", "/p/chmod/f"] { _ = try ns.createFile(f, attributes: CreationAttributes(time: Self.old)) }
        try ns.createContainer("/p/rmdir/sub", attributes: CreationAttributes(time: Self.old))
        let client = try server.client(user: "root")

        let steps: [(String, [String], () throws -> Void)] = [
            ("mkdir", ["/p/mkdir"], { try client.mkdir("/p/mkdir/new") }),
            ("create", ["/p/create"], { _ = try client.open("/p/create/new", options: [.new]) }),
            ("rm", ["/p/rm"], { try client.rm("/p/rm/f") }),
            ("rmdir", ["/p/rmdir"], { try client.rmdir("/p/rmdir/sub") }),
            ("mv", ["/p/mv"], { try client.mv("/p/mv/a", to: "/p/mv/b") }),
            ("mv between directories", ["/p/from", "/p/to"], { try client.mv("/p/from/m", to: "/p/to/m") }),
            ("chmod", ["/p/chmod/f"], { try client.chmod("/p/chmod/f", mode: 0o600) }),
        ]
        for (name, touched, step) in steps {
            let fence = Timestamp.now()
            try step()
            for path in touched {
                let t = try Self.times(ns, path)
                #expect(!(t.ctime < fence), "\(name): \(path) ctime \(t.ctime)")
                if name != "chmod" { #expect(t.mtime == t.ctime, "\(name): \(path) mtime") }
            }
        }
        let f = try Self.times(ns, "/p/chmod/f")
        #expect(f.mtime == Self.old, "chmod leaves the mtime")
        #expect(try Self.times(ns, "/p/chmod").ctime == Self.old, "chmod of an entry leaves its parent alone")

        var expected: [String: [Timestamp]] = [:]
        for path in ["/p/mkdir", "/p/create", "/p/rm", "/p/rmdir", "/p/mv", "/p/from", "/p/to", "/p/chmod", "/p/chmod/f"] {
            let t = try Self.times(ns, path)
            expected[path] = [t.mtime, t.ctime]
        }
        server.stop(removing: false)
        server = try TestServer(directory: directory)
        defer { server.stop() }
        for (path, t) in expected {
            let now = try Self.times(server.namespace, path)
            #expect([now.mtime, now.ctime] == t, "\(path) after a restart")
        }
    }
}

/// On a running master/slave pair (two `beryl-mgm` processes): the slave shows the parent times the
/// master set, as the stock client sees them.
@Suite struct ParentTimesPairTests {
    @Test func theSlaveShowsTheMastersParentTimes() throws {
        let pair = try PairFixture()
        defer { pair.stop() }
        let client = try pair.master.client()
        try client.mkdir("/pt/from", options: .makePath)
        try client.mkdir("/pt/to")
        _ = try client.open("/pt/from/f", options: [.new])
        let master = try pair.master.directClient()
        let before = try master.stat("/pt/to").modificationTime
        sleep(1)  // stat has whole seconds: a second later, the move's times differ from the creation's
        try client.mv("/pt/from/f", to: "/pt/to/f")
        let times = { (c: XRootDClient, path: String) throws -> [Int64] in
            let s = try c.stat(path)
            return [s.modificationTime, s.extended?.changeTime ?? -1]
        }
        let expected = try ["/pt/from", "/pt/to"].map { try times(master, $0) }
        #expect(expected[1][0] > before, "the move set the target directory's mtime")
        #expect(expected[0] == expected[1], "both parents got the move's time")
        #expect(PairFixture.eventually {
            let slave = try pair.slave.directClient()
            return try ["/pt/from", "/pt/to"].map { try times(slave, $0) } == expected
        })
    }
}
