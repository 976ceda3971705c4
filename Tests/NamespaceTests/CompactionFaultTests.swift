import Changelog
import Glibc
import Testing
@testable import Namespace
import Platform

/// ENOSPC and EIO injected into the compaction's own I/O, during copy and during commit: the run
/// fails cleanly (no `.oc` left, the live log and the namespace unchanged, status `failed`, the
/// reason in the master log), the namespace keeps serving, and the next run succeeds.
@Suite struct CompactionFaultTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var phase: CompactionPhase
        var operation: FaultInjection.Operation
        var nth = 1
        var errno: Int32
        var testDescription: String { "\(operation) #\(nth) errno \(errno) during \(phase.rawValue)" }
    }

    static let cases: [Case] = [
        // The copy extends its output with pwrite (no preallocation): a full disk shows as ENOSPC there.
        Case(phase: .copy, operation: .write, errno: ENOSPC),
        Case(phase: .copy, operation: .write, errno: EIO),
        Case(phase: .copy, operation: .sync, errno: EIO),
        Case(phase: .catchUp, operation: .sync, errno: EIO),
        Case(phase: .commit, operation: .write, errno: ENOSPC),
        Case(phase: .commit, operation: .sync, errno: EIO),
        Case(phase: .commit, operation: .rename, errno: EIO),
        Case(phase: .commit, operation: .rename, nth: 2, errno: EIO),
    ]

    @Test(arguments: cases)
    func faultLeavesLiveLogAndNamespace(_ c: Case) throws {
        let dir = TemporaryDirectory()
        defer {
            FaultInjection.clear(under: dir.path)
            dir.remove()
        }
        var ns = try CompactionTests.populated(dir)
        var before = try ns.snapshot()
        let live = try #require(ns.filesLog)
        let path = dir.path, shared = ns
        // A mutation as the phase starts gives the catch-up and the commit a remainder to copy.
        let during = "/a/b/during-\(c.phase.rawValue)"
        before[during] = ReferenceModel.Entry(kind: .file, mode: 0o100644)
        let options = CompactionOptions(observer: { _, phase in
            guard phase == c.phase else { return }
            _ = try? shared.createFile(during, attributes: fixedAttributes)
            FaultInjection.install(.init(c.operation, nth: c.nth, fault: .error(c.errno)), under: path)
        })
        #expect(errnoOf { try ns.compact(.files, options: options) } == c.errno)
        #expect(FaultInjection.clear(under: dir.path) == 1, "the fault did not fire")

        #expect(ns.filesLog === live, "the live log was swapped")
        #expect(live.path == dir.path + "/files.mdlog")
        #expect(!FileSystem.exists(dir.path + "/files.mdlog.oc"))
        #expect(FileSystem.list(dir.path).filter { $0.hasPrefix("files.mdlog.") }.isEmpty, "an archive was left")
        #expect(ns.bootState == .booted)
        #expect(try ns.snapshot() == before)
        let status = ns.compactionStatus
        #expect(status.state == .failed && status.lastFailure != nil)
        #expect(ns.statistics().formatted().contains("status=failed"))
        #expect(ns.masterLog.lines.contains { $0.level == .error && $0.message.contains("live log unchanged") })

        // Still serving; the next run succeeds and clears the failure; the reboot agrees.
        try ns.createFile("/a/b/after-fault", attributes: fixedAttributes)
        try ns.compact(.files)
        #expect(ns.compactionStatus.state == .off)
        let after = try ns.snapshot()
        ns.close()
        ns = try Namespace.boot(dir.configuration())
        #expect(try ns.snapshot() == after)
    }
}
