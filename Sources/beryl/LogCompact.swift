import ArgumentParser
import Changelog
import Glibc
import Namespace
import Platform

/// Offline compaction with the same engine as online compaction.
struct LogCompact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Compact a changelog that no server holds open into a new file, or a whole data directory (--data).",
        discussion: "With --data DIR: compacts both logs of a data directory that no server holds, in place, exactly as online compaction does (each log swapped for its compacted copy, the old one kept as an archive, the newest --keep archives kept), and writes a namespace checkpoint of the compacted logs (docs/CHECKPOINT.md) so the next boot replays only what comes after it. Exit status 0 when both logs were compacted (a checkpoint that could not be written is said on stderr and does not change it); 1 otherwise.\n\nWith INPUT OUTPUT: keeps the latest update of every live id (in offset order, in LZ4 blocks), drops deleted ids and superseded updates, and ends the output with a compaction stamp. The input is only read; the output must not exist.\n\nExit status: 0 when the output was written; 1 when it was not (the output path exists, the input is missing, not a regular file, locked by a writer or damaged beyond --repair; nothing is left at the output path).")
    @Argument(help: "The changelog to compact (read-only).") var input: String?
    @Argument(help: "The new compacted changelog (must not exist).") var output: String?
    @Option(help: "Compact the data directory DIR in place (both logs) and write a checkpoint.") var data: String?
    @Option(help: "With --data: archives (and checkpoints) to keep.") var keep = 2
    @Flag(help: "Skip damaged spans under 1 KiB instead of stopping at the first damaged record.")
    var repair = false

    func validate() throws {
        if data != nil {
            guard input == nil, output == nil else { throw ValidationError("give either --data DIR or INPUT OUTPUT, not both") }
            guard !repair else { throw ValidationError("--repair applies to INPUT OUTPUT only") }
        } else {
            guard input != nil, output != nil else { throw ValidationError("give INPUT and OUTPUT, or --data DIR") }
        }
        guard keep >= 1 else { throw ValidationError("--keep must be at least 1") }
    }

    func run() throws {
        let start = SystemClock.monotonicSeconds()
        if let data {
            let report = try Namespace.compactOffline(directory: data, options: CompactionOptions(keepArchives: keep))
            for (log, f) in report.figures.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                print("\(log.rawValue) log: \(f.oldBytes) -> \(f.newBytes) bytes, \(f.recordsWritten) records written"
                      + (report.archives[log].map { ", archive \($0)" } ?? ""))
            }
            if let checkpoint = report.checkpoint {
                print("Checkpoint:             \(checkpoint)")
            } else {
                StandardError.write("beryl log compact: checkpoint not written: \(report.checkpointFailure ?? "unknown reason")\n")
            }
            print("Elapsed time:           \(String(format1: SystemClock.monotonicSeconds() - start)) s")
            return
        }
        guard let input, let output else { return }
        let f = try Compactor.compact(inputPath: input, outputPath: output, policy: repair ? .salvage : .strict)
        let seconds = SystemClock.monotonicSeconds() - start
        for span in f.skippedSpans { print("skipped: \(span)") }
        print("Records updated:        \(f.recordsUpdated)")
        print("Records deleted:        \(f.recordsDeleted)")
        print("Records total:          \(f.recordsTotal)")
        print("Records kept:           \(f.recordsKept)")
        print("Records written:        \(f.recordsWritten)")
        print("Size:                   \(f.oldBytes) -> \(f.newBytes) bytes")
        print("Ratio:                  \(String(format1: f.ratio)):1")
        let secs = Int(seconds) % 60
        print("Elapsed time:           \(Int(seconds) / 60) m. \(secs < 10 ? "0" : "")\(secs) s. (\(String(format1: seconds)) s)")
    }
}
