import Changelog
import Glibc
import Namespace
import Platform

/// The records a node holds that its new master lacks (an old master's unshipped tail), found
/// before it adopts the master's log: refused and reported by default, saved then discarded with
/// `ns master <new> --discard-divergent`.
public struct DivergentTail: Sendable, Equatable {
    public var reports: [DivergenceReport]

    public var records: Int { reports.reduce(0) { $0 + $1.records.count } }
    public var entries: Int { reports.reduce(0) { $0 + $1.entries } }
    public var isEmpty: Bool { records == 0 }

    /// One line for logs and refusals: counts and the first few paths.
    public var summary: String {
        let paths = reports.flatMap { $0.records.compactMap(\.path) }
        var unique: [String] = []
        for p in paths where !unique.contains(p) {
            unique.append(p)
            if unique.count == 5 { break }
        }
        let kinds = reports.filter { !$0.isEmpty }.map { r in
            "\(r.kind): \(r.records.count) records" + (r.commonEnd.map { " after byte \($0)" } ?? " (unrelated log)")
        }
        return "\(records) records on \(entries) entries that the master lacks (\(kinds.joined(separator: "; ")))"
            + (unique.isEmpty ? "" : "; e.g. " + unique.joined(separator: ", "))
    }

    /// Saves the records to `<directory>/divergent-<epoch>-<time>.<kind>.mdlog` (one native log per
    /// content kind: a log holds one kind) and every record's entry to
    /// `<directory>/divergent-<epoch>-<time>.tsv` (`kind sequence type id path`), durably. These
    /// files are never rotated away. Returns their paths.
    public func save(in directory: String, epoch: UInt64) throws(ReplicationError) -> [String] {
        let stem = "\(directory)/divergent-\(epoch)-\(FileSystem.unixTime())"
        var written: [String] = []
        for report in reports where !report.isEmpty {
            let path = "\(stem).\(report.kind).mdlog"
            do throws(ChangelogError) {
                let log = try Changelog.open(at: path, configuration: ChangelogConfiguration(
                    creation: .createNew, contentKind: report.kind, durability: .always))
                defer { log.close() }
                for record in report.records where record.type == .update || record.type == .delete {
                    _ = try log.append(record.type, payload: record.payload)
                }
                try log.sync()
            } catch {
                throw .failed("cannot save the divergent \(report.kind) records to \(path)", cause: .log(error))
            }
            written.append(path)
        }
        var tsv = "kind\tsequence\ttype\tid\tpath\n"
        for report in reports {
            for r in report.records {
                tsv += "\(r.kind)\t\(r.sequence.rawValue)\t\(r.type)\t\(r.id.map { String($0) } ?? "-")\t\(r.path ?? "-")\n"
            }
        }
        let tsvPath = stem + ".tsv"
        try Self.writeDurably(tsv, to: tsvPath)
        written.append(tsvPath)
        do { try FileSystem.syncDirectory(directory) } catch {
            throw .failed("cannot sync \(directory) after saving the divergent records", cause: .system(error))
        }
        return written
    }

    private static func writeDurably(_ text: String, to path: String) throws(ReplicationError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .systemCall("cannot create \(path)", errno: errno) }
        defer { close(fd) }
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, UnsafeMutableRawBufferPointer(rebasing: $0[done...]).baseAddress, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .systemCall("cannot write \(path)", errno: errno) }
            done += n
        }
        bytes.removeAll()
        guard fsync(fd) == 0 else { throw .systemCall("cannot sync \(path)", errno: errno) }
    }
}
