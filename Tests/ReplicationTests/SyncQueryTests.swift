import BerylTestSupport
import Glibc
import Replication
import Testing
import XRootD

/// The slave's sync query says why a master does not answer: refused (nothing listens: the process
/// is down) is told apart from a timeout (something accepts and never answers: paused or cut off).
@Suite struct SyncQueryTests {
    @Test func refusedAndTimeoutAreToldApart() throws {
        let closed = try #require(freeLoopbackPort())
        let refused = SyncQuery.syncEndpoint(of: Endpoint(host: "127.0.0.1", port: closed), timeout: 0.5)
        #expect(refused == .failure(.refused))
        #expect(refused.failureText == "connection refused (is it running?)")

        // A listener that never accepts: the kernel completes the connection, nobody answers.
        let (fd, port) = try #require(boundLoopbackSocket())
        defer { close(fd) }
        #expect(listen(fd, 4) == 0)
        let started = ContinuousClock.now
        let silent = SyncQuery.syncEndpoint(of: Endpoint(host: "127.0.0.1", port: port), timeout: 0.5)
        #expect(silent == .failure(.timedOut(seconds: 0.5)))
        #expect(silent.failureText == "no answer within 0.5 s (timeout)")
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
