import BerylTestSupport
import Foundation
import Namespace
import Platform
import Testing

/// The offline tools and checkpoints, as an operator runs them (issue 18): `beryl log compact
/// --data` writes one, `beryl log verify` checks it whole and against the logs beside it, and
/// `beryl ns stat --data` says which way the boot went; a damaged checkpoint is named by both and
/// the boot falls back to the full replay with the same namespace.
@Suite struct CheckpointToolTests {
    static func tool(_ arguments: [String]) throws -> ProgramRun {
        try ProgramRun.run(try #require(ChildProcess.sibling("beryl")), arguments, timeout: .seconds(60))
    }

    @Test(.enabled(if: ToolExitCodeTests.haveTools, "build the executables first (swift build)"))
    func compactWritesACheckpointThatVerifyAndNsStatUnderstand() throws {
        let dir = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ns = try Namespace.boot(NamespaceConfiguration(directory: dir, durability: .none))
        for d in 0..<5 {
            _ = try ns.createContainer("/d\(d)")
            for f in 0..<40 { _ = try ns.createFile("/d\(d)/f\(f)") }
        }
        for f in 0..<40 { try ns.removeFile("/d0/f\(f)") }
        ns.close()

        let compact = try Self.tool(["log", "compact", "--data", dir])
        #expect(compact.status == 0, "\(compact.stdout) \(compact.stderr)")
        let checkpoints = CheckpointFile.list(in: dir)
        try #require(checkpoints.count == 1, "\(compact.stdout)")
        let checkpoint = checkpoints[0]
        #expect(compact.stdout.contains("Checkpoint:") && compact.stdout.contains(checkpoint), "\(compact.stdout)")

        let verified = try Self.tool(["log", "verify", checkpoint])
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
        #expect(verified.stdout.contains("160 files") && verified.stdout.contains("every section verified")
                && verified.stdout.contains("matches the live logs"), "\(verified.stdout)")

        let stat = try Self.tool(["ns", "stat", "--data", dir])
        #expect(stat.status == 0, "\(stat.stderr)")
        #expect(stat.stdout.contains("boot: loaded checkpoint \(checkpoint)"), "\(stat.stdout)")

        // One flipped bit in the middle of the file (a section's bytes): both tools say the
        // checkpoint is not usable, and the boot replays the logs into the same 160 files.
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: checkpoint)))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: checkpoint))
        let damaged = try Self.tool(["log", "verify", checkpoint])
        #expect(damaged.status == 1 && damaged.stdout.contains("NOT USABLE"), "\(damaged.stdout) \(damaged.stderr)")
        let replayed = try Self.tool(["ns", "stat", "--data", dir])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(replayed.stdout.contains("boot: checkpoint not used:") && replayed.stdout.contains("full replay of the logs")
                && replayed.stdout.contains("NOT USABLE"), "\(replayed.stdout)")
        let after = try Namespace.boot(NamespaceConfiguration(directory: dir, role: .masterReadOnly))
        defer { after.close() }
        #expect(after.fileCount == 160 && after.bootReport.checkpointPath == nil)
        #expect(throws: NamespaceError.self) { _ = try after.attributes(at: "/d0/f0") }
        #expect(throws: Never.self) { _ = try after.attributes(at: "/d4/f39") }
    }
}
