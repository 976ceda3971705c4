import Changelog
import Glibc
import Testing
@testable import Namespace

/// A replica fed with a master's log bytes (in order, out of order across the two logs, in
/// chunks, corrupted, across a compaction) must show exactly the master's namespace.
@Suite struct ReplicaTests {
    /// A master namespace and a replica whose logs start as copies of the master's headers.
    final class Pair {
        let masterDirectory = TemporaryDirectory()
        let replicaDirectory = TemporaryDirectory()
        let master: Namespace
        var replica: Namespace

        init() throws {
            master = try Namespace.boot(masterDirectory.configuration())
            try Self.seedReplica(from: master, in: replicaDirectory)
            replica = try Namespace.boot(replicaDirectory.configuration(role: .slaveReadOnly))
        }

        static func seedReplica(from master: Namespace, in directory: TemporaryDirectory) throws {
            let config = directory.configuration(role: .slaveReadOnly)
            for kind in [ContentKind.files, .directories] {
                let path = kind == .files ? config.filesLogPath : config.directoriesLogPath
                let log = try Changelog.createReplica(at: path, header: master.changelog(kind)!.headerBytes,
                                                      configuration: config.changelogConfiguration(kind))
                log.close()
            }
        }

        /// Ships what the master has and the replica lacks, for one log.
        func ship(_ kind: ContentKind, chunkRecords: Int? = nil) throws {
            let source = master.changelog(kind)!
            let target = replica.changelog(kind)!
            let bytes = try source.withLogBytes(from: target.end, to: source.end) { Array($0) }
            guard !bytes.isEmpty else { return }
            _ = try bytes.withUnsafeBytes { try replica.receive(kind, bytes: $0, at: target.end) }
        }

        func shipAll() throws {
            try ship(.directories)
            try ship(.files)
        }

        func close() {
            master.close()
            replica.close()
            masterDirectory.remove()
            replicaDirectory.remove()
        }
    }

    static func randomWorkload(_ ns: Namespace, steps: Int, seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        var model = ReferenceModel()
        if let snapshot = try? ns.snapshot() { model.entries = snapshot }
        var moved = 0
        for _ in 0..<steps { _ = RandomOperationTests.step(&g, ns, &model, &moved) }
    }

    @Test func replicaConvergesInOrderAndIncrementally() throws {
        let pair = try Pair()
        defer { pair.close() }
        for round in 0..<5 {
            Self.randomWorkload(pair.master, steps: 300, seed: UInt64(round + 1))
            try pair.shipAll()
            #expect(try pair.replica.snapshot() == pair.master.snapshot(), "round \(round)")
            #expect(pair.replica.replicaStatus.pendingFiles == 0)
        }
        #expect(pair.replica.isReadOnly)
        #expect(errnoOf { try pair.replica.createFile("/nope") } == EROFS)
        // A namespace booted as a read-only master opens its logs read-only: no role makes it a
        // replica or a writer.
        let readOnly = try Namespace.boot(pair.masterDirectory.configuration(role: .masterReadOnly))
        defer { readOnly.close() }
        #expect(readOnly.role == .masterReadOnly)
        #expect(errnoOf { try readOnly.promote() } == EROFS)
        #expect(errnoOf { try readOnly.createFile("/nope") } == EROFS)
        #expect(throws: NamespaceError.self) { try Namespace.boot(pair.masterDirectory.configuration(role: .transition)) }
    }

    @Test func filesBeforeTheirDirectoriesWaitAsPending() throws {
        let pair = try Pair()
        defer { pair.close() }
        try pair.shipAll() // the root
        try pair.master.createContainer("/a/b", missingParents: .create)
        for i in 0..<10 { _ = try pair.master.createFile("/a/b/f\(i)") }
        try pair.ship(.files)
        #expect(pair.replica.replicaStatus.pendingFiles == 10)
        #expect(errnoOf { _ = try pair.replica.stat("/a/b/f0") } == ENOENT)
        try pair.ship(.directories)
        #expect(pair.replica.replicaStatus.pendingFiles == 0)
        #expect(try pair.replica.snapshot() == pair.master.snapshot())

        // A directory deleted before its files' deletes arrive: the files wait, then go.
        for i in 0..<10 { try pair.master.removeFile("/a/b/f\(i)") }
        try pair.master.removeContainer("/a/b")
        try pair.ship(.directories)
        #expect(pair.replica.replicaStatus.pendingFiles == 10)
        try pair.ship(.files)
        #expect(pair.replica.replicaStatus.pendingFiles == 0)
        #expect(try pair.replica.snapshot() == pair.master.snapshot())
    }

    /// Repeated updates make most of the arena garbage: a replica reclaims it a few rows per applied
    /// record (as a master does per mutation) and must show the same entries.
    @Test func aReplicaReclaimsItsArenaIncrementally() throws {
        let pair = try Pair()
        defer { pair.close() }
        _ = try pair.master.createContainer("/arena", missingParents: .create)
        var ids: [FileID] = []
        for i in 0..<500 { ids.append(try pair.master.createFile("/arena/file-with-a-long-name-\(i)")) }
        try pair.shipAll()
        for round in 0..<12 {
            for id in ids { try pair.master.setXattr(id, key: "user.round", value: String(repeating: "x", count: 40) + "\(round)") }
            try pair.shipAll()
        }
        #expect(pair.replica.replicatedGarbageRatio <= 0.5) // 12 rounds without compaction would leave over 90 %
        #expect(try pair.replica.snapshot() == pair.master.snapshot())
    }

    @Test func aReplicaRebootsFromItsLogs() throws {
        let pair = try Pair()
        defer { pair.close() }
        Self.randomWorkload(pair.master, steps: 400, seed: 7)
        try pair.shipAll()
        pair.replica.close()
        pair.replica = try Namespace.boot(pair.replicaDirectory.configuration(role: .slaveReadOnly))
        #expect(try pair.replica.snapshot() == pair.master.snapshot())
        Self.randomWorkload(pair.master, steps: 100, seed: 8)
        try pair.shipAll()
        #expect(try pair.replica.snapshot() == pair.master.snapshot())
    }

    @Test func corruptedBytesAreRefusedAndTheLogStaysAsItWas() throws {
        let pair = try Pair()
        defer { pair.close() }
        try pair.shipAll()
        _ = try pair.master.createContainer("/x/y", missingParents: .create)
        let source = pair.master.changelog(.directories)!
        let target = pair.replica.changelog(.directories)!
        let start = target.end
        var bytes = try source.withLogBytes(from: start, to: source.end) { Array($0) }
        for flip in [0, bytes.count / 2, bytes.count - 1] {
            var bad = bytes
            bad[flip] ^= 0x40
            #expect(throws: NamespaceError.self) {
                _ = try bad.withUnsafeBytes { try pair.replica.receive(ContentKind.directories, bytes: $0, at: start) }
            }
            #expect(target.end == start)
        }
        // Half a record is refused too: only whole records are written.
        bytes.removeLast(8)
        #expect(throws: NamespaceError.self) {
            _ = try bytes.withUnsafeBytes { try pair.replica.receive(ContentKind.directories, bytes: $0, at: start) }
        }
        try pair.ship(.directories)
        #expect(try pair.replica.snapshot() == pair.master.snapshot())
    }

    @Test(arguments: [true, false])
    func aCompactedMasterLogIsAdoptedWithoutAReboot(knownPrefix: Bool) throws {
        let pair = try Pair()
        defer { pair.close() }
        Self.randomWorkload(pair.master, steps: 600, seed: 11)
        try pair.shipAll()
        Self.randomWorkload(pair.master, steps: 200, seed: 12) // not shipped before the compaction
        if knownPrefix { try pair.shipAll() }
        try pair.master.compact(.all)
        Self.randomWorkload(pair.master, steps: 50, seed: 13)
        for kind in [ContentKind.directories, .files] {
            let live = pair.replica.changelog(kind)!
            let source = pair.master.changelog(kind)!
            #expect(source.identity != live.identity)
            let replacement = try Changelog.createReplica(at: live.path + ".oc", header: source.headerBytes,
                                                          configuration: pair.replicaDirectory.configuration(role: .slaveReadOnly).changelogConfiguration(kind))
            let bytes = try source.withLogBytes(from: replacement.end, to: source.end) { Array($0) }
            _ = try bytes.withUnsafeBytes { try replacement.appendVerbatim($0, at: replacement.end) }
            let report = try pair.replica.adopt(kind, replacement: replacement,
                                                appliedThrough: knownPrefix ? live.lastSequence : nil)
            if knownPrefix { #expect(report.removedIDs == 0 && report.missingIDs == 0) }
            #expect(pair.replica.changelog(kind)!.identity == source.identity)
        }
        #expect(try pair.replica.snapshot() == pair.master.snapshot())
        // It keeps following the new logs, and boots from them.
        Self.randomWorkload(pair.master, steps: 100, seed: 14)
        try pair.shipAll()
        #expect(try pair.replica.snapshot() == pair.master.snapshot())
        pair.replica.close()
        pair.replica = try Namespace.boot(pair.replicaDirectory.configuration(role: .slaveReadOnly))
        #expect(try pair.replica.snapshot() == pair.master.snapshot())
    }

    /// The last records before a compaction are deletes, which compaction drops: the new log's
    /// sequences must still continue above them, or a replica that had applied them would skip
    /// the records written after the compaction.
    @Test func sequencesKeepIncreasingWhenCompactionDropsTheTail() throws {
        let pair = try Pair()
        defer { pair.close() }
        for i in 0..<50 { _ = try pair.master.createContainer("/t/d\(i)", missingParents: .create) }
        for i in 0..<50 { try pair.master.removeContainer("/t/d\(i)") }
        try pair.shipAll()
        let before = pair.master.changelog(.directories)!.lastSequence
        try pair.master.compact(.all)
        #expect(pair.master.changelog(.directories)!.lastSequence > before)
        _ = try pair.master.createContainer("/t/after")
        let live = pair.replica.changelog(.directories)!
        let source = pair.master.changelog(.directories)!
        let replacement = try Changelog.createReplica(at: live.path + ".oc", header: source.headerBytes,
                                                      configuration: pair.replicaDirectory.configuration(role: .slaveReadOnly).changelogConfiguration(.directories))
        let bytes = try source.withLogBytes(from: replacement.end, to: source.end) { Array($0) }
        _ = try bytes.withUnsafeBytes { try replacement.appendVerbatim($0, at: replacement.end) }
        let report = try pair.replica.adopt(.directories, replacement: replacement, appliedThrough: live.lastSequence)
        #expect(report.missingIDs == 0 && report.removedIDs == 0)
        _ = try pair.replica.stat("/t/after")
    }

    @Test func aPromotedReplicaWritesAndADemotedMasterRefuses() throws {
        let pair = try Pair()
        defer { pair.close() }
        Self.randomWorkload(pair.master, steps: 200, seed: 21)
        try pair.shipAll()
        #expect(pair.master.role == .masterReadWrite && pair.replica.role == .slaveReadOnly)
        try pair.master.demote()
        #expect(pair.master.role == .masterReadOnly && pair.master.isReadOnly)
        #expect(errnoOf { _ = try pair.master.createFile("/after-demotion") } == EROFS)
        #expect(errnoOf { try pair.master.compact(.files) } == EROFS)
        try pair.replica.promote()
        #expect(pair.replica.role == .masterReadWrite && !pair.replica.isReadOnly)
        _ = try pair.replica.createContainer("/promoted/dir", missingParents: .create)
        pair.replica.close()
        pair.replica = try Namespace.boot(pair.replicaDirectory.configuration())
        _ = try pair.replica.stat("/promoted/dir")
    }
}
