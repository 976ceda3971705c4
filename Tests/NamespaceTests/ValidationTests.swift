import Testing
import Glibc
@testable import Namespace

/// Bad names and paths give the right errno and write nothing to the logs.
@Suite struct ValidationTests {
    static let longName = String(repeating: "n", count: 256)
    static let longPath = "/" + Array(repeating: String(repeating: "p", count: 200), count: 21).joined(separator: "/")
    static let badPaths: [(String, Int32)] = [
        ("", EINVAL), ("relative/x", EINVAL), ("/a/./b", EINVAL), ("/a/../b", EINVAL), ("/.", EINVAL), ("/..", EINVAL),
        ("/a\u{0}b", EINVAL), ("/" + longName, ENAMETOOLONG), ("/d/" + longName, ENAMETOOLONG), (longPath, ENAMETOOLONG),
    ]

    @Test func badNamesAndPathsChangeNothing() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let ns = try Namespace.boot(dir.configuration())
        try ns.createContainer("/d", attributes: fixedAttributes)
        try ns.createFile("/d/f", attributes: fixedAttributes)
        let sizes = dir.logSizes
        for (path, code) in Self.badPaths {
            #expect(errnoOf { try ns.createFile(path) } == code, "createFile \(path)")
            #expect(errnoOf { try ns.createContainer(path) } == code, "mkdir \(path)")
            #expect(errnoOf { try ns.createContainer(path, missingParents: .create) } == code, "mkdir -p \(path)")
            #expect(errnoOf { try ns.createSymlink(path, target: "x") } == code, "symlink \(path)")
            #expect(errnoOf { try ns.rename(path, to: "/d/g") } == code, "rename from \(path)")
            #expect(errnoOf { try ns.rename("/d/f", to: path) } == code, "rename to \(path)")
            #expect(errnoOf { try ns.removeFile(path) } == code, "rm \(path)")
            #expect(errnoOf { try ns.removeContainer(path) } == code, "rmdir \(path)")
            #expect(errnoOf { try ns.unlink(path) } == code, "unlink \(path)")
            #expect(errnoOf { _ = try ns.stat(path) } == code, "stat \(path)")
            #expect(errnoOf { _ = try ns.attributes(at: path) } == code, "attributes \(path)")
        }
        for name in ["", ".", "..", "a/b", "a\u{0}", Self.longName] {
            let code: Int32 = name.utf8.count > 255 ? ENAMETOOLONG : EINVAL
            #expect(errnoOf { try ns.createFile(named: name, in: .root) } == code, "name \(name)")
        }
        // Semantic errors.
        #expect(errnoOf { try ns.createFile("/") } == EINVAL)
        #expect(errnoOf { try ns.createFile("/d/f") } == EEXIST)
        #expect(errnoOf { try ns.createContainer("/d") } == EEXIST)
        #expect(errnoOf { try ns.createFile("/missing/f") } == ENOENT)
        #expect(errnoOf { try ns.createFile("/d/f/g") } == ENOTDIR)
        #expect(errnoOf { try ns.createContainer("/x/y") } == ENOENT)
        #expect(errnoOf { try ns.createContainer("/d/f/y", missingParents: .create) } == ENOTDIR)
        #expect(errnoOf { try ns.removeFile("/d") } == EISDIR)
        #expect(errnoOf { try ns.removeContainer("/d/f") } == ENOTDIR)
        #expect(errnoOf { try ns.removeContainer("/d") } == ENOTEMPTY)
        #expect(errnoOf { try ns.removeContainer("/") } == EINVAL)
        #expect(errnoOf { try ns.rename("/", to: "/e") } == EINVAL)
        #expect(errnoOf { try ns.rename("/d", to: "/d/sub") } == EINVAL)
        #expect(errnoOf { try ns.rename("/d", to: "/d") } == nil)
        #expect(errnoOf { _ = try ns.readLink("/d/f") } == EINVAL)
        #expect(errnoOf { _ = try ns.list("/d/f") } == ENOTDIR)
        #expect(errnoOf { try ns.createSymlink("/d/s", target: "") } == EINVAL)
        #expect(errnoOf { try ns.setSize(FileID(999), 1) } == ENOENT)
        #expect(errnoOf { try ns.updateFile(try ns.fileID(at: "/d/f")) { $0.name = "other" } } == EINVAL)
        #expect(dir.logSizes == sizes)
    }

    @Test func moveIntoOwnDescendantIsRefused() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let ns = try Namespace.boot(dir.configuration())
        try ns.createContainer("/a/b/c", attributes: fixedAttributes, missingParents: .create)
        let sizes = dir.logSizes
        #expect(errnoOf { try ns.rename("/a", to: "/a/b/c/a") } == EINVAL)
        #expect(errnoOf { try ns.rename("/a/b", to: "/a/b/x") } == EINVAL)
        #expect(dir.logSizes == sizes)
        try ns.rename("/a/b", to: "/b2")
        #expect(try ns.list("/b2").map(\.name) == ["c"])
        #expect(ns.path(of: try ns.containerID(at: "/b2/c")) == "/b2/c")
    }

    @Test func readOnlyRefusesMutations() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        do {
            let ns = try Namespace.boot(dir.configuration())
            let id = try ns.createFile("/f", attributes: fixedAttributes)
            try ns.addLocation(3, to: id)
            ns.close()
        }
        let ro = try Namespace.boot(dir.configuration(role: .masterReadOnly))
        let sizes = dir.logSizes
        let id = try ro.fileID(at: "/f")
        #expect(errnoOf { try ro.createFile("/g") } == EROFS)
        #expect(errnoOf { try ro.createContainer("/g") } == EROFS)
        #expect(errnoOf { try ro.rename("/f", to: "/g") } == EROFS)
        #expect(errnoOf { try ro.removeFile("/f") } == EROFS)
        #expect(errnoOf { try ro.setSize(id, 5) } == EROFS)
        #expect(errnoOf { try ro.dropLocation(3, of: id) } == EROFS)
        #expect(dir.logSizes == sizes)
        #expect(ro.file(id)?.locations == [3])
    }

    @Test func unlinkDetachesUntilLastLocationDropped() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var ns = try Namespace.boot(dir.configuration())
        let id = try ns.createFile("/f", attributes: fixedAttributes)
        try ns.addLocation(1, to: id)
        try ns.addLocation(2, to: id)
        try ns.unlinkLocation(2, of: id)
        #expect(ns.file(id)?.unlinkedLocations == [2])
        #expect(try ns.unlink("/f") == .detached)
        #expect(errnoOf { _ = try ns.stat("/f") } == ENOENT)
        #expect(ns.file(id)?.isDetached == true)
        #expect(ns.fileCount == 1)
        try ns.createFile("/f", attributes: fixedAttributes) // the name is free again
        ns.close()
        ns = try Namespace.boot(dir.configuration())
        #expect(ns.file(id)?.isDetached == true)
        #expect(ns.fileCount == 2)
        #expect(try ns.dropLocation(1, of: id) == false)
        #expect(try ns.dropLocation(2, of: id) == true)
        #expect(ns.file(id) == nil)
        #expect(try ns.unlink("/f") == .deleted)
        ns.close()
        ns = try Namespace.boot(dir.configuration())
        #expect(ns.fileCount == 0)
        #expect(ns.nextFileID == FileID(3))
    }

    /// The server's stat path (`attributes(at:)`, fixed rows only) agrees with `stat` on values and errors.
    @Test func attributesAgreeWithStat() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let ns = try Namespace.boot(dir.configuration())
        try ns.createContainer("/d/e", attributes: fixedAttributes, missingParents: .create)
        try ns.createFile("/d/f", attributes: fixedAttributes)
        try ns.setSize(ns.fileID(at: "/d/f"), 12_345, mtime: Timestamp(seconds: 77, nanoseconds: 5))
        try ns.createSymlink("/d/l", target: "/d/f")
        for path in ["/", "/d", "//d//e/", "/d/f", "/d/l", "/d/f/x", "/nope", "/d/nope/x"] {
            #expect(errnoOf { _ = try ns.attributes(at: path) } == errnoOf { _ = try ns.stat(path) }, "\(path)")
            guard let entry = try? ns.stat(path) else { continue }
            let a = try ns.attributes(at: path)
            switch entry {
            case .file(let f):
                #expect(a == EntryAttributes(isDirectory: false, id: f.id.rawValue, size: f.size, mode: f.mode, uid: f.uid,
                                             gid: f.gid, ctime: f.ctime, mtime: f.mtime), "\(path)")
            case .container(let c):
                #expect(a == EntryAttributes(isDirectory: true, id: c.id.rawValue, size: 0, mode: c.mode, uid: c.uid,
                                             gid: c.gid, ctime: c.ctime, mtime: c.mtime), "\(path)")
            }
        }
    }
}
