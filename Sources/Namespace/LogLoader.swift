import Changelog

/// Boot phase one for one log: open it (its single verifying scan) and decode every record
/// straight from the mapping into a row table. Last update wins; a delete removes.
struct LogLoader<Row: TableRow>: Sendable {
    struct Outcome {
        var table = RowTable<Row>()
        var log: Changelog?
        var records = 0
        var seconds = 0.0
        var error: NamespaceError?
        var warnings: [String] = []
    }

    let path: String
    let configuration: ChangelogConfiguration
    /// Expected bytes per record, to size the tables from the file size.
    let bytesPerRecordGuess: Int
    let decode: @Sendable (UnsafeRawBufferPointer) throws(CodecError) -> (Row, UnsafeRawBufferPointer)

    func load() -> Outcome {
        let start = MonotonicClock.seconds()
        var out = Outcome()
        if let size = SystemInfo.fileSize(path) {
            let guess = Int(size) / bytesPerRecordGuess
            out.table.reserve(guess, extrasBytes: guess * 24)
        }
        var failure: NamespaceError? = nil
        var table = out.table
        out.table = RowTable()
        var records = 0
        do throws(ChangelogError) {
            let log = try Changelog.open(at: path, configuration: configuration) { r in
                records += 1
                guard failure == nil else { return }
                switch r.type {
                case .update:
                    do throws(CodecError) {
                        let (row, extras) = try decode(r.payload)
                        if let at = table.row(of: row.id) {
                            table.replace(at, with: row, extras: extras)
                        } else {
                            table.insert(row, extras: extras)
                        }
                    } catch {
                        failure = .badRecord(log: path, position: r.position, reason: error)
                    }
                case .delete:
                    guard r.payload.count == 8, let id = r.id else {
                        failure = .badRecord(log: path, position: r.position,
                                             reason: .truncated(field: "delete id", offset: r.payload.count))
                        return
                    }
                    table.noteID(id)
                    if let at = table.row(of: id) { table.remove(at) }
                default:
                    break // stamps and types from newer versions carry no namespace state
                }
            }
            out.log = log
            let report = log.openReport
            if let torn = report.tornTail { out.warnings.append("\(path): \(torn)") }
            for span in report.damagedSpans { out.warnings.append("\(path): \(span)") }
        } catch {
            failure = failure ?? .log(error)
        }
        if table.arena.needsCompaction { table.compactArena() }
        out.table = table
        out.records = records
        out.error = failure
        out.seconds = MonotonicClock.seconds() - start
        return out
    }
}
