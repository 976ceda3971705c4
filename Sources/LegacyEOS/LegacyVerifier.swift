import Changelog

/// Offline, read-only checks of a legacy EOS log: every finding, not only the first.
public struct LegacyVerifyReport: Sendable {
    public var path: String
    public var header: LegacyHeader?
    public var records = 0
    public var recordsByType: [String: Int] = [:]
    /// Size of the file.
    public var bytes: UInt64 = 0
    public var findings: [Finding] = []
    public var isClean: Bool { findings.isEmpty }
}

public enum LegacyVerifier {
    /// Verifies the file at `path`; a file that cannot be opened is one finding.
    public static func verify(path: String, decodePayloads: Bool = true) -> LegacyVerifyReport {
        do throws(ChangelogError) {
            let file = try LegacyLogFile(path: path)
            return verify(file, decodePayloads: decodePayloads)
        } catch {
            var report = LegacyVerifyReport(path: path)
            report.findings.append(Finding(offset: error.offset ?? LogOffset(0), length: 0, reason: error.description))
            return report
        }
    }

    /// Checks the header (magic, version 1), every record's magic, size and both CRC copies,
    /// skipping each damaged span to the next valid record; and, when `decodePayloads` is set
    /// and the header says files (1) or directories (2), that every update decodes as a FileMD
    /// / ContainerMD and every update or delete starts with an 8-byte id.
    public static func verify(_ file: LegacyLogFile, decodePayloads: Bool = true) -> LegacyVerifyReport {
        var report = LegacyVerifyReport(path: file.path)
        report.bytes = UInt64(file.bytes.count)
        if let error = file.headerError {
            report.findings.append(Finding(offset: LogOffset(0), length: UInt64(min(file.bytes.count, LegacyFormat.headerSize)),
                                           reason: "header: \(error.detail)"))
        }
        report.header = file.header
        if let h = file.header, h.version != 1 {
            report.findings.append(Finding(offset: LogOffset(4), length: 4, reason: "header: unsupported version \(h.version)"))
        }
        let content = decodePayloads ? file.header.flatMap { LegacyNamespace.Content(contentFlag: $0.contentFlag) } : nil
        var byType = [Int](repeating: 0, count: 256)
        file.withBytes { bytes in
            report.records = LegacyScanner(bytes: bytes).forEachRecordSkippingDamage(damaged: { span in
                report.findings.append(Finding(offset: LogOffset(UInt64(span.offset)), length: UInt64(span.length),
                                               reason: span.reason.description))
            }) { r in
                byType[Int(r.type.rawValue)] += 1
                guard content != nil else { return true }
                if let problem = payloadProblem(r, content: content) {
                    report.findings.append(Finding(offset: r.offset, length: UInt64(r.length), reason: problem))
                }
                return true
            }
        }
        for (type, n) in byType.enumerated() where n > 0 {
            report.recordsByType[RecordType(rawValue: UInt8(type)).description] = n
        }
        return report
    }

    static func payloadProblem(_ r: LegacyRecordView, content: LegacyNamespace.Content?) -> String? {
        guard let content else { return nil }
        switch r.type {
        case .update:
            do throws(LegacyMetadataError) {
                switch content {
                case .files: _ = try LegacyFileMD.decode(r.payload)
                case .containers: _ = try LegacyContainerMD.decode(r.payload)
                }
            } catch {
                return "update payload does not decode: \(error)"
            }
        case .delete:
            if r.payload.count < 8 { return "delete payload of \(r.payload.count) bytes has no id" }
        default:
            break
        }
        return nil
    }
}
