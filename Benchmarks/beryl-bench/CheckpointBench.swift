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
        for path in CheckpointFile.list(in: dir) { try? FileSystem.remove(path) }
        let scale = 1_000_000 / Double(files)
        return [
            Figure(name: "checkpoint_boot_seconds_1m_files", value: median(viaCheckpoint) * scale, unit: "s", goal: .atMost(0.10)),
            Figure(name: "checkpoint_write_seconds_1m_files", value: median(writes) * scale, unit: "s", goal: .report),
            Figure(name: "checkpoint_boot_vs_replay_ratio", value: median(replay) / median(viaCheckpoint), unit: "x", goal: .atLeast(8)),
            Figure(name: "compacted_replay_boot_seconds_1m_files", value: median(replay) * scale, unit: "s", goal: .report),
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

    /// Suite `scale`, at the largest size: boots through the checkpoint after tails of 10^4, 10^5 and
    /// 10^6 file updates appended after it; returns (tail records, seconds spent past the checkpoint's
    /// load) per point, for `boot_tail_exponent`.
    static func tailPoints(_ suite: ScaleSuite, dir: String, files: Int) throws -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        var appended = 0
        for tail in [10_000, 100_000, 1_000_000] {
            try ScaleSuite.appendFileVersions(dir, files: files, range: appended..<tail, version: 9)
            appended = tail
            sync()
            let p = try suite.measurePoint(dir)
            out.append((Double(tail), max(p.seconds - p.checkpointSeconds, 1e-6)))
        }
        return out
    }
}
