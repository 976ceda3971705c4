import Dispatch
import Glibc
import Testing
@testable import Changelog
import Platform

/// Who group commit wakes (`waitDurable`): waiters a flush covers sleep on that flush's word,
/// later ones on the next generation's, and appends signal neither. What must hold whatever the
/// interleaving: every append returns, durable, or with the flush's error; none is left waiting.
@Suite struct GroupCommitWakeTests {
    /// Runs `threads` writers of `perThread` appends each; returns (acknowledged ends, errors) or
    /// nil when they did not all return within `timeout` (a writer left waiting).
    static func writers(_ log: Changelog, threads: Int, perThread: Int, timeout: Double = 60)
        -> (acknowledged: [UInt64], errors: [ChangelogError])? {
        final class Results: @unchecked Sendable {
            let lock = ConditionLock()
            var acknowledged: [UInt64] = []
            var errors: [ChangelogError] = []
        }
        let results = Results()
        let group = DispatchGroup()
        for t in 0..<threads {
            group.enter()
            let started = try? BackgroundThread.start(named: "group commit writer") {
                for i in 0..<perThread {
                    do throws(ChangelogError) {
                        let r = try log.append(.update, payload: payload(id: UInt64(t * 1_000_000 + i)))
                        results.lock.withLock { results.acknowledged.append(r.position.offset.rawValue) }
                    } catch {
                        results.lock.withLock { results.errors.append(error) }
                        break
                    }
                }
                group.leave()
            }
            if started == nil { group.leave() }
        }
        guard group.wait(timeout: .now() + timeout) == .success else { return nil }
        return results.lock.withLock { (results.acknowledged, results.errors) }
    }

    @Test(arguments: [Durability.always, .batch])
    func sixteenWritersAllReturnDurableAndShareFlushes(durability: Durability) throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try Changelog.open(at: dir.file("w.log"), configuration: .init(durability: durability))
        defer { log.close() }
        let syncsBefore = log.syncCount
        let outcome = try #require(Self.writers(log, threads: 16, perThread: 60), "a writer was left waiting")
        #expect(outcome.errors.isEmpty)
        #expect(outcome.acknowledged.count == 16 * 60)
        // Every acknowledged append is below the durable end, and flushes were shared.
        #expect(outcome.acknowledged.allSatisfy { $0 < log.durableEnd.rawValue })
        let syncs = log.syncCount - syncsBefore
        #expect(syncs > 0 && syncs < 16 * 60, "\(syncs) flushes for \(16 * 60) appends")
    }

    @Test(arguments: [1, 2, 5])
    func aFailedFlushWakesEveryWaiterOfBothGenerations(failingFlush: Int) throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try Changelog.open(at: dir.file("f.log"), configuration: .init(durability: .always))
        defer { log.close() }
        FaultInjection.install(.init(.sync, nth: failingFlush, fault: .error(EIO)), under: dir.path)
        defer { FaultInjection.clear(under: dir.path) }
        let outcome = try #require(Self.writers(log, threads: 16, perThread: 40), "a writer was left waiting after the failed flush")
        // Every writer stopped at its first error: the failed flush's EIO or the poisoned log's refusal.
        #expect(outcome.errors.count == 16)
        #expect(outcome.errors.allSatisfy { $0.code == .poisoned || $0.errno == Int32(EIO) }, "\(outcome.errors.prefix(3))")
        #expect(outcome.acknowledged.allSatisfy { $0 < log.durableEnd.rawValue })
    }
}
