import Changelog
import Glibc
import Platform
import Testing
@testable import Namespace

/// Creating, removing or renaming an entry sets its parent directory's mtime and ctime (both parents
/// on a move), live, after a restart, after a compaction and on a replica, whichever log it reads first
/// (docs/NAMESPACE-FORMAT.md, "Parent times").
@Suite struct ParentTimesTests {
    /// The times of every container and file reachable from the root, by path.
    static func times(_ ns: Namespace) throws -> [String: [Timestamp]] {
        var out: [String: [Timestamp]] = [:]
        var stack = ["/"]
        while let dir = stack.popLast() {
            guard case .container(let c) = try ns.stat(dir) else { continue }
            out[dir] = [c.mtime, c.ctime]
            for e in try ns.list(dir) {
                let path = ReferenceModel.join(dir, e.name)
                if e.kind == .container {
                    stack.append(path)
                } else if case .file(let f) = try ns.stat(path) {
                    out[path] = [f.mtime, f.ctime]
                }
            }
        }
        return out
    }

    static func containerTimes(_ ns: Namespace, _ path: String) throws -> (mtime: Timestamp, ctime: Timestamp) {
        guard case .container(let c) = try ns.stat(path) else { throw NamespaceError.notADirectory(path) }
        return (c.mtime, c.ctime)
    }

    /// Parents made with a fixed time in 2023, so that every mutation must move them.
    static let old = CreationAttributes(time: Timestamp(seconds: 1_700_000_000))

    /// Runs `mutation` and checks that each of `parents` now has mtime == ctime, later than the fence
    /// taken before it.
    static func expectTouched(_ ns: Namespace, _ parents: [String], by name: String,
                              _ mutation: () throws -> Void) throws {
        for p in parents { #expect(try containerTimes(ns, p).ctime == old.time!, "\(name): \(p) starts old") }
        let fence = Timestamp.now()
        try mutation()
        for p in parents {
            let t = try containerTimes(ns, p)
            #expect(t.mtime == t.ctime && !(t.mtime < fence), "\(name): \(p) mtime \(t.mtime) ctime \(t.ctime) fence \(fence)")
        }
    }

    @Test func everyMutationKindSetsItsParentsLiveAfterRestartCompactionAndOnAReplica() throws {
        let pair = try ReplicaTests.Pair()
        defer { pair.close() }
        let ns = pair.master
        for d in ["mkdir", "create", "rm", "rmdir", "rename", "from", "to", "over1", "over2", "detach", "link", "keep"] {
            try ns.createContainer("/" + d, attributes: Self.old)
        }
        _ = try ns.createFile("/rm/f", attributes: Self.old)
        try ns.createContainer("/rmdir/sub", attributes: Self.old)
        _ = try ns.createFile("/rename/a", attributes: Self.old)
        _ = try ns.createFile("/from/m", attributes: Self.old)
        _ = try ns.createFile("/over1/new", attributes: Self.old)
        _ = try ns.createFile("/over2/target", attributes: Self.old)
        let detached = try ns.createFile("/detach/f", attributes: Self.old)
        try ns.addLocation(3, to: detached)
        // Children made with an old time leave their parents as they were (only a later time moves them).
        for d in ["rm", "rmdir", "rename", "from", "over1", "over2", "detach"] {
            #expect(try Self.containerTimes(ns, "/" + d).ctime == Self.old.time!)
        }
        try pair.shipAll()

        try Self.expectTouched(ns, ["/mkdir"], by: "mkdir") { try ns.createContainer("/mkdir/new") }
        try Self.expectTouched(ns, ["/create"], by: "create") { _ = try ns.createFile("/create/new") }
        try Self.expectTouched(ns, ["/rm"], by: "rm") { try ns.removeFile("/rm/f") }
        try Self.expectTouched(ns, ["/rmdir"], by: "rmdir") { try ns.removeContainer("/rmdir/sub") }
        try Self.expectTouched(ns, ["/rename"], by: "rename") { try ns.rename("/rename/a", to: "/rename/b") }
        try Self.expectTouched(ns, ["/from", "/to"], by: "move") { try ns.rename("/from/m", to: "/to/m") }
        try Self.expectTouched(ns, ["/over1", "/over2"], by: "rename-over") { try ns.rename("/over1/new", to: "/over2/target") }
        try Self.expectTouched(ns, ["/detach"], by: "unlink") {
            let outcome = try ns.unlink("/detach/f")
            #expect(outcome == .detached)
        }
        try Self.expectTouched(ns, ["/link"], by: "symlink") { _ = try ns.createSymlink("/link/s", target: "/keep") }
        // A created file's time is its parent's; a moved entry's ctime is the move's.
        guard case .file(let created) = try ns.stat("/create/new") else { throw NamespaceError.notFound("/create/new") }
        #expect(try Self.containerTimes(ns, "/create").mtime == created.ctime)
        guard case .file(let moved) = try ns.stat("/to/m") else { throw NamespaceError.notFound("/to/m") }
        #expect(try Self.containerTimes(ns, "/to").ctime == moved.ctime)
        #expect(try Self.containerTimes(ns, "/keep").ctime == Self.old.time!, "a symlink's target is not touched")
        // The root's own times moved with the first mkdirs (their time is old, so no): unchanged.
        let live = try Self.times(ns)

        // A replica, fed the files log first, then the directories log (a child's effect before
        // the record of a directory created in the same round).
        try ns.createContainer("/late", attributes: Self.old)
        _ = try ns.createFile("/late/f")
        let withLate = try Self.times(ns)
        try pair.ship(.files)
        try pair.ship(.directories)
        #expect(try Self.times(pair.replica) == withLate, "replica")

        // Restart, then compaction (it drops the deletes that carried rm's and rmdir's times).
        let directory = pair.masterDirectory
        ns.close()
        var again = try Namespace.boot(directory.configuration())
        #expect(try Self.times(again) == withLate, "after restart")
        _ = try again.compact(.all)
        #expect(try Self.times(again) == withLate, "after compaction, live")
        again.close()
        again = try Namespace.boot(directory.configuration())
        defer { again.close() }
        #expect(try Self.times(again) == withLate, "after compaction and restart")
        #expect(live.count + 2 == withLate.count)
    }

    /// A directory record written before a child's effect but read after it (the replica reads the
    /// files log first) does not undo the effect; one written after it wins.
    @Test func theLatestCtimeWinsWhicheverLogIsReadFirst() throws {
        let pair = try ReplicaTests.Pair()
        defer { pair.close() }
        let ns = pair.master
        let d = try ns.createContainer("/d", attributes: Self.old)
        try pair.shipAll()
        try ns.updateContainer(d) { $0.mode = 0o40700; $0.ctime = .now() } // chmod: a record of /d
        _ = try ns.createFile("/d/f")                                       // then the effect, later
        try pair.ship(.files)
        try pair.ship(.directories)
        #expect(try Self.times(pair.replica) == Self.times(ns))
        #expect(try Self.containerTimes(ns, "/d").mtime == (ns.stat("/d/f").fileTime))

        // A record asking for an earlier ctime does not lower it (the latest ctime wins on replay).
        let before = try Self.containerTimes(ns, "/d")
        try ns.updateContainer(d) { $0.ctime = Timestamp(seconds: 1); $0.mtime = Timestamp(seconds: 2) }
        let after = try Self.containerTimes(ns, "/d")
        #expect(after.ctime == before.ctime && after.mtime == Timestamp(seconds: 2))
        try ns.updateContainer(d) { $0.xattrs["user.a"] = "1"; $0.ctime = .now() }
        _ = try ns.createFile("/d/g")
        try ns.removeFile("/d/f")
        try pair.ship(.files)
        try pair.ship(.directories)
        #expect(try Self.times(pair.replica) == Self.times(ns))
        let expected = try Self.times(ns)
        let directory = pair.masterDirectory
        ns.close()
        let again = try Namespace.boot(directory.configuration())
        defer { again.close() }
        #expect(try Self.times(again) == expected)
    }

    /// A replica that rebooted holding a child's effect for a directory whose record it has not received
    /// keeps the effect until the record arrives.
    @Test func aRebootedReplicaKeepsAnEffectForADirectoryStillToCome() throws {
        let pair = try ReplicaTests.Pair()
        defer { pair.close() }
        try pair.shipAll()
        try pair.master.createContainer("/n", attributes: Self.old)
        _ = try pair.master.createFile("/n/f")
        try pair.ship(.files)
        pair.replica.close()
        pair.replica = try Namespace.boot(pair.replicaDirectory.configuration(role: .slaveReadOnly))
        try pair.ship(.directories)
        #expect(try Self.times(pair.replica) == Self.times(pair.master))
        #expect(try Self.containerTimes(pair.replica, "/n").ctime != Self.old.time!)
    }

    @Test func randomWorkloadsGiveTheSameTimesEverywhere() throws {
        for seed: UInt64 in [11, 12, 13] {
            let pair = try ReplicaTests.Pair()
            defer { pair.close() }
            ReplicaTests.randomWorkload(pair.master, steps: 300, seed: seed)
            // Half the rounds ship files first.
            if seed % 2 == 0 { try pair.ship(.files); try pair.ship(.directories) } else { try pair.shipAll() }
            let expected = try Self.times(pair.master)
            #expect(try Self.times(pair.replica) == expected, "replica, seed \(seed)")
            pair.master.close()
            var ns = try Namespace.boot(pair.masterDirectory.configuration())
            #expect(try Self.times(ns) == expected, "restart, seed \(seed)")
            _ = try ns.compact(.all)
            ns.close()
            ns = try Namespace.boot(pair.masterDirectory.configuration())
            #expect(try Self.times(ns) == expected, "compaction, seed \(seed)")
            ns.close()
        }
    }

    // MARK: Record versions

    @Test func versionOneRecordsStillReadAndCarryNoEffect() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let config = directory.configuration()
        // Logs written record by record in version 1, as Beryl wrote them before parent times.
        let root = ContainerMetadata(id: .root, parent: .root, name: "", ctime: Timestamp(seconds: 10), mtime: Timestamp(seconds: 10))
        let dir = ContainerMetadata(id: ContainerID(2), parent: .root, name: "d", ctime: Timestamp(seconds: 20),
                                    mtime: Timestamp(seconds: 20))
        let file = FileMetadata(id: FileID(1), container: ContainerID(2), name: "f", ctime: Timestamp(seconds: 30),
                                mtime: Timestamp(seconds: 30))
        let gone = FileMetadata(id: FileID(2), container: ContainerID(2), name: "g", ctime: Timestamp(seconds: 40),
                                mtime: Timestamp(seconds: 40))
        let dirs = try Changelog.open(at: config.directoriesLogPath, configuration: config.changelogConfiguration(.directories))
        for c in [root, dir] { _ = try dirs.append(.update, payload: try ContainerCodec.encode(c)) }
        dirs.close()
        let files = try Changelog.open(at: config.filesLogPath, configuration: config.changelogConfiguration(.files))
        for f in [file, gone] {
            let payload = try FileCodec.encode(f)
            #expect(payload[8] == 1)
            _ = try files.append(.update, payload: payload)
        }
        var delete: [UInt8] = []
        delete.appendLE(UInt64(2))
        _ = try files.append(.delete, payload: delete)
        files.close()
        let ns = try Namespace.boot(config)
        defer { ns.close() }
        let t = try Self.containerTimes(ns, "/d")
        #expect(t.mtime == Timestamp(seconds: 20) && t.ctime == Timestamp(seconds: 20),
                "version-1 creates and deletes carry no parent effect")
        #expect(ns.file(FileID(1))?.name == "f" && ns.file(FileID(2)) == nil)
    }

    @Test func versionTwoPayloads() throws {
        // Update: version byte 2, the v1 layout, then previous parent and flags; decodes to the same metadata.
        let f = FileMetadata(id: FileID(9), container: ContainerID(4), name: "x", ctime: Timestamp(seconds: 5, nanoseconds: 6),
                             mtime: Timestamp(seconds: 7), xattrs: ["user.a": "b"])
        var payload = try FileCodec.encode(f)
        ParentTimes.markUpdate(&payload, linked: true, unlinkedFrom: 3)
        #expect(payload[8] == 2)
        #expect(try FileCodec.decode(payload) == f)
        let effect = payload.withUnsafeBytes { ParentTimes.effect(ofUpdate: $0) }
        #expect(effect == ParentEffect(linkedTo: 4, unlinkedFrom: 3, time: Timestamp(seconds: 5, nanoseconds: 6)))
        var badFlags = payload
        badFlags[badFlags.count - 1] = 2
        #expect(throws: CodecError.self) { try FileCodec.decode(badFlags) }
        #expect(throws: CodecError.self) { try FileCodec.decode(Array(payload.dropLast())) }
        let c = ContainerMetadata(id: ContainerID(4), parent: .root, name: "d", ctime: Timestamp(seconds: 8), mtime: Timestamp(seconds: 8))
        var cp = try ContainerCodec.encode(c)
        ParentTimes.markUpdate(&cp, linked: true, unlinkedFrom: 0)
        #expect(try ContainerCodec.decode(cp) == c)
        #expect(cp.withUnsafeBytes { ParentTimes.effect(ofUpdate: $0) } == ParentEffect(linkedTo: 1, unlinkedFrom: 0,
                                                                                          time: Timestamp(seconds: 8)))

        // Delete: 8 bytes (version 1, no effect) or 29 (version 2); anything else is refused.
        var d: [UInt8] = []
        ParentTimes.appendDelete(id: 9, parent: 0, time: Timestamp(seconds: 1), to: &d)
        #expect(d.count == 8)
        #expect(try d.withUnsafeBytes { try ParentTimes.effect(ofDelete: $0) } == nil)
        d.removeAll()
        ParentTimes.appendDelete(id: 9, parent: 4, time: Timestamp(seconds: 1, nanoseconds: 2), to: &d)
        #expect(d.count == ParentTimes.deleteSize)
        #expect(try d.withUnsafeBytes { try ParentTimes.effect(ofDelete: $0) }
                == ParentEffect(linkedTo: 0, unlinkedFrom: 4, time: Timestamp(seconds: 1, nanoseconds: 2)))
        for bad in [Array(d.prefix(20)), d + [0], Array(d.prefix(9)), { var x = d; x[8] = 3; return x }()] {
            #expect(throws: CodecError.self) { try bad.withUnsafeBytes { try ParentTimes.effect(ofDelete: $0) } }
        }
    }
}

extension NamespaceEntry {
    /// A file's ctime (the root's for a container), for the checks above.
    var fileTime: Timestamp {
        switch self {
        case .file(let f): f.ctime
        case .container(let c): c.ctime
        }
    }
}
