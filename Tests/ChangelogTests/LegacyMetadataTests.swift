import Changelog
import Testing
import LegacyEOS
import Namespace

@Suite("Legacy metadata decoders")
struct LegacyMetadataTests {
    /// A written legacy namespace replays to exactly what was written, and lists every entry
    /// under its path (containers, files, symlinks as `l`, unlinked files as `-`).
    @Test func replayedWrittenNamespaceMatchesWhatWasWritten() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let corpus = try LegacyCorpus.write(in: dir)
        let files = try LegacyLogFile(path: corpus.filesLog.path)
        let directories = try LegacyLogFile(path: corpus.directoriesLog.path)
        #expect(files.header?.contentFlag == 1 && files.header?.userFlags.contains(.compacted) == true)
        #expect(directories.header?.contentFlag == 2)
        let ns = LegacyNamespace.replay(filesLog: files, directoriesLog: directories)
        #expect(ns.problems.isEmpty, "\(ns.problems)")
        #expect(ns.containers == corpus.containers)
        #expect(ns.files == corpus.files)
        let lines = ns.listing().split(separator: "\n")
        #expect(lines.first.map(String.init) == NamespaceListing.header)
        #expect(lines.count == 1 + corpus.containers.count + corpus.files.count)
        func path(_ container: UInt64) -> String {
            var parts: [String] = []
            var c = corpus.containers[container]!
            while !c.isRoot { parts.append(c.name); c = corpus.containers[c.parentId]! }
            return "/" + parts.reversed().map { $0 + "/" }.joined()
        }
        var expectedPaths = Set(corpus.containers.keys.map(path))
        for f in corpus.files.values { expectedPaths.insert(f.containerId == 0 ? "-" : path(f.containerId) + f.name) }
        let paths = Set(lines.dropFirst().map { String($0.split(separator: "\t", omittingEmptySubsequences: false).last!) })
        #expect(paths == expectedPaths)
        let kinds = lines.dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false)[3] }
        #expect(kinds.filter { $0 == "l" }.count == corpus.files.values.filter(\.isSymbolicLink).count)
    }

    /// Symlinks, unlinked files and container mtimes decode as written; encode and decode are inverses.
    @Test func decodesWrittenSymlinksUnlinkedFilesAndContainerMtimes() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let corpus = try LegacyCorpus.write(in: dir)
        let ns = LegacyNamespace.replay(filesLog: try LegacyLogFile(path: corpus.filesLog.path),
                                        directoriesLog: try LegacyLogFile(path: corpus.directoriesLog.path))
        let links = ns.files.values.filter(\.isSymbolicLink)
        #expect(!links.isEmpty)
        #expect(links.allSatisfy { $0.mode == 0o120777 && !$0.name.contains("//") && $0.linkTarget?.hasPrefix("../") == true })
        let unlinked = ns.files.values.filter { $0.containerId == 0 }
        #expect(!unlinked.isEmpty && unlinked.allSatisfy { !$0.unlinkedLocations.isEmpty && $0.locations.isEmpty })
        #expect(try #require(ns.containers[1]).isRoot)
        #expect(ns.containers.values.allSatisfy { c in !c.extendedAttributes.contains { $0.key.hasPrefix("sys.mtime.") } })
        #expect(ns.containers.values.allSatisfy { $0.mtime != $0.ctime })
        for f in corpus.files.values { #expect(try LegacyFileMD.decode(f.encoded()) == f) }
        for c in corpus.containers.values { #expect(try LegacyContainerMD.decode(c.encoded()) == c) }
    }

    /// Truncations of written FileMD payloads throw, never trap.
    @Test func truncatedWrittenPayloadsThrowInsteadOfTrapping() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let corpus = try LegacyCorpus.write(in: dir, files: 120, containers: 10)
        try Self.expectTruncationsThrow(corpus.filesLog.records.filter { $0.type == .update }.map(\.payload))
    }

    @Test func containerMtimeDefaultsToCtime() throws {
        var c = LegacyContainerMD(id: 5, parentId: 1, ctime: LegacyTimestamp(seconds: 7, nanoseconds: 9), name: "x")
        let decoded = try LegacyContainerMD.decode(Self.encode(c, mtime: nil))
        #expect(decoded.mtime == c.ctime)
        c.mtime = LegacyTimestamp(seconds: 1_600_000_000, nanoseconds: 12)
        c.extendedAttributes = [LegacyExtendedAttribute(key: "user.a", value: "b")]
        #expect(try LegacyContainerMD.decode(Self.encode(c, mtime: c.mtime)) == c)
    }

    /// Every truncation of the first, a middle and the largest update throws (below the mandatory
    /// fields), never traps, and random bytes either decode or throw.
    static func expectTruncationsThrow(_ payloads: [[UInt8]]) throws {
        let sample = [payloads[0], payloads[payloads.count / 2], payloads.max { $0.count < $1.count }!]
        for payload in sample {
            let full = try LegacyFileMD.decode(payload)
            // Bytes up to the end of the checksum are mandatory; the xattr map is optional.
            var fullName = full.name
            if let target = full.linkTarget { fullName += "//" + target }
            let mandatory = 56 + 2 + fullName.utf8.count + 1 + 2 + 4 * full.locations.count
                + 2 + 4 * full.unlinkedLocations.count + 12 + 1 + full.checksum.count
            payload.withUnsafeBytes { whole in
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

extension EOSFixtureTests {
    @Test func replayedFixtureNamespaceMatchesTheExpectedListing() throws {
        let files = try LegacyLogFile(path: EOSFixtures.directory + "files.mdlog")
        let directories = try LegacyLogFile(path: EOSFixtures.directory + "directories.mdlog")
        #expect(files.header?.contentFlag == 1)
        #expect(directories.header?.contentFlag == 2)
        let ns = LegacyNamespace.replay(filesLog: files, directoriesLog: directories)
        #expect(ns.problems.isEmpty, "\(ns.problems)")
        #expect(ns.containers.count == 357)
        #expect(ns.files.count == 2380)
        let expected = String(decoding: try RepairTestFiles.readAll(EOSFixtures.directory + "namespace-expected.tsv"), as: UTF8.self)
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
        let files = try LegacyLogFile(path: EOSFixtures.directory + "files.mdlog")
        let directories = try LegacyLogFile(path: EOSFixtures.directory + "directories.mdlog")
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

    @Test func fixturePayloadTruncationsThrowInsteadOfTrapping() throws {
        let bytes = try RepairTestFiles.readAll(EOSFixtures.directory + "files.mdlog")
        let (records, _) = RepairTestFiles.legacyRecords(bytes)
        try LegacyMetadataTests.expectTruncationsThrow(records.filter { $0.type == 1 }.map(\.payload))
    }
}
