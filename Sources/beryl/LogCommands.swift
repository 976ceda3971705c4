import ArgumentParser
import Changelog
import Namespace
import Glibc
import LegacyEOS
import Platform

struct LogVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every record's checksum and framing; list every finding. Exit 0 only when clean.",
        discussion: "Also verifies a namespace checkpoint (`namespace.checkpoint.<time>`): its header, every section's checksum, its tables, and whether it matches the logs beside it.\n\nExit status: 0 when the log is clean (a checkpoint: verified and usable); 1 when there are findings (each printed), or the file cannot be read (missing, not a regular file).")
    @Argument(help: "The changelog file.") var file: String

    func run() throws {
        if CheckpointFile.looksLikeCheckpoint(file) {
            // A namespace checkpoint (docs/CHECKPOINT.md): every section, and whether it matches the logs beside it.
            let v = CheckpointFile.verify(file, logsIn: FileSystem.directory(of: file))
            print(v.description)
            if v.problem != nil { throw ExitCode(1) }
            return
        }
        if try logFormat(of: file) == .eos { return try LegacyLogTools.verify(file) }
        let report = Verifier.verify(path: file)
        if let h = report.header {
            print("header: version \(h.version), content \(h.contentKind), flags 0x\(String(h.flags.rawValue, radix: 16)), identity \(h.identity)")
        }
        print("records: \(report.records)  bytes: \(report.bytes)  last sequence: \(report.lastSequence)")
        if report.trailingZeroBytes > 0 { print("preallocated zero bytes after the last record: \(report.trailingZeroBytes)") }
        for f in report.findings { print("finding: \(f)") }
        print(report.isClean ? "clean" : "\(report.findings.count) finding(s)")
        if !report.isClean { throw ExitCode(1) }
    }
}

struct LogDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print one line per record: offset, sequence, type, id, size, and for files/directories logs (native or legacy EOS) the decoded object.",
        discussion: "Exit status: 0 when the records were printed (a legacy log's damaged spans are skipped and reported on stderr); 1 when the file cannot be read or a native log is damaged (the error says where); 64 for a usage error (a bad --from).")
    @Argument(help: "The changelog file.") var file: String
    @Flag(help: "One JSON object per line.") var json = false
    @Option(help: "Start at this byte offset (a record boundary; decimal or 0x hex).") var from: String?
    @Option(help: "Print at most this many records.") var limit: Int?

    func run() throws {
        var fromOffset: UInt64?
        if let from {
            guard let v = from.hasPrefix("0x") ? UInt64(from.dropFirst(2), radix: 16) : UInt64(from) else {
                throw ValidationError("--from must be a decimal or 0x-prefixed hex offset")
            }
            fromOffset = v
        }
        if try logFormat(of: file) == .eos {
            return try LegacyLogTools.dump(file, json: json, from: fromOffset, limit: limit)
        }
        let log = try Changelog.open(at: file, configuration: .readOnly)
        let start = LogOffset(fromOffset ?? UInt64(RecordFormat.firstRecordOffset))
        var printed = 0
        let kind = log.contentKind
        try log.scan(from: start) { r in
            if let limit, printed >= limit { return false }
            let id = r.id.map(String.init) ?? "-"
            // Namespace logs: the decoded object (or why it does not decode).
            var object: NamespaceListing.Entry? = nil
            var problem: String? = nil
            if r.type == .update && kind != .generic {
                do {
                    object = try kind == .files ? FileCodec.decode(r.payload).listingEntry : ContainerCodec.decode(r.payload).listingEntry
                } catch { problem = "\(error)" }
            }
            if json {
                let decoded = object.map { ", \"object\": " + NamespaceListing.jsonObject($0) } ?? problem.map { ", \"error\": " + ListingText.jsonString($0) } ?? ""
                print("{\"offset\": \(r.position.offset.rawValue), \"slot\": \(r.position.slot), \"sequence\": \(r.sequence), \"type\": \"\(r.type)\", \"id\": \(r.id.map(String.init) ?? "null"), \"size\": \(r.payload.count)\(decoded)}")
            } else {
                let decoded = object.map { "\t" + NamespaceListing.line($0, path: nil).dropLast(3) } ?? problem.map { "\tundecodable: \($0)" } ?? ""
                print("\(r.position)\tseq=\(r.sequence)\t\(r.type)\tid=\(id)\tsize=\(r.payload.count)\(decoded)")
            }
            printed += 1
            return true
        }
    }
}

struct LogStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Records by type, live and dead records and bytes, LZ4 savings, and the projected compaction ratio.",
        discussion: """
            On a damaged log the figures cover the records that verify (damaged spans skipped), and a \
            `damaged:` line gives the spans and their bytes (`beryl log verify` lists each).

            Exit status: 0 when the log is intact; 1 when it is damaged (0 with --allow-damage), or \
            when the file cannot be read.
            """)
    @Argument(help: "The changelog file.") var file: String
    @Flag(name: .customLong("allow-damage"), help: "Exit 0 on a damaged log (the figures then cover only what verifies).")
    var allowDamage = false

    func run() throws {
        let damage: [Finding]
        if try logFormat(of: file) == .eos {
            try LegacyLogTools.stats(file)
            damage = LegacyVerifier.verify(path: file).findings
        } else {
            damage = Verifier.verify(path: file).findings
            // Damaged spans are skipped, however long, so the figures cover every record that verifies.
            var configuration = ChangelogConfiguration.readOnly
            if !damage.isEmpty { configuration.damagePolicy = .salvage(maximumSpan: Int.max) }
            let log = try Changelog.open(at: file, configuration: configuration)
            let s = try LogStatistics.compute(log)
            print("content kind:              \(log.contentKind)")
            printStatistics(s, compactionNote: "header, live records in LZ4 blocks, one stamp")
        }
        guard !damage.isEmpty else { return }
        print(Self.damagedLine(damage))
        if !allowDamage { throw ExitCode(1) }
    }

    /// `damaged: 3 spans, 1236 bytes: 0x9070 (412 bytes), ...` (the first ten spans).
    static func damagedLine(_ findings: [Finding]) -> String {
        let bytes = findings.reduce(UInt64(0)) { $0 + $1.length }
        var spans = findings.prefix(10).map { "0x\(String($0.offset.rawValue, radix: 16)) (\($0.length) bytes)" }.joined(separator: ", ")
        if findings.count > 10 { spans += ", ... (beryl log verify lists all)" }
        return "damaged:                   \(findings.count) span\(findings.count == 1 ? "" : "s"), \(bytes) bytes: \(spans)"
    }
}

/// The format of the log at `path`: by its file magic, or for a damaged header by which
/// format's records verify (`LogFormat.guess`); Beryl's when neither is recognised, so the native
/// tools report the problem.
func logFormat(of path: String) throws -> LogFormat {
    let file = try LegacyLogFile(path: path)
    return file.withBytes { LogFormat.guess($0) } ?? .beryl
}

/// Appends records one by one and prints each acknowledged sequence number on its own line,
/// flushed, so a parent process can kill this one at any moment and check what survived.
struct LogWorkload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workload", abstract: "Append records and report each acknowledgement (for crash tests).",
        shouldDisplay: false)
    @Argument var file: String
    @Option var durability: String = "always"
    @Option var count: Int = 1_000_000
    @Option(help: "Appender threads; with more than one, each line is `<sequence> <thread> <i>` and the payload is the thread and i (8 bytes each).")
    var threads: Int = 1

    func run() throws {
        guard let d = Durability(rawValue: durability) else { throw ValidationError("unknown durability \(durability)") }
        let log = try Changelog.open(at: file, configuration: .init(durability: d))
        guard threads <= 1 else { return runConcurrently(log) }
        var next = log.lastSequence.rawValue
        for _ in 0..<count {
            next += 1
            var p = ByteCursor.bytes(of: next)
            p += [UInt8](repeating: UInt8(truncatingIfNeeded: next), count: Int(next % 300))
            let r = try log.append(.update, payload: p)
            print(r.sequence.rawValue)
            fflush(nil)
        }
    }

    /// `threads` appenders at once (group commit); a failed append ends its thread.
    private func runConcurrently(_ log: Changelog) {
        let output = ConditionLock()
        let perThread = count
        let workers = (0..<threads).map { t in
            BackgroundThread.startOrRunInline {
                for i in 0..<perThread {
                    let p = ByteCursor.bytes(of: UInt64(t)) + ByteCursor.bytes(of: UInt64(i))
                    guard let r = try? log.append(.update, payload: p) else { return }
                    output.withLock {
                        print("\(r.sequence.rawValue) \(t) \(i)")
                        fflush(nil)
                    }
                }
            }
        }
        for w in workers { w.join() }
    }
}

extension String {
    init(format1 v: Double) {
        let tenths = Int((v * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
