import BerylTestSupport
import Changelog
import Glibc
import Synchronization
import Testing
@testable import Namespace

/// A data directory whose two logs do not belong together (one missing or empty beside records)
/// is refused at boot, changing nothing; `allowMissingLog` boots it and says what the lost+found
/// repair moves before it writes anything.
@Suite struct LogPairTests {
    /// A namespace of 3 directories and 20 files, closed.
    static func populated() throws -> TemporaryDirectory {
        let dir = TemporaryDirectory()
        let ns = try Namespace.boot(dir.configuration())
        let run = try ns.createContainer("/eos/run", missingParents: .create)
        for i in 0..<20 { _ = try ns.createFile(named: "f\(i)", in: run) }
        ns.close()
        return dir
    }

    static func expectRefusal(_ dir: TemporaryDirectory, role: Role,
                              path: String, state: String) {
        let before = DirectorySnapshot(dir.path)
        #expect {
            _ = try Namespace.boot(dir.configuration(role: role))
        } throws: { error in
            guard case .incompleteLogPair(let finding) = error as? NamespaceError else { return false }
            let line = finding.description
            return finding.path == dir.path + "/" + path && line.contains("\(path) \(state) while ")
                && line.contains("holds records") && line.contains("--allow-missing-log") && !line.contains("\n")
        }
        #expect(DirectorySnapshot(dir.path) == before, "the refused boot changed the data directory")
    }

    @Test(arguments: [Role.masterReadWrite, .masterReadOnly])
    func missingDirectoriesLogIsRefused(role: Role) throws {
        let dir = try Self.populated()
        defer { dir.remove() }
        unlink(dir.path + "/directories.mdlog")
        Self.expectRefusal(dir, role: role, path: "directories.mdlog", state: "is missing")
    }

    @Test func emptyDirectoriesLogIsRefused() throws {
        let dir = try Self.populated()
        defer { dir.remove() }
        // Keep the header only: a log with no records.
        #expect(truncate(dir.path + "/directories.mdlog", off_t(RecordFormat.fileHeaderSize)) == 0)
        #expect(LogPairCheck.content(of: dir.path + "/directories.mdlog") == .empty)
        Self.expectRefusal(dir, role: .masterReadWrite, path: "directories.mdlog", state: "is empty")
        #expect(truncate(dir.path + "/directories.mdlog", 0) == 0)
        Self.expectRefusal(dir, role: .masterReadWrite, path: "directories.mdlog", state: "is empty")
    }

    @Test func missingFilesLogIsRefused() throws {
        let dir = try Self.populated()
        defer { dir.remove() }
        unlink(dir.path + "/files.mdlog")
        Self.expectRefusal(dir, role: .masterReadWrite, path: "files.mdlog", state: "is missing")
    }

    /// No false refusals: a new directory, and a namespace without files (its files log is empty).
    @Test func newAndFilelessNamespacesBoot() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let ns = try Namespace.boot(dir.configuration())
        _ = try ns.createContainer("/only/directories", missingParents: .create)
        ns.close()
        #expect(LogPairCheck.content(of: dir.path + "/files.mdlog") == .empty)
        let again = try Namespace.boot(dir.configuration())
        #expect(again.containerCount == 3 && again.bootReport.repairs.isEmpty)
        again.close()
    }

    /// With `allowMissingLog`, the lost+found line reaches the master log (and its sink) before a
    /// single repair record is written, and says how many entries move and why.
    @Test func allowedMissingLogSaysWhatMovesBeforeWriting() throws {
        let dir = try Self.populated()
        defer { dir.remove() }
        let filesLog = dir.path + "/files.mdlog"
        let recordsBefore = Verifier.verify(path: filesLog).records
        unlink(dir.path + "/directories.mdlog")
        let seen = Mutex<[(message: String, records: Int)]>([])
        var config = dir.configuration()
        config.allowMissingLog = true
        config.masterLog = MasterLogOptions(sink: { line in
            let records = Verifier.verify(path: filesLog).records
            seen.withLock { $0.append((line.message, records)) }
        })
        let ns = try Namespace.boot(config)
        defer { ns.close() }
        let lines = seen.withLock { $0 }
        let moving = try #require(lines.first { $0.message.hasPrefix("boot: moving ") })
        #expect(moving.message.hasPrefix("boot: moving 20 entries to /lost+found (20 whose parent is missing"), "\(moving.message)")
        #expect(moving.message.contains("writing "))
        #expect(moving.records == recordsBefore, "repair records were written before the line")
        #expect(ns.bootReport.repairsPersisted && ns.bootReport.repairs.count == 20)
        #expect(ns.masterLog.lines.contains { $0.level == .warning && $0.message == moving.message })
        #expect(Verifier.verify(path: filesLog).records > recordsBefore)
    }
}
