import Changelog
import Glibc
import Testing
@testable import Namespace

/// `Namespace.changeAttributes`, the in-place attribute edit behind `kXR_fattr` set and del: only the
/// attribute list changes (name, checksum, locations, unlinked locations and symlink target are kept
/// byte for byte), one record with the new ctime, nothing written when the edit says so, and the same
/// entry after a restart.
@Suite struct AttributeEditTests {
    @Test func editsOnlyTheAttributesAndSetsTheCtime() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var ns = try Namespace.boot(directory.configuration())
        try ns.createContainer("/d", attributes: fixedAttributes)
        let id = try ns.createFile("/d/f", attributes: fixedAttributes)
        try ns.setChecksum(id, [1, 2, 3, 4])
        try ns.addLocation(7, to: id)
        try ns.addLocation(8, to: id)
        try ns.unlinkLocation(8, of: id)
        try ns.setXattr(id, key: "user.b", value: "2")
        let link = try ns.createSymlink("/d/l", target: "/d/f", attributes: fixedAttributes)
        let before = try #require(ns.file(id))

        let t = Timestamp(seconds: 1_800_000_000, nanoseconds: 5)
        let previous: String? = try ns.changeAttributes("/d/f", ctime: t) { a in
            let old = a["user.b"]
            a["user.a"] = "1"
            a["user.b"] = nil
            return (old, true)
        }
        #expect(previous == "2")
        var expected = before
        expected.xattrs = ["user.a": "1"]
        expected.ctime = t
        #expect(ns.file(id) == expected)

        try ns.changeAttributes("/d/l", ctime: t) { a in a["user.s"] = "x"; return ((), true) }
        #expect(ns.file(link)?.symlinkTarget == "/d/f" && ns.file(link)?.xattrs == ["user.s": "x"])

        // Not stored: no record, nothing changes.
        let records = ns.changelog(.files)!.lastSequence
        try ns.changeAttributes("/d/f", ctime: Timestamp(seconds: 1_900_000_000)) { a in a["user.z"] = "no"; return ((), false) }
        #expect(ns.changelog(.files)!.lastSequence == records)
        #expect(ns.file(id) == expected)

        // A directory: its ctime never goes back.
        let d = try ns.containerID(at: "/d")
        let dirBefore = try #require(ns.container(d))
        try ns.changeAttributes("/d", ctime: Timestamp(seconds: 1)) { a in a["user.dir"] = "y"; return ((), true) }
        #expect(ns.container(d)?.xattrs == ["user.dir": "y"])
        #expect(ns.container(d)?.ctime == dirBefore.ctime)
        #expect(errnoOf { try ns.changeAttributes("/d/missing", ctime: t) { _ in ((), true) } } == ENOENT)

        let live = (ns.file(id), ns.file(link), ns.container(d))
        ns.close()
        ns = try Namespace.boot(directory.configuration())
        defer { ns.close() }
        #expect(ns.file(id) == live.0 && ns.file(link) == live.1 && ns.container(d) == live.2)
    }
}
