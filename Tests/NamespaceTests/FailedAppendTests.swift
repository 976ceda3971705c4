import Changelog
import Glibc
import Testing
@testable import Namespace
import Platform

/// A mutation whose append fails changes nothing in memory (and nothing on disk after reboot).
@Suite struct FailedAppendTests {
    @Test func failedAppendsLeaveNamespaceUnchanged() throws {
        let dir = TemporaryDirectory()
        defer {
            FaultInjection.clear(under: dir.path)
            dir.remove()
        }
        var ns = try Namespace.boot(dir.configuration())
        try ns.createContainer("/d/e", attributes: fixedAttributes, missingParents: .create)
        let id = try ns.createFile("/d/f", attributes: fixedAttributes)
        try ns.addLocation(1, to: id)
        let before = try ns.snapshot()
        let sizes = dir.logSizes
        let nextFile = ns.nextFileID, nextContainer = ns.nextContainerID

        FaultInjection.install(.init(.write, nth: 1, fault: .error(ENOSPC), persistent: true), under: dir.path)
        let attempts: [(String, () throws -> Void)] = [
            ("create", { try ns.createFile("/d/g", attributes: fixedAttributes) }),
            ("mkdir -p", { try ns.createContainer("/x/y", attributes: fixedAttributes, missingParents: .create) }),
            ("symlink", { try ns.createSymlink("/d/s", target: "/d/f") }),
            ("rename", { try ns.rename("/d/f", to: "/d/e/f2") }),
            ("move dir", { try ns.rename("/d/e", to: "/e") }),
            ("setSize", { try ns.setSize(id, 99) }),
            ("xattr", { try ns.setXattr(id, key: "user.a", value: "b") }),
            ("location", { try ns.addLocation(2, to: id) }),
            ("unlink", { try ns.unlink("/d/f") }),
            ("remove", { try ns.removeFile("/d/f") }),
            ("rmdir", { try ns.removeContainer("/d/e") }),
            ("updateContainer", { try ns.updateContainer(try ns.containerID(at: "/d")) { $0.mode = 0o40700 } }),
        ]
        for (name, attempt) in attempts {
            #expect(errnoOf(attempt) == ENOSPC, "\(name)")
            #expect(try ns.snapshot() == before, "\(name) changed memory")
        }
        #expect(ns.nextFileID == nextFile && ns.nextContainerID == nextContainer)
        #expect(FaultInjection.clear(under: dir.path) > 0)
        #expect(dir.logSizes == sizes)

        try ns.createFile("/d/g", attributes: fixedAttributes)   // the logs took no damage
        let after = try ns.snapshot()
        ns.close()
        ns = try Namespace.boot(dir.configuration())
        #expect(try ns.snapshot() == after)
    }
}
