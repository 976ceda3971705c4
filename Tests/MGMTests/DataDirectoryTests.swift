import BerylTestSupport
import Foundation
import Glibc
import MGM
import Namespace
import Replication
import Testing
import XRootD

/// What `beryl-mgm` refuses to do to a data directory (each refusal is one line, exit status 1, and
/// leaves the directory byte-identical), and the master log in the service log and across restarts.
@Suite struct DataDirectoryTests {
    static var haveMGM: Bool { ChildProcess.sibling("beryl-mgm") != nil }

    /// Runs `beryl-mgm` and returns the run and its non-empty stderr lines.
    static func mgm(_ arguments: [String]) throws -> (run: ProgramRun, lines: [Substring]) {
        let run = try ProgramRun.run(try #require(ChildProcess.sibling("beryl-mgm")), arguments, timeout: .seconds(30))
        return (run, run.stderr.split(separator: "\n"))
    }

    @Test(.enabled(if: haveMGM, "build the executables first (swift build)"))
    func serveRefusesAMissingOrUntaggedDirectory() throws {
        let parent = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let typo = parent + "/typo"
        let missing = try Self.mgm(["serve", "--data", typo, "--listen", "127.0.0.1:0"])
        #expect(missing.run.status == 1 && missing.lines.count == 1, "\(missing.run.stderr)")
        #expect(missing.run.stderr.contains("data directory \(typo) does not exist") && missing.run.stderr.contains("beryl-mgm tag"))
        #expect(access(typo, F_OK) != 0, "serve created the mistyped directory")

        let before = DirectorySnapshot(parent)
        let untagged = try Self.mgm(["serve", "--data", parent, "--listen", "127.0.0.1:0"])
        #expect(untagged.run.status == 1 && untagged.lines.count == 1, "\(untagged.run.stderr)")
        #expect(untagged.run.stderr.contains("was never tagged") && untagged.run.stderr.contains("beryl-mgm tag master --data \(parent)"))
        #expect(DirectorySnapshot(parent) == before)
    }

    @Test(.enabled(if: haveMGM, "build the executables first (swift build)"))
    func tagCreatesOnlyTheLastComponent() throws {
        let parent = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let deep = try Self.mgm(["tag", "master", "--data", parent + "/a/b"])
        #expect(deep.run.status == 1 && deep.lines.count == 1, "\(deep.run.stderr)")
        #expect(deep.run.stderr.contains("its parent \(parent)/a does not exist"))
        #expect(access(parent + "/a", F_OK) != 0, "tag created a parent directory")
        let made = try Self.mgm(["tag", "master", "--data", parent + "/a"])
        #expect(made.run.status == 0, "\(made.run.stderr)")
        #expect(made.run.stdout == "\(parent)/a: untagged (a slave) -> master\n", "\(made.run.stdout)")
        #expect(RoleFile.readTag(in: parent + "/a") == RoleTag(role: .masterReadWrite, epoch: 0))
        let again = try Self.mgm(["tag", "slave", "--data", parent + "/a"])
        #expect(again.run.stdout == "\(parent)/a: master -> slave\n", "\(again.run.stdout)")
    }

    @Test(.enabled(if: haveMGM, "build the executables first (swift build)"))
    func tagRefusesADirectoryARunningServerHolds() throws {
        let server = try TestServer(role: nil, directory: Self.taggedDirectory(.masterReadWrite))
        defer { server.stop() }
        _ = try server.namespace.createContainer("/held", missingParents: .create)
        let before = DirectorySnapshot(server.directory)
        let refused = try Self.mgm(["tag", "slave", "--data", server.directory])
        #expect(refused.run.status == 1 && refused.lines.count == 1, "\(refused.run.stderr)")
        #expect(refused.run.stderr.contains("is locked by a running server"))
        #expect(DirectorySnapshot(server.directory) == before, "\(before) -> \(DirectorySnapshot(server.directory))")
        #expect(RoleFile.read(in: server.directory) == .masterReadWrite)
    }

    /// A master whose directories log is lost does not start (one line naming the file and what the
    /// other holds); with --allow-missing-log it starts and says what it moves before moving it.
    @Test(.enabled(if: haveMGM, "build the executables first (swift build)"))
    func serveRefusesALostDirectoriesLog() throws {
        let directory = try Self.taggedDirectory(.masterReadWrite)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try TestServer(role: nil, directory: directory)
        _ = try first.namespace.createContainer("/eos/run", missingParents: .create)
        for i in 0..<10 { _ = try first.namespace.createFile("/eos/run/f\(i)") }
        first.stop(removing: false)
        unlink(directory + "/directories.mdlog")

        let before = DirectorySnapshot(directory)
        let refused = try Self.mgm(["serve", "--data", directory, "--listen", "127.0.0.1:0"])
        #expect(refused.run.status == 1 && refused.lines.count == 1, "\(refused.run.stderr)")
        #expect(refused.run.stderr.contains("\(directory)/directories.mdlog is missing while \(directory)/files.mdlog holds records"))
        #expect(refused.run.stderr.contains("--allow-missing-log"))
        #expect(DirectorySnapshot(directory) == before, "the refused start changed the data directory")

        let log = CollectedLog()
        let allowed = try TestServer(role: nil, directory: directory, logger: log.logger) { $0.allowMissingLog = true }
        defer { allowed.stop(removing: false) }
        let moving = log.containing("boot: moving 10 entries to /lost+found")
        #expect(moving.count == 1 && moving.first?.level == .warning && moving.first?.source == "master-log")
        #expect(allowed.masterLog.lines(containing: "boot: moving 10 entries").count == 1)
        #expect(allowed.namespace.bootReport.repairsPersisted)
    }

    /// Master-log lines reach the service log once each, at their level, and the file in the data
    /// directory gives a restarted server the history since the first boot.
    @Test func masterLogReachesTheServiceLogAndSurvivesRestarts() throws {
        let log = CollectedLog()
        let first = try TestServer(logger: log.logger)
        let directory = first.directory
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let booted = log.containing("booted namespace in \(directory)")
        #expect(booted.count == 1 && booted.first?.level == .info && booted.first?.source == "master-log")
        _ = try first.namespace.createContainer("/eos/a", missingParents: .create)
        first.namespace.role = .masterReadWrite
        _ = try first.namespace.compact(.all)
        #expect(log.containing("compaction all: started").count == 1)
        // Its phases (prepare, compacting, commit) and its figures, once each.
        let phases = log.containing("compaction all of the directories log: ")
        #expect(phases.count == 4 && phases.allSatisfy { $0.level == .info && $0.source == "master-log" }, "\(phases.map(\.message))")
        #expect(phases.last?.message.contains("done elapsed=") == true)
        let root = try first.client(user: "root")
        let schedule = String(decoding: try root.readFile(AdminRequest.path(for: ["ns", "compact", "off"])), as: UTF8.self)
        #expect(AdminResult(encoded: schedule)?.returnCode == 0, "\(schedule)")
        root.disconnect()
        first.stop(removing: false)
        #expect(access(directory + "/master.log", F_OK) == 0)

        let second = try TestServer(directory: directory)
        defer { second.stop(removing: false) }
        let lines = second.masterLog.lines(containing: "booted namespace in \(directory)")
        #expect(lines.count == 2, "\(second.masterLog.text)")
        #expect(second.masterLog.lines(containing: "compaction schedule").count >= 1)
    }

    static func taggedDirectory(_ role: Role) throws -> String {
        let directory = TestServer.temporaryDirectory()
        try RoleFile.write(role, in: directory)
        return directory
    }
}
