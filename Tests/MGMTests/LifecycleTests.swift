import Foundation
import Glibc
import MGM
import Namespace
import Replication
import Testing
import XRootD

/// Start, stop, restart, roles, and the data directory lock.
@Suite struct LifecycleTests {
    @Test func secondServerOnTheSameDirectoryIsRefused() throws {
        let first = try TestServer()
        defer { first.stop() }
        do {
            let second = try TestServer(directory: first.directory)
            second.stop(removing: false)
            Issue.record("a second server started on \(first.directory)")
        } catch let error as MGMError {
            guard case .dataDirectoryLocked = error else { Issue.record("\(error)"); return }
            #expect("\(error)".contains("locked by another process"))
        }
    }

    @Test func shutdownKeepsTheNamespaceAndRestartServesIt() throws {
        let first = try TestServer()
        let client = try first.client()
        try client.mkdir("/kept/deep", options: .makePath)
        _ = try client.open("/kept/file", options: [.new, .update])
        first.stop(removing: false)
        defer { try? FileManager.default.removeItem(atPath: first.directory) }
        #expect(throws: XRootDError.self) { try client.ping() }

        let second = try TestServer(directory: first.directory)
        defer { second.stop(removing: false) }
        #expect(try second.client().dirlist("/kept").names.sorted() == ["deep", "file"])
    }

    @Test func slaveServesReadOnly() throws {
        let directory = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(RoleFile.read(in: directory) == .slaveReadOnly)
        // A fresh slave starts empty (it would fetch everything from a configured master).
        let fresh = try TestServer(role: .slaveReadOnly, directory: directory)
        #expect(throws: XRootDError.self) { try fresh.client().stat("/") }
        fresh.stop(removing: false)

        try RoleFile.write(.masterReadWrite, in: directory)
        #expect(RoleFile.read(in: directory) == .masterReadWrite)
        let master = try TestServer(role: nil, directory: directory)
        try master.client().mkdir("/m")
        master.stop(removing: false)

        try RoleFile.write(.slaveReadOnly, in: directory)
        let slave = try TestServer(role: nil, directory: directory)
        defer { slave.stop(removing: false) }
        let client = try slave.client()
        #expect(try client.queryConfig(["role"]) == ["slave"])
        #expect(try client.stat("/m").isDirectory)
        do throws(XRootDError) {
            try client.mkdir("/n")
            Issue.record("a slave accepted a mutation")
        } catch {
            #expect(error.serverError?.code == .fsReadOnly, "\(error)")
        }
    }
}
