import Glibc
import Synchronization
import Testing
@testable import Changelog
@testable import Platform

/// `BackgroundThread.start(named:_:)` never runs its work inline: when no thread can be created it
/// throws (the caller fails that one operation), so a loop or a lock-taking body started under a
/// lock cannot wedge its caller. Failures are injected per thread name (debug builds).
@Suite struct BackgroundThreadTests {
    @Test func aFailedStartThrowsAndNeverRunsTheWorkInline() throws {
        let name = "test-thread-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let ran = Atomic<Int>(0)
        FaultInjection.failThreadStarts(named: name, count: 2)
        defer { FaultInjection.failThreadStarts(named: name, count: 0) }
        for _ in 0..<2 {
            do {
                _ = try BackgroundThread.start(named: name) { ran.add(1, ordering: .relaxed) }
                Issue.record("an injected thread-start failure did not throw")
            } catch {
                #expect(error.name == name)
                #expect(error.errno == EAGAIN && error.injected)
                #expect(error.description.hasPrefix("cannot start the \(name) thread:"), "\(error)")
            }
        }
        #expect(ran.load(ordering: .relaxed) == 0, "a thread that could not start ran its work inline")
        // The plan is spent: the next start runs on its own thread.
        let caller = pthread_self()
        let thread = try BackgroundThread.start(named: name) { () -> Bool in
            ran.add(1, ordering: .relaxed)
            return pthread_equal(pthread_self(), caller) != 0
        }
        #expect(thread.join() == false, "the work ran on the caller's thread")
        #expect(ran.load(ordering: .relaxed) == 1)
    }

    #if DEBUG
    @Test func threadStartFaultsParseFromTheEnvironmentFormat() {
        #expect(FaultInjection.parseThreadStartFaults("sync-sender:3,follower") == ["sync-sender": 3, "follower": -1])
        #expect(FaultInjection.parseThreadStartFaults(nil) == [:])
        #expect(FaultInjection.parseThreadStartFaults("supervisor:x") == ["supervisor": -1])
    }
    #endif
}
