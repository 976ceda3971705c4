import Changelog
import Foundation
import Glibc
import MGM
import Synchronization
import Testing
import XRootD
import Platform

/// Syscall faults under the changelogs (`FaultInjection`, debug builds) while clients mutate through
/// the server: the failing request gets a clear XRootD error, the server keeps answering reads, every
/// request acknowledged before the fault is there after a restart on the same directory, and the
/// restarted server writes again.
///
/// Serialized: fault plans are process-global (keyed by each test's own data directory, cleared at the end).
@Suite(.serialized) struct ServerFaultTests {
    /// A server on `directory` (kept across restarts), namespace requests on the thread pool as in production.
    private func start(_ directory: String, _ durability: Durability) throws -> TestServer {
        try TestServer(directory: directory) {
            $0.durability = durability
            $0.placement = .threadPool
        }
    }

    /// Restarts on `directory` and checks that every acknowledged directory is there.
    private func expectRestartKeeps(_ acknowledged: [String], in directory: String, _ durability: Durability,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws -> TestServer {
        let server = try start(directory, durability)
        let missing = acknowledged.filter { (try? server.server.namespace.stat($0)) == nil }
        #expect(missing.isEmpty, "acknowledged but lost after restart: \(missing.prefix(5))", sourceLocation: sourceLocation)
        return server
    }

    /// Runs `body` on a fresh data directory, then clears the faults injected under it and removes it.
    private func withDataDirectory(_ body: (String) throws -> Void) rethrows {
        let directory = TestServer.temporaryDirectory()
        defer {
            FaultInjection.clear(under: directory)
            try? FileManager.default.removeItem(atPath: directory)
        }
        try body(directory)
    }

    /// A disk that fills up (every log write fails with ENOSPC) and then has room again: each mutation
    /// meanwhile is `kXR_NoSpace` with the stock server's text, reads go on, and once space is back the
    /// same server writes again (a failed write changes nothing and does not poison the log).
    @Test(arguments: [Durability.batch, .always])
    func fullDiskAnswersNoSpaceAndWritesResumeWhenSpaceReturns(durability: Durability) throws {
        try withDataDirectory { directory in
            var server = try start(directory, durability)
            let client = try server.client()
            var acknowledged: [String] = []
            for index in 0..<10 {
                try client.mkdir("/f/d\(index)", options: [.makePath])
                acknowledged.append("/f/d\(index)")
            }
            FaultInjection.install(.init(.write, nth: 1, fault: .error(ENOSPC), persistent: true), under: directory)
            for index in 0..<5 {
                let error = serverErrorOf { try client.mkdir("/f/full\(index)") }
                #expect(error?.code == .noSpace)
                #expect(error?.message == "Unable to mkdir /f/full\(index); no space left on device",
                        "\(error?.message ?? "no error"): a failed write poisons nothing, no restart is asked for")
            }
            let create = serverErrorOf { _ = try client.open("/f/file", options: [.new]) }
            #expect(create?.code == .noSpace)
            #expect(create?.message.hasPrefix("Unable to create /f/file; no space left on device") == true)
            // Reads are served while the disk is full.
            #expect(try client.dirlist("/f").entries.count == 10)
            #expect(try client.stat("/f/d9").isDirectory)
            #expect(FaultInjection.clear(under: directory) == 6)

            // Space is back: the same server writes again.
            try client.mkdir("/f/after")
            acknowledged.append("/f/after")
            #expect(try client.dirlist("/f").entries.count == 11)
            server.stop(removing: false)
            server = try expectRestartKeeps(acknowledged, in: directory, durability)
            for index in 0..<5 { #expect((try? server.server.namespace.stat("/f/full\(index)")) == nil) }
            try server.client().mkdir("/f/restarted")
            server.stop()
        }
    }

    /// A failed fsync (EIO) poisons the log: the request waiting for it is `kXR_IOError`, every later
    /// mutation too, with a message saying that the server must be restarted; reads go on. After the
    /// restart (the operator's action) everything acknowledged is there and writes work again.
    @Test(arguments: [Durability.batch, .always])
    func failedSyncRefusesWritesUntilRestart(durability: Durability) throws {
        try withDataDirectory { directory in
            var server = try start(directory, durability)
            let client = try server.client()
            try client.mkdir("/f")
            var acknowledged = ["/f"]
            FaultInjection.install(.init(.sync, nth: 3, fault: .error(EIO)), under: directory)
            var errors: [(String, ServerError)] = []
            for index in 0..<8 {
                let path = "/f/d\(index)"
                if let error = serverErrorOf({ try client.mkdir(path) }) {
                    errors.append((path, error))
                } else {
                    #expect(errors.isEmpty, "\(path) acknowledged after a failed sync")
                    acknowledged.append(path)
                }
            }
            #expect(FaultInjection.clear(under: directory) == 1)
            #expect(acknowledged.count == 3, "two mkdirs before the third sync: \(acknowledged)")
            #expect(errors.count == 6)
            for (path, error) in errors {
                #expect(error.code == .ioError, "\(path): \(error)")
                #expect(error.message.hasPrefix("Unable to mkdir \(path); input/output error"), "\(error.message)")
                #expect(error.message.contains("restart"), "the message tells what to do: \(error.message)")
            }
            // Reads are served by the poisoned server.
            #expect(try client.stat("/f/d0").isDirectory)
            #expect(try client.dirlist("/f").entries.count >= 2)

            server.stop(removing: false)
            server = try expectRestartKeeps(acknowledged, in: directory, durability)
            try server.client().mkdir("/f/restarted")
            server.stop()
        }
    }

    /// Growing the log fails (fallocate ENOSPC, or mmap ENOMEM both of the larger mapping and of the
    /// fallback to the allocated size): that mkdir is refused with the matching code, nothing changed,
    /// and the next mkdir grows the log and succeeds.
    @Test(arguments: [(FaultInjection.Operation.allocate, ENOSPC), (.map, ENOMEM)])
    func failedLogGrowthFailsOneRequest(operation: FaultInjection.Operation, errno: Int32) throws {
        try withDataDirectory { directory in
            var server = try start(directory, .batch)
            try server.client().mkdir("/g")
            // Closing trims the log's preallocated space, so the restarted server's first append grows it.
            server.stop(removing: false)
            server = try start(directory, .batch)
            let client = try server.client()
            // One plan per attempt to fail: a plan that fires ends the lookup, so each fails its first call.
            let attempts = operation == .map ? 2 : 1
            for _ in 1...attempts { FaultInjection.install(.init(operation, nth: 1, fault: .error(errno)), under: directory) }
            let error = serverErrorOf { try client.mkdir("/g/first") }
            #expect(FaultInjection.clear(under: directory) == attempts)
            #expect(error?.code == (errno == ENOSPC ? .noSpace : .noMemory), "\(String(describing: error))")
            #expect(error?.message.hasPrefix("Unable to mkdir /g/first; ") == true)
            #expect((try? client.stat("/g/first")) == nil, "a refused mkdir changed nothing")
            try client.mkdir("/g/second")
            server.stop(removing: false)
            server = try expectRestartKeeps(["/g", "/g/second"], in: directory, .batch)
            #expect((try? server.server.namespace.stat("/g/first")) == nil)
            server.stop()
        }
    }

    /// Eight clients mkdir concurrently (their mkdirs share group commits under `batch`) when the Nth
    /// write or fsync fails: each client's failure is a clear error and nothing any client had
    /// acknowledged is missing after the restart.
    @Test(arguments: [
        (Durability.batch, FaultInjection.Operation.sync, EIO), (.always, .sync, EIO),
        (.batch, .write, ENOSPC), (.always, .write, EIO),
    ])
    func concurrentClientsLoseNothingAcknowledged(durability: Durability, operation: FaultInjection.Operation,
                                                  errno: Int32) throws {
        try withDataDirectory { directory in
            let first = try start(directory, durability)
            try first.client().mkdir("/c")
            FaultInjection.install(.init(operation, nth: 40, fault: .error(errno)), under: directory)
            let acknowledged = Mutex<[String]>([])
            let errors = Mutex<[ServerError]>([])
            let others = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { worker in
                guard let client = try? first.client() else {
                    others.withLock { $0.append("connect") }
                    return
                }
                for index in 0..<30 {
                    let path = "/c/w\(worker)-\(index)"
                    do {
                        try client.mkdir(path)
                        acknowledged.withLock { $0.append(path) }
                    } catch let error as XRootDError {
                        if let e = error.serverError { errors.withLock { $0.append(e) } } else { others.withLock { $0.append("\(error)") } }
                    } catch {
                        others.withLock { $0.append("\(error)") }
                    }
                }
            }
            #expect(FaultInjection.clear(under: directory) == 1)
            #expect(others.withLock { $0 }.isEmpty, "\(others.withLock { $0.prefix(3) })")
            let failed = errors.withLock { $0 }
            #expect(!failed.isEmpty)
            let code: XRootDErrorCode = errno == ENOSPC ? .noSpace : .ioError
            for error in failed {
                #expect(error.code == code, "\(error)")
                #expect(error.message.hasPrefix("Unable to mkdir /c/w"), "\(error.message)")
                // A failed sync poisons the log (every waiter and every later mutation is told to restart);
                // a failed write fails that request only.
                #expect(error.message.contains("restart the server") == (operation == .sync), "\(error.message)")
            }
            if operation == .write {
                // A failed write changes nothing and poisons nothing: one request failed, the rest went on.
                #expect(failed.count == 1)
                #expect(acknowledged.withLock { $0.count } == 8 * 30 - 1)
            }
            let acked = acknowledged.withLock { $0 }
            #expect(acked.count >= 39 - 8, "the mkdirs before the fault were acknowledged")
            first.stop(removing: false)
            let server = try expectRestartKeeps(acked, in: directory, durability)
            try server.client().mkdir("/c/restarted")
            print("fault \(operation) \(errno == ENOSPC ? "ENOSPC" : "EIO") under \(durability): \(acked.count) acknowledged, "
                  + "\(failed.count) refused, all acknowledged present after restart")
            server.stop()
        }
    }
}
