import Changelog
import Testing
import LegacyEOS

@Suite("Legacy EOS format")
struct LegacyFormatTests {
    @Test func headerFlagsWordRoundTrips() throws {
        let h = LegacyHeader(version: 1, contentFlag: 1, userFlags: .compacted)
        #expect(h.encoded() == [0x47, 0x48, 0x43, 0x45, 0x01, 0x01, 0x00, 0x01])
        #expect(h.flagsWord == 0x0100_0101)
        let decoded = try h.encoded().withUnsafeBytes { b in try LegacyHeader.decode(b, path: "x") }
        #expect(decoded == h)
        let bad: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7]
        #expect(throws: ChangelogError.self) { try bad.withUnsafeBytes { b in _ = try LegacyHeader.decode(b, path: "x") } }
    }

    @Test func writerAndScannerRoundTrip() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let path = dir + "/log.mdlog"
        let writer = try LegacyLogWriter.create(at: path, header: LegacyHeader(contentFlag: 2))
        var rng = SeededGenerator(seed: 7)
        var payloads: [[UInt8]] = []
        for i in 0..<500 {
            let p = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            payloads.append(p)
            let offset = try writer.append(i % 7 == 0 ? .delete : .update, payload: p)
            #expect(offset.rawValue % 4 == 0)
        }
        try writer.addCompactionMark()
        try writer.close()
        #expect(throws: ChangelogError.self) { try LegacyLogWriter.create(at: path, header: LegacyHeader(contentFlag: 2)) }
        let bytes = try RepairTestFiles.readAll(path)
        #expect(bytes[0..<8].elementsEqual([0x47, 0x48, 0x43, 0x45, 0x01, 0x02, 0x00, 0x01]))
        let (records, result) = RepairTestFiles.legacyRecords(bytes)
        #expect(result.failure == nil)
        #expect(result.end == bytes.count)
        #expect(records.count == 501)
        for (i, p) in payloads.enumerated() {
            #expect(records[i].type == (i % 7 == 0 ? 2 : 1))
            #expect(records[i].payload.count == (p.count + 3) / 4 * 4)
            #expect(records[i].payload.prefix(p.count).elementsEqual(p))
        }
        #expect(records[500].type == 3 && records[500].payload == Array("DUMMY\0\0\0".utf8))
    }

    @Test func writerRefusesRecordsTooBig() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let writer = try LegacyLogWriter.create(at: dir + "/big.mdlog", header: LegacyHeader(contentFlag: 1))
        try writer.append(.update, payload: [UInt8](repeating: 1, count: LegacyFormat.maximumPayload))
        #expect(throws: ChangelogError.self) { try writer.append(.update, payload: [UInt8](repeating: 1, count: LegacyFormat.maximumPayload + 1)) }
        try writer.close()
    }

    /// The scanner lists a written namespace log record by record (offset, type, padded size) and
    /// recognises it as an EOS log by its magic.
    @Test func scannerListsAWrittenNamespaceLog() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let corpus = try LegacyCorpus.write(in: dir)
        for log in [corpus.filesLog, corpus.directoriesLog] {
            let bytes = try RepairTestFiles.readAll(log.path)
            let (records, result) = RepairTestFiles.legacyRecords(bytes)
            #expect(result.failure == nil && result.end == bytes.count)
            #expect(records.count == log.records.count)
            for (r, w) in zip(records, log.records) {
                #expect(r.offset == w.offset && r.type == w.type.rawValue && r.payload.count == w.length - LegacyFormat.recordOverhead)
            }
            #expect(bytes.withUnsafeBytes { LogFormat.detect($0) } == .eos)
        }
    }
}

extension EOSFixtureTests {
    /// The scanner reads the genuine EOS fixtures exactly as EOS's scanner listed them.
    @Test func scannerMatchesEOSListing() throws {
        let bytes = try RepairTestFiles.readAll(RepairTestFiles.fixturesDirectory() + "files.mdlog")
        let listing = try RepairTestFiles.readAll(RepairTestFiles.fixturesDirectory() + "files.records.tsv")
        let lines = String(decoding: listing, as: UTF8.self).split(separator: "\n").dropFirst()
        let (records, result) = RepairTestFiles.legacyRecords(bytes)
        #expect(result.failure == nil)
        #expect(records.count == lines.count)
        for (r, line) in zip(records, lines) {
            let f = line.split(separator: "\t")
            #expect(Int(f[1]) == r.offset && UInt8(f[2]) == r.type && Int(f[3]) == r.payload.count)
        }
        #expect(bytes.withUnsafeBytes { LogFormat.detect($0) } == .eos)
    }
}
