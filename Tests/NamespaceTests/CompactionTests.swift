import Changelog
import Glibc
import Synchronization
import Testing
@testable import Namespace
import Platform

/// Online compaction through the namespace: the namespace and its reboot are unchanged, the
/// logs shrink, the status line and master log say what happened.
@Suite struct CompactionTests {
    /// A namespace with many superseded records: 200 files, each updated 20 times.
    static func populated(_ dir: TemporaryDirectory) throws -> Namespace {
        let ns = try Namespace.boot(dir.configuration())
        try ns.createContainer("/a/b", attributes: fixedAttributes, missingParents: .create)
        for i in 0..<200 {
            let id = try ns.createFile("/a/b/f\(i)", attributes: fixedAttributes)
            for s in 0..<20 { try ns.setSize(id, UInt64(s * 1000 + i)) }
        }
        for i in 0..<20 { try ns.createContainer("/c\(i)", attributes: fixedAttributes) }
        for i in 0..<20 { try ns.updateContainer(try ns.containerID(at: "/c\(i % 5)")) { $0.mode = 0o40700 | UInt32(i % 8) } }
        return ns
    }

    @Test func compactAllKeepsTheNamespace() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var ns = try Self.populated(dir)
        let before = try ns.snapshot()
        let filesBefore = try #require(ns.filesLog).end, dirsBefore = try #require(ns.directoriesLog).end
        let report = try ns.compact(.all)
        #expect(try ns.snapshot() == before)
        let filesAfter = try #require(ns.filesLog).end, dirsAfter = try #require(ns.directoriesLog).end
        #expect(filesAfter.rawValue < filesBefore.rawValue / 4 && dirsAfter < dirsBefore)
        #expect((report.figures[.files]?.ratio ?? 0) > 4)
        let status = ns.compactionStatus
        #expect(status.state == .off && status.completedRuns == 1 && status.filesRatio > 4 && status.directoriesRatio > 1)
        let line = ns.statistics().formatted().split(separator: "\n").first { $0.hasPrefix("ALL      Compactification") }
        #expect(line?.contains("status=off waitstart=0 interval=0 ratio-file=") == true, "\(String(describing: line))")
        // One line per phase (prepare, compacting, commit) and one with the figures.
        let lines = ns.masterLog.lines(containing: "compaction all of the files log").map(\.message)
        #expect(lines.count == 4, "\(lines)")
        #expect(lines.last?.contains("ratio") == true && lines.last?.contains("done elapsed=") == true, "\(lines)")
        #expect(ns.bootState == .booted)
        #expect(!FileSystem.exists(dir.path + "/files.mdlog.oc"))

        // Mutations go to the new log; a later run (archives are named by unix second) keeps one archive.
        try ns.createFile("/a/b/after", attributes: fixedAttributes)
        sleep(1)
        try ns.compact(.files, options: CompactionOptions(keepArchives: 1))
        #expect(FileSystem.list(dir.path).filter { $0.hasPrefix("files.mdlog.") }.count == 1)
        let after = try ns.snapshot()
        ns.close()
        ns = try Namespace.boot(dir.configuration())
        #expect(try ns.snapshot() == after)
        #expect(ns.bootReport.compactionRecovery.isEmpty)
    }

    @Test func refusedWhenNotMasterOrBusy() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let ns = try Namespace.boot(dir.configuration())
        ns.role = .slaveReadOnly
        #expect(errnoOf { try ns.compact(.files) } == EROFS)
        ns.role = .masterReadOnly
        #expect(errnoOf { try ns.compact(.files) } == EROFS)
        ns.role = .masterReadWrite
        // Held (`ns master` step 1): no compaction while mutations still go on.
        ns.compactionHeld = true
        #expect(errnoOf { try ns.compact(.files) } == EROFS)
        _ = try ns.createContainer("/held", missingParents: .fail)
        ns.compactionHeld = false
        let inside = Mutex<(Int32?, BootState?, String)>((nil, nil, ""))
        try ns.compact(.files, options: CompactionOptions(observer: { _, phase in
            guard phase == .copy else { return }
            let busy = errnoOf { try ns.compact(.directories) }
            inside.withLock { $0 = (busy, ns.bootState, ns.statistics().formatted()) }
        }))
        let (busy, state, text) = inside.withLock { $0 }
        #expect(busy == EBUSY)
        #expect(state == .compacting)
        #expect(text.contains("[compacting]") && text.contains("status=compacting"))
        #expect(ns.bootState == .booted)
    }

    /// A writer (creates, mkdir, renames, removes, updates) and two readers run while the logs
    /// are compacted again and again; afterwards the namespace equals the writer's reference
    /// model, and so does a reboot from disk.
    @Test func concurrentWriterAndReaders() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var ns = try Self.populated(dir)
        var start = ReferenceModel()
        start.entries = try ns.snapshot()
        let initial = start
        let stop = Atomic<Bool>(false)
        let shared = ns
        let writer = BackgroundThread.startOrRunInline { () -> (ReferenceModel, [String], Int) in
            var g = SeededGenerator(seed: 99)
            var model = initial
            var moved = 0, steps = 0
            var problems: [String] = []
            while !stop.load(ordering: .relaxed) || steps < 2_000 {
                if let p = RandomOperationTests.step(&g, shared, &model, &moved) { problems.append(p) }
                steps += 1
            }
            return (model, problems, steps)
        }
        let readers = (0..<2).map { r in
            BackgroundThread.startOrRunInline { () -> Int in
                var lookups = 0
                while !stop.load(ordering: .relaxed) {
                    _ = try? shared.stat("/a/b/f\(lookups % 200)")
                    _ = try? shared.list(r == 0 ? "/a/b" : "/")
                    _ = shared.statistics()
                    lookups += 1
                }
                return lookups
            }
        }
        var runs = 0
        for i in 0..<8 {
            try ns.compact(i % 3 == 0 ? .all : (i % 3 == 1 ? .files : .directories))
            runs += 1
        }
        stop.store(true, ordering: .relaxed)
        let (model, problems, steps) = writer.join()
        let lookups = readers.map { $0.join() }
        #expect(problems.isEmpty, "\(problems.prefix(3))")
        #expect(runs == 8 && steps >= 2_000 && lookups.allSatisfy { $0 > 0 })
        #expect(try ns.snapshot() == model.entries)
        ns.close()
        ns = try Namespace.boot(dir.configuration())
        #expect(try ns.snapshot() == model.entries)
    }
}
