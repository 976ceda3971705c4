import BenchSupport
import Changelog
import Foundation
import Namespace
import Platform

/// Checkpoint figures (docs/CHECKPOINT.md), for suites `namespace` and `scale`.
enum CheckpointBench {
    /// Suite `namespace`, on its generated directory: a compaction (which writes a checkpoint), three
    /// timed checkpoint writes, then three rounds of a read-only boot through the checkpoint
    /// alternating with a full replay of the same compacted logs (checkpoints moved aside).
    /// Checkpoints are removed afterwards so later runs of the suite boot as before.
    static func namespaceFigures(dir: String) throws -> [Figure] {
        let ns = try Namespace.boot(NamespaceConfiguration(directory: dir, durability: .none))
        try ns.compact(.all)
        let files = ns.fileCount
        var writes: [Double] = []
        for _ in 0..<3 { writes.append(try measure { _ = try ns.writeCheckpoint() }) }
        ns.close()
        let ro = NamespaceConfiguration(directory: dir, durability: .none, role: .masterReadOnly)
        var viaCheckpoint: [Double] = [], replay: [Double] = []
        for _ in 0..<3 {
            let r = try Namespace.measureBoot(ro)
            guard r.checkpointPath != nil else { throw ValidationErrorText("the boot did not use the checkpoint: \(r.path)") }
            viaCheckpoint.append(r.seconds)
            replay.append(try withCheckpointsAside(dir) { try Namespace.measureBoot(ro).seconds })
        }
        // Memory after a checkpoint boot, in a fresh child (as `resident_bytes_per_file`): resident
        // counts every page the process holds, anonymous only the private ones (the loaded tables).
        let memory = try NamespaceSuite.memoryInChild(dir)
        guard memory.usedCheckpoint else { throw ValidationErrorText("the memory child did not boot through the checkpoint") }
        let names = Double(memory.nameBytes)
        let residentPerFile = (memory.residentAfter - memory.residentBefore - names) / Double(memory.files)
        let anonymousPerFile = (memory.anonymousAfter - memory.anonymousBefore - names) / Double(memory.files)
        for path in CheckpointFile.list(in: dir) { try? FileSystem.remove(path) }
        let scale = 1_000_000 / Double(files)
        return [
            Figure(name: "checkpoint_boot_seconds_1m_files", value: median(viaCheckpoint) * scale, unit: "s", goal: .atMost(0.10)),
            Figure(name: "checkpoint_write_seconds_1m_files", value: median(writes) * scale, unit: "s", goal: .report),
            Figure(name: "checkpoint_boot_vs_replay_ratio", value: median(replay) / median(viaCheckpoint), unit: "x", goal: .atLeast(8)),
            Figure(name: "compacted_replay_boot_seconds_1m_files", value: median(replay) * scale, unit: "s", goal: .report),
            Figure(name: "checkpoint_resident_bytes_per_file", value: residentPerFile, unit: "B/file", goal: .atMost(134)),
            Figure(name: "checkpoint_anonymous_bytes_per_file", value: anonymousPerFile, unit: "B/file", goal: .report),
        ]
    }

    /// Runs `body` with the checkpoints of `dir` moved to a side directory.
    static func withCheckpointsAside<R>(_ dir: String, _ body: () throws -> R) throws -> R {
        let aside = dir + "/checkpoints-aside"
        try? FileManager.default.createDirectory(atPath: aside, withIntermediateDirectories: true)
        let moved = CheckpointFile.list(in: dir)
        for path in moved { try FileSystem.rename(path, to: aside + "/" + (path as NSString).lastPathComponent) }
        defer {
            for path in moved { try? FileSystem.rename(aside + "/" + (path as NSString).lastPathComponent, to: path) }
            try? FileManager.default.removeItem(atPath: aside)
        }
        return try body()
    }

    /// Suite `scale`, at one size: writes a checkpoint of `dir` (a read-write boot, then
    /// `writeCheckpoint`), and boots through it in a fresh child process.
    static func scalePoint(_ suite: ScaleSuite, dir: String) throws -> ScaleSuite.Point {
        let ns = try Namespace.boot(NamespaceConfiguration(directory: dir, durability: .none))
        _ = try ns.writeCheckpoint()
        ns.close()
        sync()
        return try suite.measurePoint(dir)
    }

    /// Suite `scale`, at the largest size: boots through the checkpoint after tails of 0.1 %, 1 % and
    /// 10 % of the files updated after it (10^4, 10^5 and 10^6 updates at 10^7 files, as issue 18
    /// asks; 10^3..10^5 at `--quick`'s 10^6, where a tail as large as the namespace would measure the
    /// arena's reclaim of every section, not a tail); returns (tail records, seconds spent past the
    /// checkpoint's load) per point, for `boot_tail_exponent`.
    static func tailPoints(_ suite: ScaleSuite, dir: String, files: Int) throws -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        var appended = 0
        for tail in [files / 1000, files / 100, files / 10] {
            try ScaleSuite.appendFileVersions(dir, files: files, range: appended..<tail, version: 9)
            appended = tail
            sync()
            let p = try suite.measurePoint(dir)
            out.append((Double(tail), max(p.seconds - p.checkpointSeconds, 1e-6)))
        }
        return out
    }

    /// `beryl-bench checkpoint-boot`: writes a checkpoint of `dir` when it has none, then boots it
    /// read-only `rounds` times and prints each boot's seconds (whole, and the checkpoint's load).
    static func profileBoots(_ dir: String, rounds: Int) throws {
        if CheckpointFile.list(in: dir).isEmpty {
            let ns = try Namespace.boot(NamespaceConfiguration(directory: dir, durability: .none))
            print("wrote \(try ns.writeCheckpoint())")
            ns.close()
        }
        let ro = NamespaceConfiguration(directory: dir, durability: .none, role: .masterReadOnly)
        for _ in 0..<max(1, rounds) {
            let r = try Namespace.measureBoot(ro)
            print("boot \(r.seconds) s, checkpoint load \(r.checkpointSeconds) s, files \(r.files): \(r.path)")
        }
    }
}
