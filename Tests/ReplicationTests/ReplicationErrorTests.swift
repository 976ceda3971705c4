import Changelog
import Glibc
import Namespace
@testable import Platform
import Testing
@testable import Replication

/// Errors above the namespace keep the typed error underneath as their cause (with its errno as a
/// named value), and read as they always did.
@Suite struct ReplicationErrorTests {
    /// The role tag cannot be written under a regular file: the cause is the platform layer's
    /// `SystemError` with ENOTDIR, and the text is `cannot create <dir>: <that error>`.
    @Test func aRoleTagFailureKeepsItsSystemError() throws {
        let directory = SyncSecretTests.directory()
        defer { SyncSecretTests.cleanup(directory) }
        let blocker = directory + "/file"
        SyncSecretTests.write(blocker, Array("x".utf8), mode: 0o600)
        let target = blocker + "/data"
        do {
            try RoleFile.write(.masterReadWrite, in: target)
            Issue.record("a tag under a regular file was written")
        } catch {
            guard case .failed(let what, .system(let cause)) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(what == "cannot create \(target)")
            #expect(cause.errno == ENOTDIR)
            #expect(ReplicationError.Cause.system(cause).errno == ENOTDIR)
            #expect(error.description == "cannot create \(target): \(cause)")
        }
    }

    /// The texts of the cause-keeping cases are the ones the string cases had.
    @Test func causesReadAsBefore() {
        let log = ChangelogError(.corruption(.badMagic), path: "/d/files.mdlog", offset: LogOffset(4096), detail: "x")
        let namespace = NamespaceError.log(log)
        #expect(ReplicationError.rejected("files bytes at 4096 refused", cause: .namespace(namespace)).description
                == "sync protocol violation: files bytes at 4096 refused: \(namespace)")
        #expect(ReplicationError.failed("adopting the master's files log failed", cause: .log(log)).description
                == "adopting the master's files log failed: \(log)")
        #expect(ReplicationError.failed("", cause: .log(log)).description == "\(log)")
        #expect(ReplicationError.systemCall("cannot write /d/x", errno: ENOSPC).description
                == "cannot write /d/x: \(String(cString: strerror(ENOSPC)))")
        let io = ChangelogError(.io, path: "/d/files.mdlog", errno: ENOSPC)
        #expect(ReplicationError.Cause.namespace(.log(io)).errno == ENOSPC)
        #expect(ReplicationError.Cause.log(io).errno == ENOSPC)
        #expect(ReplicationError.Cause.namespace(.readOnly).errno == nil)
        let thread = ThreadStartError(name: "sync-accept", errno: EAGAIN, injected: false)
        #expect(ReplicationError.resources(thread).description == "\(thread)")
        #expect(ReplicationError.resources(thread, consequence: "connection closed (the slave reconnects)").description
                == "\(thread); connection closed (the slave reconnects)")
    }
}
