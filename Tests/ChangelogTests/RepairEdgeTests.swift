import Changelog
import Testing
import Platform
import LegacyEOS

@Suite("Repair edge cases")
struct RepairEdgeTests {
    /// Truncated, empty, random and zero-filled inputs: a clear report or a typed error, never a
    /// crash; with an explicit format, either an output with at least one record or
    /// `.nothingRecovered` saying what the file is (and no output).
    @Test(arguments: ["truncated-eos", "truncated-beryl", "empty", "random", "zeros", "tiny"])
    func hostileInputs(kind: String) throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        var rng = SeededGenerator(seed: 3)
        var bytes: [UInt8]
        var legacyHealthy = 0
        switch kind {
        case "truncated-eos":
            // A written legacy log of random records, cut in the middle of record 554.
            let writer = try LegacyLogWriter.create(at: dir + "/l.eos", header: LegacyHeader(contentFlag: 0))
            var cut = 0
            for i in 0..<1000 {
                let offset = try writer.append(.update, payload: rng.bytes(4 * Int.random(in: 1...254, using: &rng)))
                if i == 554 { cut = Int(offset.rawValue) + 101 }
            }
            try writer.close()
            bytes = try RepairTestFiles.readAll(dir + "/l.eos")
            bytes.removeLast(bytes.count - cut)
            legacyHealthy = 554
        case "truncated-beryl":
            _ = try NativeRepairTests.makeLog(at: dir + "/n.beryl", count: 1000, rng: &rng)
            bytes = try RepairTestFiles.readAll(dir + "/n.beryl")
            bytes.removeLast(bytes.count / 3 + 5)
        case "empty": bytes = []
        case "random": bytes = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case "zeros": bytes = [UInt8](repeating: 0, count: 100_000)
        default: bytes = [0x47, 0x48, 0x43]
        }
        try Self.expectHostileInput(kind: kind, bytes, legacyHealthy: legacyHealthy, in: dir)
    }

    /// Repairs `bytes` in every format selection and checks the report, the output and the errors.
    static func expectHostileInput(kind: String, _ bytes: [UInt8], legacyHealthy: Int, in dir: String) throws {
        let input = dir + "/input"
        try RepairTestFiles.write(bytes, to: input)
        for format in FormatSelection.allCases {
            let output = dir + "/out-\(format.rawValue)"
            do {
                let r = try LogRepair.repair(input, to: output, format: format)
                #expect(r.scanned == r.healthy + r.notFixed)
                #expect(r.bytesTotal == UInt64(bytes.count))
                if bytes.count >= 64 { #expect(r.bytesAccepted + r.bytesDiscarded == r.bytesTotal) }
                #expect(FileSystem.exists(output))
                if kind == "truncated-eos" && format != .beryl { #expect(r.healthy == legacyHealthy && r.notFixed == 1) }
                if kind == "truncated-beryl" && format != .eos { #expect(r.healthy > 600 && r.notFixed == 1) }
                // The output is always a clean log of its format.
                let again = try LogRepair.verify(output, format: format == .automatic ? (r.format == .eos ? .eos : .beryl) : format)
                #expect(again.notFixed == 0 && again.healthy == r.healthy)
                if format != .automatic { #expect(r.healthy > 0) }
            } catch {
                // Under auto only "cannot tell the format"; forced, only "nothing recovered".
                #expect(error.code == (format == .automatic ? .notAChangelog : .nothingRecovered), "\(error)")
                if format != .automatic { #expect(error.detail.contains("the file is ")) }
                #expect(!FileSystem.entryExists(output))
            }
        }
    }

    /// An existing output is refused (typed error, exit 2 in the tool) and the input is untouched.
    @Test func existingOutputIsRefusedAndInputUntouched() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let corpus = try LegacyCorpus.write(in: dir, files: 100, containers: 5)
        var damaged = try RepairTestFiles.readAll(corpus.filesLog.path)
        _ = LegacyDamage.breakPayloads(&damaged, corpus.filesLog.records, every: 9)
        let input = dir + "/broken.mdlog"
        try RepairTestFiles.write(damaged, to: input)
        let before = try RepairTestFiles.readAll(input)
        let mtime = RepairTestFiles.modificationTime(input)
        try RepairTestFiles.write([1, 2, 3], to: dir + "/exists")
        #expect {
            try LogRepair.repair(input, to: dir + "/exists")
        } throws: { error in
            (error as? ChangelogError)?.code == .alreadyExists
        }
        #expect(try RepairTestFiles.readAll(dir + "/exists") == [1, 2, 3])
        _ = try LogRepair.repair(input, to: dir + "/fresh")
        #expect(try RepairTestFiles.readAll(input) == before)
        let after = RepairTestFiles.modificationTime(input)
        #expect(after.tv_sec == mtime.tv_sec && after.tv_nsec == mtime.tv_nsec)
        #expect(throws: ChangelogError.self) { try LogRepair.repair(dir + "/missing", to: dir + "/x") }
        #expect(!FileSystem.exists(dir + "/x"))
    }

    @Test func reportTextAndJSON() throws {
        var r = RepairReport(format: .eos, header: .ok(version: 1, content: 1))
        r.discardedSpans = [DiscardedSpan(start: 0x17d0, end: 0x1910, reason: .badMagic)]
        r.scanned = 3
        #expect(r.headerLine == "Header status: OK (version: 0x1, content: 0x1)")
        #expect(RepairReport.discardLine(r.discardedSpans[0]) == "error: discarded block from offset [ 17d0 <=> 1910 ] [ len=320 ] ")
        #expect(r.summaryLines[0] == "Scanned:                3")
        #expect(r.summaryLines[8] == "Fixed (wrong size):     0")
        #expect(r.summaryLines[9] == "Elapsed time:           0 m. 00 s.")
        #expect(RepairReport.readableTime(125.7) == "2 m. 05 s.")
        r.header = .broken("a \"quoted\"\nline")
        #expect(r.json.hasPrefix("{\"format\":\"eos\",\"header\":{\"status\":\"broken\",\"message\":\"a \\\"quoted\\\"\\nline\"},\"scanned\":3,"))
        #expect(r.json.hasSuffix("\"discardedSpans\":[{\"start\":6096,\"end\":6416,\"length\":320,\"reason\":\"bad magic\"}]}"))
    }
}

extension EOSFixtureTests {
    /// The EOS fixture `random-10000.mdlog` cut inside record 554: 554 records recovered, one not.
    @Test func truncatedFixtureIsRepairedUpToTheCut() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        var bytes = try RepairTestFiles.readAll(EOSFixtures.directory + "random-10000.mdlog")
        bytes.removeLast(bytes.count - 300_003)
        try RepairEdgeTests.expectHostileInput(kind: "truncated-eos", bytes, legacyHealthy: 554, in: dir)
    }
}

/// A forced format that recovers nothing is an error that names the file's format.
@Suite struct ForcedFormatTests {
    @Test func wrongForcedFormatSaysWhatTheFileIs() throws {
        let dir = RepairTestFiles.temporaryDirectory()
        defer { RepairTestFiles.removeDirectory(dir) }
        let corpus = try LegacyCorpus.write(in: dir, files: 50, containers: 5)
        #expect {
            try LogRepair.repair(corpus.filesLog.path, to: dir + "/out", format: .beryl)
        } throws: { error in
            let e = error as? ChangelogError
            return e?.code == .nothingRecovered && e?.detail.contains("the file is a legacy EOS log") == true
        }
        #expect(!FileSystem.entryExists(dir + "/out"))
        var rng = SeededGenerator(seed: 9)
        _ = try NativeRepairTests.makeLog(at: dir + "/native.mdlog", count: 50, rng: &rng)
        #expect(throws: ChangelogError.self) { try LogRepair.verify(dir + "/native.mdlog", format: .eos) }
        try RepairTestFiles.write(rng.bytes(4096), to: dir + "/random")
        #expect {
            try LogRepair.repair(dir + "/random", to: dir + "/out", format: .eos)
        } throws: { error in
            (error as? ChangelogError)?.detail.contains("neither a Beryl nor a legacy EOS log") == true
        }
        // A valid log of the forced format with no records is not an error.
        try LegacyLogWriter.create(at: dir + "/empty.mdlog", header: LegacyHeader(contentFlag: 1)).close()
        #expect(try LogRepair.repair(dir + "/empty.mdlog", to: dir + "/empty.out", format: .eos).healthy == 0)
    }
}
