import Changelog
import Glibc
import Testing
import LegacyEOS

/// A small, realistic native corpus committed under `Tests/Fixtures/native/`, written by this
/// project's own code from the legacy EOS fixture logs (genuine FileMD / ContainerMD payloads):
///
/// * `files.beryl.mdlog`: the first 120 records of `files.mdlog` (stamp left out) as single
///   frames, then one LZ4 block of the next 40, then deletes of the ids ending in 3 among the first 60, then a compaction stamp.
/// * `directories.beryl.mdlog`: the first 80 records of `directories.mdlog`, one frame each.
/// * `files.compacted.beryl.mdlog`: `Compactor.compact` of the files log (LZ4 blocks).
/// * `directories.damaged.beryl.mdlog`: the directories log with three damaged regions.
/// * `<log>.records.tsv`: what each log must read back as (golden); for the damaged log,
///   `directories.damaged.findings.tsv` lists the findings `Verifier.verify` must report.
///
/// The golden test fails if the format, reader or verifier changes what these committed bytes
/// mean. Regenerate (only after a deliberate format change) with
/// `BERYL_REGENERATE_FIXTURES=1 swift test --filter NativeCorpusTests`.
@Suite("Native test corpus", .serialized)
struct NativeCorpusTests {
    static let directory: String = {
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)
        return parts.joined(separator: "/") + "/Fixtures/native/"
    }()
    static let logs = ["files.beryl.mdlog", "directories.beryl.mdlog", "files.compacted.beryl.mdlog"]
    static let damaged = "directories.damaged.beryl.mdlog"
    static let regenerate = getenv("BERYL_REGENERATE_FIXTURES") != nil

    @Test func committedLogsReadBackAsTheirGoldenListings() throws {
        for name in Self.logs {
            let expected = try Self.text(Self.directory + name.replacingSuffix(".mdlog", with: ".records.tsv"))
            #expect(try Self.listing(Self.directory + name) == expected, "\(name) no longer reads back as committed")
            let report = Verifier.verify(path: Self.directory + name)
            #expect(report.isClean, "\(name): \(report.findings)")
        }
    }

    @Test func committedPayloadsAreTheLegacyObjects() throws {
        var decoded = 0
        _ = try Changelog.open(at: Self.directory + "files.beryl.mdlog", configuration: .readOnly) { r in
            if r.type == .update, let f = try? LegacyFileMD.decode(r.copyPayload()), f.id == r.id { decoded += 1 }
        }
        #expect(decoded == 160)
        let stats = try LogStatistics.compute(try Changelog.open(at: Self.directory + "files.beryl.mdlog", configuration: .readOnly))
        let compacted = try Self.text(Self.directory + "files.compacted.beryl.records.tsv")
        #expect(stats.liveRecords == compacted.split(separator: "\n").count - 2)   // header line and stamp
    }

    @Test func damagedLogReportsItsGoldenFindings() throws {
        let expected = try Self.text(Self.directory + "directories.damaged.findings.tsv")
        #expect(Self.findings(Self.directory + Self.damaged) == expected)
        let report = try LogRepair.verify(Self.directory + Self.damaged)
        #expect(report.notFixed == 3)
        #expect(report.healthy == 76)   // 80 records; the 600-byte region spans two
    }

    /// Only on request, and only with the EOS fixtures (the corpus is made from their payloads).
    @Test(.enabled(if: regenerate), .enabled(if: EOSFixtures.available, Comment(rawValue: EOSFixtures.skipReason)))
    func regenerateCorpus() throws {
        let fixtures = RepairTestFiles.fixturesDirectory()
        for name in Self.logs + [Self.damaged] { unlink(Self.directory + name) }
        let files = Self.legacyRecords(fixtures + "files.mdlog", count: 160)
        let log = try Changelog.open(at: Self.directory + "files.beryl.mdlog",
                                     configuration: .init(contentKind: .files, durability: .none))
        for r in files.prefix(120) { try log.append(r.type, payload: r.payload) }
        try log.append(batch: files.dropFirst(120).map { PendingRecord($0.type, payload: $0.payload) }, packing: .compressedBlock)
        var deleted = Set<UInt64>()
        for r in files.prefix(60) where r.type == .update && r.id % 10 == 3 && deleted.insert(r.id).inserted {
            try log.append(.delete, payload: Array(r.payload[0..<8]))
        }
        try log.appendCompactionStamp()
        log.close()
        _ = try Compactor.compact(inputPath: Self.directory + "files.beryl.mdlog",
                                  outputPath: Self.directory + "files.compacted.beryl.mdlog")
        let dirs = try Changelog.open(at: Self.directory + "directories.beryl.mdlog",
                                      configuration: .init(contentKind: .directories, durability: .none))
        for r in Self.legacyRecords(fixtures + "directories.mdlog", count: 80) { try dirs.append(r.type, payload: r.payload) }
        dirs.close()
        for name in Self.logs {
            try Self.write(Array(try Self.listing(Self.directory + name).utf8),
                           to: Self.directory + name.replacingSuffix(".mdlog", with: ".records.tsv"))
        }
        var bytes = try RepairTestFiles.readAll(Self.directory + "directories.beryl.mdlog")
        for (at, length) in [(bytes.count / 20, 3), (bytes.count / 2, 1), (bytes.count * 3 / 4, 600)] {
            for i in at..<(at + length) { bytes[i] ^= 0x5A }
        }
        try Self.write(bytes, to: Self.directory + Self.damaged)
        try Self.write(Array(Self.findings(Self.directory + Self.damaged).utf8),
                       to: Self.directory + "directories.damaged.findings.tsv")
    }

    /// `offset slot sequence type id size crc32(payload)` per record, after a header line.
    static func listing(_ path: String) throws -> String {
        var out = "offset\tslot\tsequence\ttype\tid\tsize\tpayload_crc32\n"
        _ = try Changelog.open(at: path, configuration: .readOnly) { r in
            let crc = String(LegacyFormat.crc32(r.payload), radix: 16)
            out += "\(r.position.offset.rawValue)\t\(r.position.slot)\t\(r.sequence)\t\(r.type)\t\(r.id.map(String.init) ?? "-")\t\(r.payload.count)\t\(crc)\n"
        }
        return out
    }

    static func findings(_ path: String) -> String {
        Verifier.verify(path: path).findings.map { "\($0.offset.rawValue)\t\($0.length)\n" }.joined()
    }

    static func legacyRecords(_ path: String, count: Int) -> [(type: RecordType, id: UInt64, payload: [UInt8])] {
        let bytes = (try? RepairTestFiles.readAll(path)) ?? []
        return RepairTestFiles.legacyRecords(bytes).records.filter { $0.type != 3 }.prefix(count).map { r in
            (RecordType(rawValue: r.type), r.payload.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }, r.payload)
        }
    }

    static func text(_ path: String) throws -> String { String(decoding: try RepairTestFiles.readAll(path), as: UTF8.self) }

    static func write(_ bytes: [UInt8], to path: String) throws {
        unlink(path)
        try RepairTestFiles.write(bytes, to: path)
    }
}

extension String {
    func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}
