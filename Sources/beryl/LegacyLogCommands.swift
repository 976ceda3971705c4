import ArgumentParser
import Changelog
import Glibc
import LegacyEOS
import Platform

/// The legacy EOS side of `beryl log verify|dump|stats`.
enum LegacyLogTools {
    static func headerText(_ h: LegacyHeader) -> String {
        let kind = h.contentKind.map { " (\($0))" } ?? ""
        let compacted = h.userFlags.contains(.compacted) ? " (compacted)" : ""
        return "header: legacy EOS, version \(h.version), content \(h.contentFlag)\(kind), user flags 0x\(String(h.userFlags.rawValue, radix: 16))\(compacted)"
    }

    static func verify(_ path: String) throws {
        let report = LegacyVerifier.verify(path: path)
        if let h = report.header { print(headerText(h)) }
        print("records: \(report.records)  bytes: \(report.bytes)")
        for (type, n) in report.recordsByType.sorted(by: { $0.key < $1.key }) { print("  \(type):".padding(27) + "\(n)") }
        for f in report.findings { print("finding: \(f)") }
        print(report.isClean ? "clean" : "\(report.findings.count) finding(s)")
        if !report.isClean { throw ExitCode(1) }
    }

    static func dump(_ path: String, json: Bool, from: UInt64?, limit: Int?) throws {
        let file = try LegacyLogFile(path: path)
        let content = file.header.flatMap { LegacyNamespace.Content(contentFlag: $0.contentFlag) }
        let start = from.map { Int(clamping: $0) } ?? LegacyFormat.firstRecordOffset
        if from != nil {
            guard case .valid = file.scanner.check(at: start) else {
                throw ValidationError("no valid legacy record at offset \(start)")
            }
        }
        var printed = 0
        var damaged = 0
        file.withBytes { bytes in LegacyScanner(bytes: bytes).forEachRecordSkippingDamage(from: start, damaged: { span in
            damaged += 1
            printError("damaged: offset 0x\(String(span.offset, radix: 16)) (\(span.offset)), \(span.length) bytes: \(span.reason)")
        }) { r in
            if let limit, printed >= limit { return false }
            print(json ? jsonLine(r, content: content) : textLine(r, content: content))
            printed += 1
            return true
        } }
        if damaged > 0 { printError("\(damaged) damaged span(s) skipped; run beryl log verify for details") }
    }

    static func textLine(_ r: LegacyRecordView, content: LegacyNamespace.Content?) -> String {
        var line = "0x\(String(r.offset.rawValue, radix: 16))\tseq=\(r.sequence)\t\(r.type)\tid=\(id(r).map(String.init) ?? "-")\tsize=\(r.payload.count)"
        if r.type == .update, let content {
            switch decode(r, content: content) {
            case .success(let text, _): line += "\t" + text
            case .failure(let e): line += "\tundecodable: \(e)"
            }
        }
        return line
    }

    static func jsonLine(_ r: LegacyRecordView, content: LegacyNamespace.Content?) -> String {
        var line = "{\"offset\": \(r.offset.rawValue), \"sequence\": \(r.sequence), \"type\": \"\(r.type)\", \"id\": \(id(r).map(String.init) ?? "null"), \"size\": \(r.payload.count)"
        if r.type == .update, let content {
            switch decode(r, content: content) {
            case .success(_, let json): line += ", \"\(content == .files ? "file" : "container")\": " + json
            case .failure(let e): line += ", \"error\": \"\(e.description)\""
            }
        }
        return line + "}"
    }

    /// The id of an update or delete (a stamp's "DUMMY" payload is no id).
    static func id(_ r: LegacyRecordView) -> UInt64? {
        r.type == .update || r.type == .delete ? r.id : nil
    }

    enum Decoded { case success(String, String), failure(LegacyMetadataError) }

    static func decode(_ r: LegacyRecordView, content: LegacyNamespace.Content) -> Decoded {
        do throws(LegacyMetadataError) {
            switch content {
            case .files:
                let f = try LegacyFileMD.decode(r.payload)
                return .success((f.isSymbolicLink ? "symlink " : "file ") + f.description, f.json)
            case .containers:
                let c = try LegacyContainerMD.decode(r.payload)
                return .success("container " + c.description, c.json)
            }
        } catch {
            return .failure(error)
        }
    }

    static func stats(_ path: String) throws {
        let file = try LegacyLogFile(path: path)
        if let h = file.header { print(headerText(h)) } else { print("header: damaged (\(file.headerError?.detail ?? ""))") }
        printStatistics(LogStatistics.compute(legacy: file), compactionNote: "as eos-log-compact: header, live records unchanged, one stamp")
    }
}

/// The statistics lines shared by both formats.
func printStatistics(_ s: LogStatistics, compactionNote: String) {
    print("records:                   \(s.records)")
    for (type, n) in s.recordsByType.sorted(by: { $0.key < $1.key }) { print("  \(type):".padding(27) + "\(n)") }
    print("live records:              \(s.liveRecords)  (\(s.liveBytes) bytes)")
    print("dead records:              \(s.deadRecords)  (\(s.deadBytes) bytes)")
    print("log size:                  \(s.totalBytes) bytes")
    if s.compressedRawBytes > 0 {
        print("LZ4 payload:               \(s.compressedRawBytes) -> \(s.compressedStoredBytes) bytes (saved \(s.compressedRawBytes - s.compressedStoredBytes))")
    }
    print("projected compacted size:  \(s.projectedCompactedBytes) bytes (\(compactionNote))")
    print("projected compaction ratio: " + String(format1: s.projectedRatio) + ":1")
}

func printError(_ s: String) {
    var e = StandardError()
    print(s, to: &e)
}
