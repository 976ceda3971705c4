import BerylTestSupport
import Changelog
import Foundation
import Glibc
import Testing
import Platform

/// The offline tools as a user runs them: exit statuses that say what happened, inputs that are not
/// regular files refused at once (a FIFO never blocks them), outputs never replaced, and every
/// tool's --help listing its exit statuses.
@Suite struct ToolExitCodeTests {
    static var haveTools: Bool { ["beryl", "beryl-mgm", "log-repair"].allSatisfy { ChildProcess.sibling($0) != nil } }

    static func tool(_ name: String, _ arguments: [String], timeout: Duration = .seconds(30)) throws -> ProgramRun {
        try ProgramRun.run(try #require(ChildProcess.sibling(name)), arguments, timeout: timeout)
    }

    static func scratch() -> String { TestServer.temporaryDirectory() }

    @Test(.enabled(if: haveTools, "build the executables first (swift build)"))
    func forcedFormatThatRecoversNothingExitsOne() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpus = try LegacyCorpus.write(in: dir, files: 50, containers: 5)
        let wrong = try Self.tool("log-repair", [corpus.filesLog.path, dir + "/out", "--format", "beryl"])
        #expect(wrong.status == 1, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("no record recovered") && wrong.stderr.contains("the file is a legacy EOS log"), "\(wrong.stderr)")
        #expect(!FileSystem.entryExists(dir + "/out"))
        let right = try Self.tool("log-repair", [corpus.filesLog.path, dir + "/out", "--format", "eos"])
        #expect(right.status == 0 && FileSystem.exists(dir + "/out"), "\(right.stderr)")
    }

    @Test(.enabled(if: haveTools, "build the executables first (swift build)"))
    func statsOnADamagedLogSaysSoAndExitsOne() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A legacy log with three damaged records.
        let corpus = try LegacyCorpus.write(in: dir, files: 60, containers: 5)
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: corpus.filesLog.path)))
        let victims = [10, 20, 30].map { corpus.filesLog.records[$0] }
        for r in victims { bytes[r.offset + 29] ^= 0x55 }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/legacy.broken"))
        // A native log with one damaged record.
        let native = try Changelog.open(at: dir + "/native.mdlog", configuration: .init(contentKind: .files, durability: .none))
        var positions: [UInt64] = []
        for i in 0..<100 { positions.append(try native.append(.update, payload: [UInt8](repeating: UInt8(i), count: 100)).position.offset.rawValue) }
        native.close()
        var nativeBytes = try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/native.mdlog")))
        nativeBytes[Int(positions[50]) + 40] ^= 0xFF
        try Data(nativeBytes).write(to: URL(fileURLWithPath: dir + "/native.broken"))

        for (file, spans) in [("legacy.broken", 3), ("native.broken", 1)] {
            let run = try Self.tool("beryl", ["log", "stats", dir + "/" + file])
            #expect(run.status == 1, "\(file): \(run.stdout) \(run.stderr)")
            let line = run.stdout.split(separator: "\n").first { $0.hasPrefix("damaged:") }
            #expect(line?.contains("\(spans) span") == true && line?.contains(" bytes: 0x") == true, "\(run.stdout)")
            let allowed = try Self.tool("beryl", ["log", "stats", "--allow-damage", dir + "/" + file])
            #expect(allowed.status == 0 && allowed.stdout.contains("damaged:"), "\(allowed.stderr)")
        }
        let clean = try Self.tool("beryl", ["log", "stats", corpus.directoriesLog.path])
        #expect(clean.status == 0 && !clean.stdout.contains("damaged"))
    }

    /// Every offline tool refuses a FIFO (and a directory) at once instead of blocking on it.
    @Test(.enabled(if: haveTools, "build the executables first (swift build)"))
    func nonRegularInputsAreRefusedAtOnce() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fifo = dir + "/fifo.mdlog"
        #expect(mkfifo(fifo, 0o644) == 0)
        mkdir(dir + "/pair", 0o755)
        #expect(mkfifo(dir + "/pair/files.mdlog", 0o644) == 0 && mkfifo(dir + "/pair/directories.mdlog", 0o644) == 0)
        let runs: [(String, [String])] = [
            ("beryl", ["log", "verify", fifo]), ("beryl", ["log", "dump", fifo]), ("beryl", ["log", "stats", fifo]),
            ("beryl", ["log", "compact", fifo, dir + "/c.out"]), ("beryl", ["log", "convert", "--from-eos", fifo, dir + "/v.out"]),
            ("beryl", ["log", "tree", dir + "/pair"]), ("beryl", ["ns", "stat", "--data", dir + "/pair"]),
            ("log-repair", [fifo, dir + "/r.out"]), ("beryl", ["log", "verify", dir + "/pair"]),
        ]
        for (name, arguments) in runs {
            let started = ContinuousClock.now
            let run = try Self.tool(name, arguments, timeout: .seconds(20))
            #expect(ContinuousClock.now - started < .seconds(10), "\(name) \(arguments) blocked")
            #expect(run.status != 0 && run.stderr.contains("not a regular file"), "\(name) \(arguments): \(run.status) \(run.stderr)")
        }
        for out in ["c.out", "v.out", "r.out"] { #expect(!FileSystem.entryExists(dir + "/" + out)) }
    }

    /// `log convert` replaces nothing at its output path: a file, a directory, a FIFO, a dangling link.
    @Test(.enabled(if: haveTools, "build the executables first (swift build)"))
    func convertRefusesAnExistingOutputOfAnyKind() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpus = try LegacyCorpus.write(in: dir, files: 20, containers: 3)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/file"))
        mkdir(dir + "/directory", 0o755)
        mkfifo(dir + "/fifo", 0o644)
        symlink(dir + "/nowhere", dir + "/link")
        for name in ["file", "directory", "fifo", "link"] {
            let before = DirectorySnapshot(dir)
            let run = try Self.tool("beryl", ["log", "convert", "--from-eos", corpus.filesLog.path, dir + "/" + name], timeout: .seconds(20))
            #expect(run.status == 1 && run.stderr.contains("file already exists"), "\(name): \(run.stderr)")
            #expect(DirectorySnapshot(dir) == before, "\(name) was touched")
        }
        #expect(!FileSystem.entryExists(dir + "/nowhere"), "the link's target was created")
        #expect(try Self.tool("beryl", ["log", "convert", "--from-eos", corpus.filesLog.path, dir + "/new.mdlog"]).status == 0)
    }

    @Test(.enabled(if: haveTools, "build the executables first (swift build)"))
    func everyToolListsItsExitStatuses() throws {
        let helps: [(String, [String])] = [
            ("beryl", ["--help"]), ("beryl", ["log", "verify", "--help"]), ("beryl", ["log", "dump", "--help"]),
            ("beryl", ["log", "stats", "--help"]), ("beryl", ["log", "compact", "--help"]),
            ("beryl", ["log", "convert", "--help"]), ("beryl", ["log", "tree", "--help"]), ("beryl", ["ns", "stat", "--help"]),
            ("beryl", ["demo", "--help"]), ("beryl-mgm", ["serve", "--help"]), ("beryl-mgm", ["tag", "--help"]),
            ("log-repair", ["--help"]),
        ]
        for (name, arguments) in helps {
            let run = try Self.tool(name, arguments)
            #expect(run.status == 0 && run.stdout.contains("Exit status"), "\(name) \(arguments.joined(separator: " "))")
        }
    }
}
