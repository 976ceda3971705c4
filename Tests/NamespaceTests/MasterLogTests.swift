import BerylTestSupport
import Glibc
import Synchronization
import Testing
@testable import Namespace
import Platform

/// The master log folds repeated lines, forwards each kept line once to its sink, and keeps a
/// bounded, rotated file that a new log (a restarted server) loads.
@Suite struct MasterLogTests {
    /// A clock the test moves.
    final class Clock: Sendable {
        let now = Mutex<Int64>(1_800_000_000)
        func advance(_ seconds: Int64) { now.withLock { $0 += seconds } }
        var function: @Sendable () -> Int64 { { self.now.withLock { $0 } } }
    }

    final class Collected: Sendable {
        let lines = Mutex<[MasterLog.Line]>([])
        var sink: MasterLog.Sink { { line in self.lines.withLock { $0.append(line) } } }
        var messages: [String] { lines.withLock { $0.map(\.message) } }
    }

    @Test func repeatedLinesAreFoldedWithCountAndDuration() {
        let clock = Clock(), sink = Collected()
        let log = MasterLog(MasterLogOptions(sink: sink.sink), clock: clock.function)
        log.log(.warning, "supervisor: 10.0.0.2:1094 is down")
        for _ in 0..<273 {
            clock.advance(1)
            log.log(.warning, "supervisor: 10.0.0.2:1094 is down")
        }
        #expect(log.lines.map(\.message) == ["supervisor: 10.0.0.2:1094 is down",
                                              "supervisor: 10.0.0.2:1094 is down ... repeated 273 times in 4 m 33 s"])
        #expect(sink.messages == ["supervisor: 10.0.0.2:1094 is down"], "a pending count is not forwarded yet")
        clock.advance(27)
        log.log(.info, "supervisor: 10.0.0.2:1094 is up (master-rw epoch 0)")
        let expected = ["supervisor: 10.0.0.2:1094 is down",
                        "supervisor: 10.0.0.2:1094 is down ... repeated 273 times in 4 m 33 s",
                        "supervisor: 10.0.0.2:1094 is up (master-rw epoch 0)"]
        #expect(log.lines.map(\.message) == expected)
        #expect(sink.messages == expected, "each kept line reaches the sink once, in order")
        #expect(log.lines[1].level == .warning && log.lines[2].level == .info)
        #expect(log.text.split(separator: "\n").count == 3)
    }

    @Test func alternatingLinesFoldAndLongRunsReportOncePerWindow() {
        let clock = Clock(), sink = Collected()
        let log = MasterLog(MasterLogOptions(sink: sink.sink, foldSeconds: 600), clock: clock.function)
        for _ in 0..<10 {
            log.log(.warning, "a")
            log.log(.warning, "b")
            clock.advance(1)
        }
        #expect(log.lines.map(\.message) == ["a", "b", "a ... repeated 9 times in 9 s", "b ... repeated 9 times in 9 s"])
        log.flush()
        #expect(sink.messages == ["a", "b", "a ... repeated 9 times in 9 s", "b ... repeated 9 times in 9 s"])
        // A line repeated every second for an hour: one count line per 10-minute window.
        log.log(.error, "c")
        for _ in 0..<3600 {
            clock.advance(1)
            log.log(.error, "c")
        }
        let counts = log.lines.map(\.message).filter { $0.hasPrefix("c ... repeated") }
        #expect(counts == Array(repeating: "c ... repeated 600 times in 10 m 0 s", count: 6))
        #expect(log.lines.count == 4 + 1 + 6)
    }

    @Test func fileKeepsTheHistoryAcrossInstancesRotatedAndBounded() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/master.log"
        let clock = Clock()
        let first = MasterLog(MasterLogOptions(file: path), clock: clock.function)
        #expect(access(path, F_OK) != 0, "constructing a log creates nothing")
        first.log(.info, "booted namespace (first boot)")
        first.log(.error, "fenced: epoch 2 > ours (1)\nno writes")
        #expect(first.lines.last?.message == "fenced: epoch 2 > ours (1) no writes", "one line per event")
        let second = MasterLog(MasterLogOptions(file: path), clock: clock.function)
        #expect(second.lines == first.lines)
        #expect(second.lines.map(\.level) == [.info, .error])

        // 4 KiB per file: writing 200 lines of ~70 bytes rotates, and at most two files stay.
        let bounded = MasterLogOptions(capacity: 20, file: path, maximumFileBytes: 4096)
        let third = MasterLog(bounded, clock: clock.function)
        for i in 0..<200 {
            clock.advance(1)
            third.log(.info, "compaction all of the files log: run \(i) finished in 12 ms")
        }
        #expect((FileSystem.size(path) ?? 0) <= 4096 && (FileSystem.size(path + ".1") ?? 0) <= 4096)
        #expect(access(path + ".1", F_OK) == 0)
        #expect(third.lines.count == 20 && third.lines.last?.message.contains("run 199 ") == true)
        let restarted = MasterLog(bounded, clock: clock.function)
        #expect(restarted.lines == third.lines, "the last lines survive a restart")
        restarted.clear()
        #expect(restarted.lines.isEmpty && access(path, F_OK) != 0 && access(path + ".1", F_OK) != 0)
        #expect(MasterLog(bounded, clock: clock.function).lines.isEmpty)
    }

    @Test func durationsReadAsOperatorsWriteThem() {
        #expect(LineFolds.duration(33) == "33 s")
        #expect(LineFolds.duration(273) == "4 m 33 s")
        #expect(LineFolds.duration(7500) == "2 h 05 m")
    }
}
