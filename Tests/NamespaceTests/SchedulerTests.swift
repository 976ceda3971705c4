import Changelog
import Glibc
import Testing
@testable import Namespace

/// The compaction scheduler: delay, interval, off, persistence across a restart, blocked when
/// not master. Short delays and bounded waits.
@Suite struct SchedulerTests {
    /// Polls `condition` every 20 ms for at most `seconds`.
    static func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        for _ in 0..<Int(seconds * 50) {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    static func statusLine(_ ns: Namespace) -> String {
        ns.statistics().formatted().split(separator: "\n").map(String.init).first { $0.contains("Compactification") } ?? ""
    }

    @Test func delayThenOnce() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let ns = try CompactionTests.populated(dir)
        let scheduler = try CompactionScheduler(namespace: ns)
        scheduler.start()
        defer { scheduler.stop() }
        #expect(ns.compactionStatus.state == .off)
        try scheduler.execute("on 1")
        let waiting = ns.compactionStatus
        #expect(waiting.state == .wait && waiting.secondsUntilStart <= 1 && waiting.interval == 0)
        #expect(Self.statusLine(ns).hasPrefix("ALL      Compactification                 status=wait waitstart="))
        #expect(Self.eventually(5) { ns.compactionStatus.completedRuns == 1 && ns.compactionStatus.state == .off })
        #expect(ns.compactionStatus.filesRatio > 1 && ns.compactionStatus.directoriesRatio == 0, "default type is files")
        #expect(scheduler.current == nil)
        #expect(try CompactionSchedule.load(from: dir.path) == nil)
    }

    @Test func intervalThenOff() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let ns = try CompactionTests.populated(dir)
        let scheduler = try CompactionScheduler(namespace: ns)
        scheduler.start()
        defer { scheduler.stop() }
        try scheduler.execute("on 0 1 all")
        #expect(Self.eventually(6) { ns.compactionStatus.completedRuns >= 2 })
        let status = ns.compactionStatus
        #expect(status.interval == 1 && status.directoriesRatio > 0)
        #expect(Self.statusLine(ns).contains("interval=1 ratio-file="))
        try scheduler.execute("off")
        let runs = ns.compactionStatus.completedRuns
        #expect(Self.eventually(1) { ns.compactionStatus.state == .off })
        usleep(1_500_000)
        #expect(ns.compactionStatus.completedRuns <= runs + 1, "runs went on after off")
        #expect(try CompactionSchedule.load(from: dir.path) == nil)
        #expect(errnoOf { try scheduler.execute("on x") } == EINVAL)
        #expect(errnoOf { try scheduler.execute("on 1 2 nonsense") } == EINVAL)
        #expect(errnoOf { try scheduler.execute("on -1") } == EINVAL)
        // The legacy `ns compact on` alone: at once, once, files.
        let now = Timestamp.now().seconds
        let atOnce = try #require(try CompactionSchedule.parse(["on"], now: now))
        #expect(atOnce.start == now && atOnce.interval == 0 && atOnce.type == .files)
    }

    @Test func persistedAcrossRestart() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var ns = try Namespace.boot(dir.configuration())
        var scheduler = try CompactionScheduler(namespace: ns)
        scheduler.start()
        let set = try #require(try scheduler.execute("on 100 30 directories-repair"))
        #expect(set.interval == 30 && set.type == .directoriesRepair)
        scheduler.stop()
        ns.close()

        ns = try Namespace.boot(dir.configuration())
        scheduler = try CompactionScheduler(namespace: ns)
        scheduler.start()
        defer { scheduler.stop() }
        #expect(scheduler.current == set)
        let status = ns.compactionStatus
        #expect(status.state == .wait && status.interval == 30 && status.secondsUntilStart > 90)
    }

    @Test func blockedUnlessMaster() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let ns = try CompactionTests.populated(dir)
        ns.role = .slaveReadOnly
        let scheduler = try CompactionScheduler(namespace: ns)
        scheduler.start()
        defer { scheduler.stop() }
        try scheduler.execute("on 0")
        #expect(ns.compactionStatus.state == .blocked)
        usleep(1_200_000)
        #expect(ns.compactionStatus.state == .blocked && ns.compactionStatus.completedRuns == 0)
        #expect(Self.statusLine(ns).contains("status=blocked"))
        ns.role = .masterReadWrite
        #expect(Self.eventually(5) { ns.compactionStatus.completedRuns == 1 })
        #expect(Self.eventually(1) { ns.compactionStatus.state == .off })
    }
}
