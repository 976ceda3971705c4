import Changelog
import Glibc
import Testing
@testable import Namespace
import Platform

/// Crash points: `beryl ns compaction-workload` mutates a namespace on one thread while compacting
/// both logs on another; it is SIGKILLed at every phase boundary and at random moments (inside
/// copies and swaps). Each time the data directory must boot to the namespace the child had
/// acknowledged: every acknowledged operation, plus at most the one it had begun.
@Suite(.serialized) struct CompactionCrashTests {
    static let phases = ["prepare", "copy", "catch-up", "commit", "finish", "done"]

    @Test(arguments: ["files", "directories"])
    func killAtEveryPhaseBoundary(log: String) throws {
        for phase in Self.phases {
            let recovery = try Self.killAndCheck(arguments: ["--populate", "600", "--runs", "1", "--pause-at", "\(log):\(phase)"],
                                                 until: { $0 == "paused" }, label: "\(log):\(phase)")
            // Killed with a copy in progress: boot must have removed it.
            if phase == "catch-up" || phase == "commit" {
                #expect(recovery.contains { $0.contains("removed unfinished compaction output") }, "\(log):\(phase): \(recovery)")
            }
        }
    }

    @Test func killAtRandomMoments() throws {
        var g = SeededGenerator(seed: 2026)
        for round in 0..<crashRounds(12) {
            let phaseLines = Int.random(in: 1...40, using: &g)
            let delay = UInt32.random(in: 0...3_000, using: &g)
            var seen = 0
            try Self.killAndCheck(arguments: ["--populate", "400", "--runs", "100"], until: { line in
                if line.hasPrefix("phase ") { seen += 1 }
                if seen >= phaseLines {
                    usleep(delay)
                    return true
                }
                return false
            }, label: "random \(round): after \(phaseLines) phases + \(delay) µs")
        }
    }

    /// Runs the child until `stop` accepts a line (or the child ends), kills it, and checks the
    /// data directory against a replay of what it reported.
    @discardableResult
    static func killAndCheck(arguments: [String], until stop: (String) -> Bool, label: String) throws -> [String] {
        let beryl = try #require(ChildProcess.sibling("beryl"), "build the beryl executable first (swift build)")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let child = try ChildProcess(beryl, ["ns", "compaction-workload", "--data", dir.path] + arguments)
        var begun: [Int: String] = [:]
        var acknowledged = -1
        func take(_ line: String) {
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            if parts.first == "begin", parts.count == 3, let i = Int(parts[1]) { begun[i] = parts[2] }
            if parts.first == "ack", parts.count == 2, let i = Int(parts[1]) { acknowledged = max(acknowledged, i) }
            if parts.first == "error" { Issue.record("\(label): child reported \(line)") }
        }
        while let line = child.readLine() {
            take(line)
            if stop(line) { break }
        }
        child.kill()
        while let line = child.readLine() { take(line) }
        #expect(acknowledged >= 0, "\(label): nothing acknowledged")

        let recovered = try Namespace.boot(dir.configuration())
        defer { recovered.close() }
        let snapshot = try recovered.snapshot()
        #expect(!FileSystem.list(dir.path).contains { $0.hasSuffix(".oc") }, "\(label): .oc left after boot")
        let (acked, withInFlight) = try replay(begun, acknowledged: acknowledged)
        #expect(snapshot == acked || snapshot == withInFlight,
                "\(label): rebooted namespace is not the acknowledged one (\(snapshot.count) entries, expected \(acked.count))")
        return recovered.bootReport.compactionRecovery
    }

    /// A crash between the swap's two renames (live log already archived, the complete copy not
    /// yet in place): boot renames the copy into place and boots the same namespace.
    @Test func bootCompletesAnInterruptedSwap() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var ns = try CompactionTests.populated(dir)
        let before = try ns.snapshot()
        ns.close()
        let live = dir.path + "/" + NamespaceConfiguration.filesLogName
        _ = try Compactor.compact(inputPath: live, outputPath: live + ".oc")
        try FileSystem.rename(live, to: live + ".1700000000")
        ns = try Namespace.boot(dir.configuration())
        defer { ns.close() }
        #expect(ns.bootReport.compactionRecovery.contains { $0.contains("completed interrupted compaction swap") })
        #expect(try #require(ns.filesLog).header.flags.contains(.compacted))
        #expect(try ns.snapshot() == before)
        #expect(ns.masterLog.lines(containing: "boot: completed interrupted compaction swap").count == 1)
    }

    /// A crash during the copy: the partial `.oc` beside the live log is removed at boot.
    @Test func bootRemovesAnUnfinishedCopy() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var ns = try CompactionTests.populated(dir)
        let before = try ns.snapshot()
        ns.close()
        let oc = dir.path + "/" + NamespaceConfiguration.directoriesLogName + ".oc"
        let f = try SystemFile.open(oc, access: .readWrite, creation: .createNew)
        try f.write([UInt8](repeating: 0xAB, count: 100), at: 0)
        ns = try Namespace.boot(dir.configuration())
        defer { ns.close() }
        #expect(ns.bootReport.compactionRecovery.contains { $0.contains("removed unfinished compaction output") })
        #expect(!FileSystem.exists(oc))
        #expect(try ns.snapshot() == before)
    }

    /// The namespace after operations 0...acknowledged, and after the next one too (if begun).
    static func replay(_ begun: [Int: String], acknowledged: Int) throws -> ([String: ReferenceModel.Entry], [String: ReferenceModel.Entry]?) {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let ns = try Namespace.boot(dir.configuration())
        defer { ns.close() }
        for i in 0...max(acknowledged, 0) where acknowledged >= 0 { try apply(try #require(begun[i]), to: ns) }
        let acked = try ns.snapshot()
        guard let next = begun[acknowledged + 1] else { return (acked, nil) }
        try apply(next, to: ns)
        return (acked, try ns.snapshot())
    }

    /// Applies one operation as the child printed it (see `CompactionWorkload.Operation`).
    static func apply(_ text: String, to ns: Namespace) throws {
        let a = text.split(separator: " ").map(String.init)
        let attributes = CreationAttributes(uid: 7, gid: 8, time: Timestamp(seconds: 1_700_000_000))
        switch a[0] {
        case "mkdir": try ns.createContainer(a[1], attributes: attributes, missingParents: .create)
        case "create": try ns.createFile(a[1], attributes: attributes)
        case "size": try ns.setSize(try ns.fileID(at: a[1]), UInt64(a[2])!)
        case "rename": try ns.rename(a[1], to: a[2])
        case "remove": try ns.removeFile(a[1])
        default: Issue.record("unknown operation \(text)")
        }
    }
}
