import Platform
/// The report as `eos-log-repair` prints it (labels, padding, hex offsets), and as JSON.
extension RepairReport {
    /// `Header status: OK (version: 0x1, content: 0x1)` or `Header status: broken (<message>)`.
    public var headerLine: String {
        switch header {
        case .ok(let version, let content):
            "Header status: OK (version: 0x\(String(version, radix: 16)), content: 0x\(String(content, radix: 16)))"
        case .broken(let message):
            "Header status: broken (\(message))"
        }
    }

    /// One line per discarded span, byte for byte as EOS prints it (with its trailing space).
    public static func discardLine(_ span: DiscardedSpan) -> String {
        "error: discarded block from offset [ \(String(span.start, radix: 16)) <=> \(String(span.end, radix: 16)) ] [ len=\(span.length) ] "
    }

    /// The final figures, one `label: value` line each, padded as EOS pads them.
    public var summaryLines: [String] {
        let rows: [(String, String)] = [
            ("Scanned", "\(scanned)"),
            ("Healthy", "\(healthy)"),
            ("Bytes total", "\(bytesTotal)"),
            ("Bytes accepted", "\(bytesAccepted)"),
            ("Bytes discarded", "\(bytesDiscarded)"),
            ("Not fixed", "\(notFixed)"),
            ("Fixed (wrong magic)", "\(fixedWrongMagic)"),
            ("Fixed (wrong checksum)", "\(fixedWrongChecksum)"),
            ("Fixed (wrong size)", "\(fixedWrongSize)"),
            ("Elapsed time", Self.readableTime(elapsedSeconds)),
        ]
        return rows.map { label, value in
            let head = label + ":"
            return head + String(repeating: " ", count: max(1, 24 - head.count)) + value
        }
    }

    /// Header line, discard lines, then the summary: what `log-repair` prints on stderr.
    public var text: String {
        ([headerLine] + discardedSpans.map(Self.discardLine) + summaryLines).joined(separator: "\n") + "\n"
    }

    /// `M m. SS s.` as EOS prints elapsed time.
    public static func readableTime(_ seconds: Double) -> String {
        let whole = Int(max(0, seconds).rounded(.down))
        let s = whole % 60
        return "\(whole / 60) m. \(s < 10 ? "0" : "")\(s) s."
    }

    /// The same figures as one JSON object (keys in report order, spans as an array).
    public var json: String {
        var fields: [String] = []
        fields.append("\"format\":\"\(format.rawValue)\"")
        switch header {
        case .ok(let version, let content):
            fields.append("\"header\":{\"status\":\"ok\",\"version\":\(version),\"content\":\(content)}")
        case .broken(let message):
            fields.append("\"header\":{\"status\":\"broken\",\"message\":\(Self.jsonString(message))}")
        }
        let counters: [(String, String)] = [
            ("scanned", "\(scanned)"), ("healthy", "\(healthy)"), ("bytesTotal", "\(bytesTotal)"),
            ("bytesAccepted", "\(bytesAccepted)"), ("bytesDiscarded", "\(bytesDiscarded)"), ("notFixed", "\(notFixed)"),
            ("fixedWrongMagic", "\(fixedWrongMagic)"), ("fixedWrongChecksum", "\(fixedWrongChecksum)"),
            ("fixedWrongSize", "\(fixedWrongSize)"), ("elapsedSeconds", "\(elapsedSeconds)"),
            ("outputContent", "\(outputContent)"), ("outputFlags", "\(outputFlags)"),
        ]
        fields += counters.map { "\"\($0.0)\":\($0.1)" }
        let spans = discardedSpans.map { s in
            "{\"start\":\(s.start),\"end\":\(s.end),\"length\":\(s.length),\"reason\":\(Self.jsonString(s.reason.description))}"
        }
        fields.append("\"discardedSpans\":[\(spans.joined(separator: ","))]")
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func jsonString(_ s: String) -> String { JSONText.quoted(s) }
}
