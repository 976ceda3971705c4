import Changelog
import Testing

@Suite("Legacy metadata decoders")
struct LegacyMetadataTests {
    static let fixtures = RepairTestFiles.fixturesDirectory()

    @Test func replayedFixtureNamespaceMatchesTheExpectedListing() throws {
        let files = try LegacyLogFile(path: Self.fixtures + "files.mdlog")
        let directories = try LegacyLogFile(path: Self.fixtures + "directories.mdlog")
        #expect(files.header?.contentFlag == 1)
        #expect(directories.header?.contentFlag == 2)
        let ns = LegacyNamespace.replay(filesLog: files, directoriesLog: directories)
        #expect(ns.problems.isEmpty, "\(ns.problems)")
        #expect(ns.containers.count == 357)
        #expect(ns.files.count == 2380)
        let expected = String(decoding: try RepairTestFiles.readAll(Self.fixtures + "namespace-expected.tsv"), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
        let actual = ns.listing().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(actual.count == expected.count)
        var mismatches = 0
        for (i, (a, e)) in zip(actual, expected).enumerated() where a != e {
            mismatches += 1
            if mismatches <= 5 { Issue.record("line \(i + 1):\n  got      \(a.prefix(400))\n  expected \(e.prefix(400))") }
        }
        #expect(mismatches == 0)
    }

    @Test func decodesSymlinksUnlinkedFilesAndContainerMtimes() throws {
        let files = try LegacyLogFile(path: Self.fixtures + "files.mdlog")
        let directories = try LegacyLogFile(path: Self.fixtures + "directories.mdlog")
        let ns = LegacyNamespace.replay(filesLog: files, directoriesLog: directories)
        let links = ns.files.values.filter(\.isSymbolicLink)
        #expect(!links.isEmpty)
        #expect(links.allSatisfy { $0.mode == 0o120777 && !$0.name.contains("//") })
        let unlinked = ns.files.values.filter { $0.containerId == 0 }
        #expect(unlinked.count == 12)
        #expect(unlinked.allSatisfy { !$0.unlinkedLocations.isEmpty })
        let root = try #require(ns.containers[1])
        #expect(root.isRoot)
        #expect(ns.containers.values.allSatisfy { c in !c.extendedAttributes.contains { $0.key.hasPrefix("sys.mtime.") } })
    }

    @Test func containerMtimeDefaultsToCtime() throws {
        var c = LegacyContainerMD(id: 5, parentId: 1, ctime: LegacyTimestamp(seconds: 7, nanoseconds: 9), name: "x")
        let decoded = try LegacyContainerMD.decode(Self.encode(c, mtime: nil))
        #expect(decoded.mtime == c.ctime)
        c.mtime = LegacyTimestamp(seconds: 1_600_000_000, nanoseconds: 12)
        c.extendedAttributes = [LegacyExtendedAttribute(key: "user.a", value: "b")]
        #expect(try LegacyContainerMD.decode(Self.encode(c, mtime: c.mtime)) == c)
    }

    /// Every truncation of every distinct record shape throws, never traps, and random bytes
    /// either decode or throw.
    @Test func truncatedAndRandomPayloadsThrowInsteadOfTrapping() throws {
        let bytes = try RepairTestFiles.readAll(Self.fixtures + "files.mdlog")
        let (records, _) = RepairTestFiles.legacyRecords(bytes)
        let updates = records.filter { $0.type == 1 }
        let sample = [updates[0], updates[updates.count / 2], updates.max { $0.payload.count < $1.payload.count }!]
        for r in sample {
            let full = try LegacyFileMD.decode(r.payload)
            // Bytes up to the end of the checksum are mandatory; the xattr map is optional.
            var fullName = full.name
            if let target = full.linkTarget { fullName += "//" + target }
            let mandatory = 56 + 2 + fullName.utf8.count + 1 + 2 + 4 * full.locations.count
                + 2 + 4 * full.unlinkedLocations.count + 12 + 1 + full.checksum.count
            r.payload.withUnsafeBytes { whole in
                for n in 0..<whole.count where n < mandatory + 64 || n % 61 == 0 {
                    let prefix = UnsafeRawBufferPointer(rebasing: whole[0..<n])
                    if n < mandatory {
                        #expect(throws: LegacyMetadataError.self) { _ = try LegacyFileMD.decode(prefix) }
                    } else {
                        _ = try? LegacyFileMD.decode(prefix)
                    }
                    _ = try? LegacyContainerMD.decode(prefix)
                }
            }
        }
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<2000 {
            let p = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? LegacyFileMD.decode(p)
            _ = try? LegacyContainerMD.decode(p)
        }
    }

    /// `ContainerMD::serialize`, for building test payloads.
    static func encode(_ c: LegacyContainerMD, mtime: LegacyTimestamp?) -> [UInt8] {
        var b: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        func string(_ s: String) { put(UInt16(s.utf8.count + 1)); b += Array(s.utf8) + [0] }
        put(c.id); put(c.parentId); put(c.flags)
        put(c.ctime.seconds); put(c.ctime.nanoseconds)
        put(c.uid); put(c.gid); put(c.mode); put(c.aclId)
        string(c.name)
        var pairs = c.extendedAttributes.map { ($0.key, $0.value) }
        if let mtime { pairs += [("sys.mtime.s", String(mtime.seconds)), ("sys.mtime.ns", String(mtime.nanoseconds))] }
        put(UInt16(pairs.count))
        for (k, v) in pairs { string(k); string(v) }
        while b.count % 4 != 0 { b.append(0) }
        return b
    }
}
