// log-repair: rebuilds a damaged Beryl or legacy EOS changelog into a new file.
import ArgumentParser
import Changelog
import Glibc
import LegacyEOS
import Platform

struct LogRepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-repair",
        abstract: "Rebuild a damaged Beryl or legacy EOS changelog into a new, valid log.",
        discussion: """
            Reads BROKEN_LOG (never modified) and writes every record that can be verified or rebuilt \
            to NEW_LOG, in the input's format, with the input's content kind and header flags. Damaged \
            spans are skipped up to the next verifiable record, whatever their length. Legacy EOS logs \
            are repaired with eos-log-repair's algorithm (wrong magic, one wrong CRC copy and wrong size \
            are fixed) and the report has its layout.

            The report goes to stderr: the header status, one line per discarded block, then the \
            counters. A progress line is shown when stderr is a terminal and the input exceeds 64 MiB.

            Exit status: 0 when NEW_LOG was written (even if blocks were discarded; with --dry-run, \
            when the scan ran); 1 for a usage error, or when a forced --format recovered no record \
            (the message says which format the file is; no NEW_LOG is left); 2 when no output could \
            be written (NEW_LOG exists, BROKEN_LOG is missing, unreadable or not a regular file, the \
            format cannot be recognised, a write failed).
            """
    )

    @Argument(help: "The damaged log to read. It is opened read-only.")
    var brokenLog: String

    @Argument(help: "The repaired log to create. Must not exist.")
    var newLog: String

    @Option(help: "Input format: auto (by file magic; by which records verify if the header is damaged), beryl, or eos.")
    var format: FormatSelection = .automatic

    @Flag(help: "Also print the figures as one JSON object on stdout.")
    var json = false

    @Flag(help: "Print nothing on stderr except errors.")
    var quiet = false

    @Flag(help: "Scan and report only; write nothing (NEW_LOG is not created and may exist).")
    var dryRun = false

    func run() throws {
        var progress: ((RepairProgress) -> Void)? = nil
        if !quiet && isatty(2) != 0 && Self.fileSize(brokenLog) > 64 << 20 {
            var lastLength = 0
            progress = { p in
                let line = "\rElapsed time: \(RepairReport.readableTime(p.elapsedSeconds)) Progress: \(Self.megabytes(p.bytesDone)) / \(Self.megabytes(p.bytesTotal))"
                let pad = String(repeating: " ", count: max(0, lastLength - line.count))
                lastLength = line.count
                Self.printError(line + pad + (p.bytesDone >= p.bytesTotal ? "\n" : ""), newline: false)
            }
        }
        let report: RepairReport
        do {
            report = dryRun
                ? try LogRepair.verify(brokenLog, format: format, progress: progress)
                : try LogRepair.repair(brokenLog, to: newLog, format: format, progress: progress)
        } catch {
            Self.printError("Error: \(error)")
            throw ExitCode(error.code == .nothingRecovered ? 1 : 2)
        }
        if !quiet { Self.printError(report.text, newline: false) }
        if json { print(report.json) }
    }

    static func fileSize(_ path: String) -> Int { FileSystem.size(path).map { Int($0) } ?? 0 }

    static func megabytes(_ bytes: UInt64) -> String {
        let mb = Double(bytes) / 1_048_576
        let thousandths = Int((mb * 1000).rounded())
        let frac = thousandths % 1000
        return "\(thousandths / 1000).\(frac < 100 ? "0" : "")\(frac < 10 ? "0" : "")\(frac) MB"
    }

    static func printError(_ s: String, newline: Bool = true) {
        StandardError.write(newline ? s + "\n" : s)
    }
}

extension FormatSelection: ExpressibleByArgument {}

do {
    let command = try LogRepairCommand.parse()
    try command.run()
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let code = LogRepairCommand.exitCode(for: error)
    if code == .success {
        print(LogRepairCommand.fullMessage(for: error))
        exit(0)
    }
    LogRepairCommand.printError(LogRepairCommand.fullMessage(for: error))
    exit(1)
}
