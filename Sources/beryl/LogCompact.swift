import ArgumentParser
import Changelog
import Glibc
import Platform

/// Offline compaction with the same engine as online compaction.
struct LogCompact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Compact a changelog that no server holds open into a new file.",
        discussion: "Keeps the latest update of every live id (in offset order, in LZ4 blocks), drops deleted ids and superseded updates, and ends the output with a compaction stamp. The input is only read; the output must not exist.\n\nExit status: 0 when the output was written; 1 when it was not (the output path exists, the input is missing, not a regular file, locked by a writer or damaged beyond --repair; nothing is left at the output path).")
    @Argument(help: "The changelog to compact (read-only).") var input: String
    @Argument(help: "The new compacted changelog (must not exist).") var output: String
    @Flag(help: "Skip damaged spans under 1 KiB instead of stopping at the first damaged record.")
    var repair = false

    func run() throws {
        let start = SystemClock.monotonicSeconds()
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
