import Changelog
import Testing
@testable import Namespace

/// Logs written by hand with the codecs: missing parents, duplicate names and a parent cycle
/// are re-attached under /lost+found, in memory only when read-only, persisted when read-write.
@Suite struct BootRepairTests {
    static func container(_ id: UInt64, parent: UInt64, _ name: String) throws -> [UInt8] {
        try ContainerCodec.encode(ContainerMetadata(id: ContainerID(id), parent: ContainerID(parent), name: name,
                                                    ctime: fixedTime, mtime: fixedTime))
    }

    static func file(_ id: UInt64, in container: UInt64, _ name: String, locations: [UInt32] = []) throws -> [UInt8] {
        try FileCodec.encode(FileMetadata(id: FileID(id), container: ContainerID(container), name: name, ctime: fixedTime,
                                          mtime: fixedTime, locations: locations))
    }

    static func writeBrokenLogs(_ dir: TemporaryDirectory) throws {
        let config = dir.configuration()
        let dirs = try Changelog.open(at: config.directoriesLogPath, configuration: config.changelogConfiguration(.directories))
        try dirs.append(.update, payload: try container(1, parent: 1, ""))
        try dirs.append(.update, payload: try container(2, parent: 1, "a"))
        try dirs.append(.update, payload: try container(3, parent: 99, "x"))      // orphan
        try dirs.append(.update, payload: try container(4, parent: 1, "a"))       // name conflict with 2
        try dirs.append(.update, payload: try container(5, parent: 6, "loop5"))   // cycle 5 <-> 6
        try dirs.append(.update, payload: try container(6, parent: 5, "loop6"))
        try dirs.append(.update, payload: try container(7, parent: 1, "gone"))
        try dirs.append(.delete, payload: withUnsafeBytes(of: UInt64(7).littleEndian) { Array($0) })
        let files = try Changelog.open(at: config.filesLogPath, configuration: config.changelogConfiguration(.files))
        try files.append(.update, payload: try file(1, in: 2, "f"))
        try files.append(.update, payload: try file(2, in: 2, "f"))               // name conflict with file 1
        try files.append(.update, payload: try file(3, in: 77, "lost"))           // orphan
        try files.append(.update, payload: try file(4, in: 0, "detached", locations: [5]))
        try files.append(.update, payload: try file(5, in: 1, "a"))               // clashes with container "a"
        try files.append(.update, payload: try file(6, in: 4, "inside"))          // follows its moved parent
        dirs.close()
        files.close()
    }

    static let expectedPaths: [String: String] = [
        "container 2": "/a",
        "container 3": "/lost+found/orphans/99/x.3",
        "container 4": "/lost+found/name_conflicts/1/a.4",
        "file 1": "/a/f",
        "file 2": "/lost+found/name_conflicts/2/f.2",
        "file 3": "/lost+found/orphans/77/lost.3",
        "file 5": "/lost+found/name_conflicts/1/a.5",
        "file 6": "/lost+found/name_conflicts/1/a.4/inside",
    ]

    static func check(_ ns: Namespace) {
        for (key, path) in expectedPaths {
            let parts = key.split(separator: " ")
            let id = UInt64(parts[1])!
            let actual = parts[0] == "file" ? ns.path(of: FileID(id)) : ns.path(of: ContainerID(id))
            #expect(actual == path, "\(key)")
        }
        // Exactly one of the two looping containers was cut loose; both are reachable now.
        let loops = [ns.path(of: ContainerID(5)), ns.path(of: ContainerID(6))]
        #expect(loops.allSatisfy { $0?.hasPrefix("/lost+found/orphans/") == true }, "\(loops)")
        #expect(ns.file(FileID(4))?.isDetached == true)
        #expect(ns.fileCount == 6)
        #expect(ns.container(ContainerID(7)) == nil)
        #expect(ns.nextContainerID.rawValue > 7)
    }

    @Test func readOnlyRepairsInMemoryOnly() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try Self.writeBrokenLogs(dir)
        let sizes = dir.logSizes
        let ns = try Namespace.boot(dir.configuration(role: .masterReadOnly))
        Self.check(ns)
        let report = ns.bootReport
        #expect(!report.repairsPersisted)
        #expect(report.repairs.filter { $0.reason == .orphan }.count == 3)
        #expect(report.repairs.filter { $0.reason == .nameConflict }.count == 3)
        #expect(report.fileRecords == 6 && report.containerRecords == 8)
        #expect(dir.logSizes == sizes)
    }

    @Test func readWriteRepairsPersist() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try Self.writeBrokenLogs(dir)
        var ns = try Namespace.boot(dir.configuration())
        Self.check(ns)
        #expect(ns.bootReport.repairsPersisted)
        #expect(ns.bootReport.repairs.count == 6)
        let before = try ns.snapshot()
        ns.close()
        ns = try Namespace.boot(dir.configuration())
        #expect(ns.bootReport.repairs.isEmpty)
        Self.check(ns)
        #expect(try ns.snapshot() == before)
    }

    @Test func undecodableRecordFailsBoot() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let config = dir.configuration()
        do {
            let files = try Changelog.open(at: config.filesLogPath, configuration: config.changelogConfiguration(.files))
            var bad = try Self.file(1, in: 1, "f")
            bad[8] = 9
            try files.append(.update, payload: bad)
        }
        let ns = Namespace(config)
        #expect(errnoOf { try ns.boot() } == 5)
        #expect(ns.bootState == .failed)
    }
}
