import Changelog
import Glibc
import Testing
@testable import Namespace

/// Renaming onto an existing entry as rename(2): a file replaces a file, a directory an empty
/// directory, in one block of the log; the same result after a reboot (replay), a compaction and on a
/// replica fed the master's bytes.
@Suite struct RenameOverTests {
    @Test func fileReplacesFileAndDirectoryReplacesEmptyDirectory() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var ns = try Namespace.boot(directory.configuration())
        try ns.createContainer("/d/full/x", missingParents: .create)
        try ns.createContainer("/d/empty")
        try ns.createContainer("/d/moving/child", missingParents: .create)
        let temporary = try ns.createFile("/d/file.tmp")
        try ns.setXattr(temporary, key: "user.v", value: "new")
        let old = try ns.createFile("/d/file")
        try ns.setXattr(old, key: "user.v", value: "old")
        _ = try ns.createFile("/d/other")

        // The refusals change nothing.
        let before = try ns.snapshot()
        #expect(errnoOf { try ns.rename("/d/file", to: "/d/empty") } == EISDIR)
        #expect(errnoOf { try ns.rename("/d/empty", to: "/d/file") } == ENOTDIR)
        #expect(errnoOf { try ns.rename("/d/moving", to: "/d/full") } == ENOTEMPTY)
        #expect(errnoOf { try ns.rename("/d", to: "/d/empty") } == EINVAL)
        #expect(try ns.snapshot() == before)

        let filesRecords = ns.changelog(.files)!.lastSequence
        try ns.rename("/d/file.tmp", to: "/d/file")
        #expect(ns.changelog(.files)!.lastSequence == filesRecords.next.next, "the delete and the move: two records in one block")
        #expect(try ns.fileID(at: "/d/file") == temporary)
        #expect(ns.file(old) == nil, "the replaced file is gone")
        #expect(ns.file(temporary)?.xattrs == ["user.v": "new"])
        #expect(errnoOf { _ = try ns.stat("/d/file.tmp") } == ENOENT)

        let emptyID = try ns.containerID(at: "/d/empty")
        try ns.rename("/d/moving", to: "/d/empty")
        #expect(ns.container(emptyID) == nil)
        #expect(try ns.list("/d/empty").map(\.name) == ["child"])
        #expect(try ns.list("/d").map(\.name).sorted() == ["empty", "file", "full", "other"])

        let after = try ns.snapshot()
        ns.close()
        ns = try Namespace.boot(directory.configuration())
        #expect(try ns.snapshot() == after, "replay gives the same tree")
        #expect(ns.file(old) == nil)
        _ = try ns.compact(.all)
        ns.close()
        ns = try Namespace.boot(directory.configuration())
        defer { ns.close() }
        #expect(try ns.snapshot() == after, "compaction keeps the same tree")
    }

    @Test func aReplicaAppliesTheReplacement() throws {
        let pair = try ReplicaTests.Pair()
        defer { pair.close() }
        try pair.master.createContainer("/r/a/sub", missingParents: .create)
        try pair.master.createContainer("/r/b")
        _ = try pair.master.createFile("/r/f")
        _ = try pair.master.createFile("/r/g")
        try pair.shipAll()
        try pair.master.rename("/r/g", to: "/r/f")
        try pair.master.rename("/r/a", to: "/r/b")
        // The files log first (the directories' move arrives later), then the other order on the next round.
        try pair.ship(.files)
        try pair.ship(.directories)
        #expect(try pair.replica.snapshot() == pair.master.snapshot())
        try pair.master.createFile("/r/h")
        try pair.master.rename("/r/h", to: "/r/f")
        try pair.master.createContainer("/r/c")
        try pair.master.rename("/r/c", to: "/r/b/sub")
        try pair.ship(.directories)
        try pair.ship(.files)
        #expect(try pair.replica.snapshot() == pair.master.snapshot())
        #expect(pair.replica.replicaStatus.pendingFiles == 0 && pair.replica.replicaStatus.pendingContainers == 0)
    }
}
