import Changelog
import Glibc
import Testing
@testable import Namespace
import Platform

/// Namespace checkpoints (docs/CHECKPOINT.md): a boot through a checkpoint and the records after it
/// ends with exactly the namespace a full replay of the logs gives, entry by entry; a damaged,
/// truncated, foreign or stale checkpoint, or one cut short while written, is refused in one line and
/// the boot replays the logs in full.
@Suite struct CheckpointTests {
    /// Everything the namespace shows: every id's metadata (detached files included), every path,
    /// every listing, and the next ids.
    struct FullState: Equatable {
        var files: [UInt64: FileMetadata] = [:]
        var containers: [UInt64: ContainerMetadata] = [:]
        var paths: [String: String] = [:]
        var listings: [String: [DirectoryEntry]] = [:]
        var nextFile: UInt64 = 0
        var nextContainer: UInt64 = 0
    }

    static func fullState(_ ns: Namespace) throws -> FullState {
        var s = FullState()
        s.nextFile = ns.nextFileID.rawValue
        s.nextContainer = ns.nextContainerID.rawValue
        for id in 1..<s.nextFile {
            if let f = ns.file(FileID(id)) { s.files[id] = f; s.paths["f\(id)"] = ns.path(of: FileID(id)) ?? "detached" }
        }
        for id in 1..<s.nextContainer {
            if let c = ns.container(ContainerID(id)) {
                s.containers[id] = c
                let path = ns.path(of: ContainerID(id)) ?? "unattached"
                s.paths["c\(id)"] = path
                s.listings[path] = try ns.list(ContainerID(id))
            }
        }
        return s
    }

    /// Random mutations: creates (files, directories, symbolic links), sizes, modes, attributes,
    /// locations, renames and moves (files and directories, over existing names too), unlinks,
    /// removals; times now or explicit, so parent times move.
    static func churn(_ ns: Namespace, _ g: inout SeededGenerator, steps: Int) {
        let names = ["a", "b", "c", "d", "e"]
        func path(_ g: inout SeededGenerator) -> String {
            "/" + (0..<Int.random(in: 1...3, using: &g)).map { _ in names.randomElement(using: &g)! }.joined(separator: "/")
        }
        for _ in 0..<steps {
            let p = path(&g)
            let attributes = Bool.random(using: &g) ? CreationAttributes(uid: 3, gid: 4)
                : CreationAttributes(uid: 5, gid: 6, time: Timestamp(seconds: Int64.random(in: 1_600_000_000...1_800_000_000, using: &g)))
            switch Int.random(in: 0..<14, using: &g) {
            case 0, 1: _ = try? ns.createFile(p, attributes: attributes)
            case 2: _ = try? ns.createContainer(p, attributes: attributes, missingParents: .create)
            case 3: _ = try? ns.createSymlink(p, target: "/t/\(Int.random(in: 0..<9, using: &g))", attributes: attributes)
            case 4: try? ns.rename(p, to: path(&g))
            case 5: try? ns.removeFile(p)
            case 6: try? ns.removeContainer(p)
            case 7: _ = try? ns.unlink(p)
            default:
                guard let id = try? ns.fileID(at: p) else {
                    _ = try? ns.changeAttributes(p, ctime: Timestamp.now()) { x -> (Void, Bool) in
                        x["user.dir"] = String(Int.random(in: 0..<99, using: &g))
                        return ((), true)
                    }
                    continue
                }
                switch Int.random(in: 0..<5, using: &g) {
                case 0: try? ns.setSize(id, UInt64.random(in: 0...1 << 40, using: &g))
                case 1: try? ns.setXattr(id, key: "user.k\(Int.random(in: 0..<3, using: &g))", value: "v\(Int.random(in: 0..<99, using: &g))")
                case 2: try? ns.addLocation(UInt32.random(in: 1...5, using: &g), to: id)
                case 3: try? ns.setMode(id, 0o100600 | UInt32.random(in: 0...0o77, using: &g))
                default: try? ns.removeXattr(id, key: "user.k0")
                }
            }
        }
    }

    /// A churned, compacted (so checkpointed) and churned again namespace, closed; its state.
    static func prepared(_ dir: TemporaryDirectory, seed: UInt64, type: CompactionType = .all) throws -> FullState {
        var g = SeededGenerator(seed: seed)
        let ns = try Namespace.boot(dir.configuration())
        churn(ns, &g, steps: 600)
        try ns.compact(type)
        #expect(ns.masterLog.lines.contains { $0.message.contains("checkpoint written") })
        churn(ns, &g, steps: 300)
        let state = try fullState(ns)
        ns.close()
        #expect(CheckpointFile.list(in: dir.path).count == 1)
        return state
    }

    /// The state a full replay of `dir`'s logs gives (checkpoints moved aside for the boot).
    static func fullReplay(_ dir: TemporaryDirectory) throws -> FullState {
        let aside = dir.path + "/aside"
        try FileSystem.createDirectory(aside)
        defer {
            for name in FileSystem.list(aside) { try? FileSystem.rename(aside + "/" + name, to: dir.path + "/" + name) }
            rmdir(aside)
        }
        for path in CheckpointFile.list(in: dir.path) {
            try FileSystem.rename(path, to: aside + "/" + String(path.split(separator: "/").last!))
        }
        let ns = try Namespace.boot(dir.configuration())
        defer { ns.close() }
        #expect(ns.bootReport.checkpointPath == nil)
        return try fullState(ns)
    }

    /// Boots `dir`; returns the state and whether the checkpoint was used.
    static func boot(_ dir: TemporaryDirectory) throws -> (FullState, Bool, [String]) {
        let ns = try Namespace.boot(dir.configuration())
        defer { ns.close() }
        let lines = ns.masterLog.lines.map(\.message).filter { $0.hasPrefix("boot: ") && $0.contains("checkpoint") }
        return (try fullState(ns), ns.bootReport.checkpointPath != nil, lines)
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func checkpointBootEqualsFullReplay(seed: UInt64) throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let live = try Self.prepared(dir, seed: seed, type: seed == 3 ? .files : .all)
        let (booted, used, lines) = try Self.boot(dir)
        #expect(used, "the checkpoint was not used: \(lines)")
        #expect(lines.count == 1 && lines[0].hasPrefix("boot: loaded checkpoint"))
        #expect(booted == live)
        #expect(try Self.fullReplay(dir) == live)
        // Mutations after a checkpoint boot land where a full replay finds them.
        var g = SeededGenerator(seed: seed + 100)
        let ns = try Namespace.boot(dir.configuration())
        Self.churn(ns, &g, steps: 200)
        let after = try Self.fullState(ns)
        ns.close()
        #expect(try Self.boot(dir).0 == after)
        #expect(try Self.fullReplay(dir) == after)
    }

    /// Damage that must send boot to the full replay.
    enum Damage: Sendable, CustomTestStringConvertible {
        case truncate(fraction: Double)
        case flip(section: UInt32)
        case flipHeader
        var testDescription: String {
            switch self {
            case .truncate(let f): "truncated to \(f)"
            case .flip(let s): "bit flipped in section \(CheckpointSection(rawValue: s)!.name)"
            case .flipHeader: "bit flipped in the header"
            }
        }
    }

    static let damages: [Damage] = [.truncate(fraction: 0), .truncate(fraction: 0.01), .truncate(fraction: 0.5),
                                    .truncate(fraction: 0.999), .flipHeader]
        + CheckpointSection.allCases.map { .flip(section: $0.rawValue) }

    @Test(arguments: damages)
    func damagedCheckpointFallsBackToFullReplay(_ damage: Damage) throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let live = try Self.prepared(dir, seed: 11)
        let path = try #require(CheckpointFile.list(in: dir.path).first)
        let file = try SystemFile.open(path, access: .readWrite, creation: .openExisting)
        let size = try file.size()
        switch damage {
        case .truncate(let fraction):
            try file.truncate(to: UInt64(Double(size) * fraction))
        case .flipHeader:
            try Self.flip(file, at: 40)
        case .flip(let kind):
            let header = try CheckpointFile.open(path).header
            let e = try #require(header.sections.first { $0.kind.rawValue == kind })
            if e.length == 0 { return } // an empty section has no bit to flip
            try Self.flip(file, at: e.offset + e.length / 2)
        }
        let (booted, used, lines) = try Self.boot(dir)
        #expect(!used)
        #expect(lines.count == 1 && lines[0].contains("checkpoint not used") && lines[0].contains("full replay"), "\(lines)")
        #expect(booted == live)
    }

    static func flip(_ file: SystemFile, at offset: UInt64) throws {
        var byte = try file.read(count: 1, at: offset)
        byte[0] ^= 0x10
        try file.write(byte, at: offset)
    }

    @Test func checkpointOfAnotherDirectoryIsRefused() throws {
        let dir = TemporaryDirectory(), other = TemporaryDirectory()
        defer { dir.remove(); other.remove() }
        let live = try Self.prepared(dir, seed: 21)
        _ = try Self.prepared(other, seed: 21) // the same operations: only the logs' identities differ
        for path in CheckpointFile.list(in: dir.path) { try FileSystem.remove(path) }
        let foreign = try #require(CheckpointFile.list(in: other.path).first)
        let copy = try SystemFile.open(dir.path + "/" + String(foreign.split(separator: "/").last!), access: .readWrite, creation: .createNew)
        try copy.write(try SystemFile.open(foreign, access: .readOnly, creation: .openExisting).read(count: Int(FileSystem.size(foreign)!), at: 0), at: 0)
        let (booted, used, lines) = try Self.boot(dir)
        #expect(!used)
        #expect(lines.count == 1 && lines[0].contains("the checkpoint covers log"), "\(lines)")
        #expect(booted == live)
    }

    @Test func checkpointOlderThanTheLogsCompactionIsRefused() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        _ = try Self.prepared(dir, seed: 31)
        let ns = try Namespace.boot(dir.configuration())
        var g = SeededGenerator(seed: 32)
        Self.churn(ns, &g, steps: 200)
        try ns.compact(.files)
        Self.churn(ns, &g, steps: 50)
        let live = try Self.fullState(ns)
        ns.close()
        let both = CheckpointFile.list(in: dir.path)
        #expect(both.count == 2)
        try FileSystem.remove(both[0]) // the newest: the older one covers the files log before this compaction
        let (booted, used, lines) = try Self.boot(dir)
        #expect(!used)
        #expect(lines.count == 1 && lines[0].contains("the checkpoint covers log"), "\(lines)")
        #expect(booted == live)
    }

    @Test func logCutBeforeTheCheckpointIsRefused() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        _ = try Self.prepared(dir, seed: 41)
        let header = try CheckpointFile.open(try #require(CheckpointFile.list(in: dir.path).first)).header
        // A repair that cut the log inside what the checkpoint covers.
        let log = try SystemFile.open(dir.path + "/directories.mdlog", access: .readWrite, creation: .openExisting)
        try log.truncate(to: header.directories.end.rawValue - 1)
        let (booted, used, lines) = try Self.boot(dir)
        #expect(!used)
        #expect(lines.count == 1 && lines[0].contains("full replay"), "\(lines)")
        #expect(booted == (try Self.fullReplay(dir)))
    }

    @Test func unfinishedCheckpointIsRemovedAndIgnored() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let live = try Self.prepared(dir, seed: 51)
        let path = try #require(CheckpointFile.list(in: dir.path).first)
        let bytes = try SystemFile.open(path, access: .readOnly, creation: .openExisting).read(count: 5000, at: 0)
        let tmp = try SystemFile.open(dir.path + "/" + CheckpointFile.temporaryName, access: .readWrite, creation: .createNew)
        try tmp.write(bytes, at: 0)
        let ns = try Namespace.boot(dir.configuration())
        #expect(ns.bootReport.checkpointPath == path)
        #expect(ns.bootReport.compactionRecovery.contains { $0.contains("unfinished checkpoint") })
        #expect(!FileSystem.exists(dir.path + "/" + CheckpointFile.temporaryName))
        #expect(try Self.fullState(ns) == live)
        ns.close()
    }

    /// Every system call of a checkpoint write fails in turn (the log syncs before it, the temporary
    /// file's open, writes, truncate and sync, the rename, the directory sync): the write fails with a
    /// typed error, leaves no temporary file, keeps the previous checkpoint, and the next boot gives
    /// the namespace a full replay gives.
    @Test(arguments: [FaultInjection.Operation.open, .write, .truncate, .sync, .rename])
    func failureAtEveryStepOfTheWrite(_ operation: FaultInjection.Operation) throws {
        let dir = TemporaryDirectory()
        defer {
            FaultInjection.clear(under: dir.path)
            dir.remove()
        }
        _ = try Self.prepared(dir, seed: 61)
        let previous = CheckpointFile.list(in: dir.path)
        var nth = 1
        while nth < 64 {
            let ns = try Namespace.boot(dir.configuration())
            var g = SeededGenerator(seed: 62 + UInt64(nth))
            Self.churn(ns, &g, steps: 20)
            let live = try Self.fullState(ns)
            FaultInjection.install(.init(operation, nth: nth, fault: .error(EIO)), under: dir.path)
            let failed: Bool
            do { _ = try ns.writeCheckpoint(); failed = false } catch { failed = true }
            let fired = FaultInjection.clear(under: dir.path)
            ns.close()
            #expect(failed == (fired > 0), "\(operation) #\(nth): fired \(fired), failed \(failed)")
            #expect(!FileSystem.exists(dir.path + "/" + CheckpointFile.temporaryName))
            if failed { #expect(CheckpointFile.list(in: dir.path) == previous) }
            let (booted, _, _) = try Self.boot(dir)
            #expect(booted == live, "\(operation) #\(nth)")
            #expect(try Self.fullReplay(dir) == live)
            if fired == 0 { break }
            // A successful write replaced what the next round expects as the previous checkpoints.
            nth += 1
        }
        #expect(nth > 1, "no \(operation) happened during a checkpoint write")
    }

    /// `beryl log compact --data DIR` (`Namespace.compactOffline`) ends like an online compaction:
    /// a checkpoint of the compacted logs, which the next boot loads. A failure at every rename or
    /// sync of the run (the logs' swaps and the checkpoint's write) leaves no temporary file, and
    /// the next boot gives the namespace a full replay gives.
    @Test(arguments: [FaultInjection.Operation.rename, .sync])
    func offlineCompactionWritesACheckpoint(_ operation: FaultInjection.Operation) throws {
        let dir = TemporaryDirectory()
        defer {
            FaultInjection.clear(under: dir.path)
            dir.remove()
        }
        var g = SeededGenerator(seed: 71)
        var nth = 1
        var written = 0
        while nth < 64 {
            let ns = try Namespace.boot(dir.configuration())
            Self.churn(ns, &g, steps: 150)
            let live = try Self.fullState(ns)
            ns.close()
            for path in CheckpointFile.list(in: dir.path) { try FileSystem.remove(path) }
            FaultInjection.install(.init(operation, nth: nth, fault: .error(EIO)), under: dir.path)
            let report = try? Namespace.compactOffline(directory: dir.path, durability: .none)
            let fired = FaultInjection.clear(under: dir.path)
            #expect(!FileSystem.exists(dir.path + "/" + CheckpointFile.temporaryName))
            if let checkpoint = report?.checkpoint {
                written += 1
                #expect(CheckpointFile.list(in: dir.path) == [checkpoint])
                #expect(CheckpointFile.verify(checkpoint, logsIn: dir.path).matchesLogs)
            } else {
                #expect(fired > 0, "\(operation) #\(nth): no checkpoint without a failure: \(report?.checkpointFailure ?? "run failed")")
            }
            let (booted, used, lines) = try Self.boot(dir)
            #expect(used == (report?.checkpoint != nil), "\(operation) #\(nth): \(lines)")
            #expect(booted == live, "\(operation) #\(nth)")
            #expect(try Self.fullReplay(dir) == live)
            if fired == 0 { break }
            nth += 1
        }
        #expect(nth > 1 && written >= 1, "\(operation): \(nth) rounds, \(written) checkpoints")
    }

    /// A replica that adopts its master's compacted logs writes its own checkpoint; its reboot loads
    /// it and replays only the records shipped after it, and a promotion after that reboot serves
    /// the master's namespace.
    @Test func replicaAdoptingACompactedLogBootsFromItsCheckpoint() throws {
        let pair = try ReplicaTests.Pair()
        defer { pair.close() }
        ReplicaTests.randomWorkload(pair.master, steps: 600, seed: 71)
        try pair.shipAll()
        try pair.master.compact(.all)
        for kind in [ContentKind.directories, .files] {
            let live = pair.replica.changelog(kind)!
            let source = pair.master.changelog(kind)!
            let replacement = try Changelog.createReplica(at: live.path + ".oc", header: source.headerBytes,
                                                          configuration: pair.replicaDirectory.configuration(role: .slaveReadOnly).changelogConfiguration(kind))
            let bytes = try source.withLogBytes(from: replacement.end, to: source.end) { Array($0) }
            _ = try bytes.withUnsafeBytes { try replacement.appendVerbatim($0, at: replacement.end) }
            try pair.replica.adopt(kind, replacement: replacement, appliedThrough: live.lastSequence)
        }
        #expect(pair.replica.masterLog.lines.contains { $0.message.contains("checkpoint written") })
        ReplicaTests.randomWorkload(pair.master, steps: 100, seed: 72)
        try pair.shipAll()
        pair.replica.close()
        pair.replica = try Namespace.boot(pair.replicaDirectory.configuration(role: .slaveReadOnly))
        let report = pair.replica.bootReport
        #expect(report.checkpointPath != nil, "\(report.path)")
        #expect(report.recordsScanned <= 100 * 4, "replayed \(report.recordsScanned) records, more than the tail")
        #expect(try pair.replica.snapshot() == pair.master.snapshot())
        #expect(try Self.fullState(pair.replica) == Self.fullState(pair.master))
        try pair.replica.promote()
        _ = try pair.replica.createFile("/promoted-after-checkpoint-boot", attributes: fixedAttributes)
    }
}
