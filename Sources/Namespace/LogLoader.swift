import Changelog
import Platform

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
        /// Parent effects of the log's version-2 records, applied after both logs are loaded.
        var effects = ParentTimeEffects()
    }

    let path: String
    let configuration: ChangelogConfiguration
    /// Bytes per record to assume when sizing the tables from the file size: on the low side,
    /// since unused reservation is only virtual memory while growing an array copies it.
    let bytesPerRecordGuess: Int

    /// The state the scan callback works on. It lives behind a pointer so the hot loop pays no
    /// dynamic exclusivity check (a captured `var` would be boxed and checked on every access).
    private struct State {
        var table = RowTable<Row>()
        var records = 0
        var failure: NamespaceError?
        var effects = ParentTimeEffects()

        @inline(__always)
        mutating func apply(_ r: RecordView, path: String) {
            records += 1
            guard failure == nil else { return }
            switch r.type {
            case .update:
                do throws(CodecError) {
                    let (row, extras) = try Row.decodeRecord(r.payload)
                    if let at = table.row(of: row.id) {
                        table.replace(at, with: row, extras: extras)
                    } else {
                        table.insert(row, extras: extras)
                    }
                    if r.payload[8] == ParentTimes.version, let e = ParentTimes.effect(ofUpdate: r.payload) { effects.note(e) }
                } catch {
                    failure = .badRecord(log: path, position: r.position, reason: error)
                }
            case .delete:
                guard let id = r.id else {
                    failure = .badRecord(log: path, position: r.position,
                                         reason: .truncated(field: "delete id", offset: r.payload.count))
                    return
                }
                do throws(CodecError) {
                    if let e = try ParentTimes.effect(ofDelete: r.payload) { effects.note(e) }
                } catch {
                    failure = .badRecord(log: path, position: r.position, reason: error)
                    return
                }
                table.noteID(id)
                if let at = table.row(of: id) { table.remove(at) }
            default:
                break // stamps and types from newer versions carry no namespace state
            }
        }
    }

    /// Loads the records of `log` (open, possibly being appended to) from its start up to `end`, a
    /// frame boundary: the state the namespace had when its end was there (a checkpoint's source).
    func load(from log: Changelog, upTo end: LogOffset) -> Outcome {
        let start = MonotonicClock.seconds()
        var out = Outcome()
        let state = UnsafeMutablePointer<State>.allocate(capacity: 1)
        state.initialize(to: State())
        defer { state.deinitialize(count: 1); state.deallocate() }
        state.pointee.table.reserve(Int(end.rawValue) / bytesPerRecordGuess, extrasBytes: Int(end.rawValue))
        let path = self.path
        do throws(ChangelogError) {
            try log.scan(policy: configuration.damagePolicy) { r in
                guard r.position.offset < end else { return false }
                state.pointee.apply(r, path: path)
                return true
            }
        } catch {
            state.pointee.failure = state.pointee.failure ?? .log(error)
        }
        if state.pointee.table.arena.needsCompaction { state.pointee.table.compactArena() }
        swap(&out.table, &state.pointee.table)
        out.records = state.pointee.records
        out.effects = state.pointee.effects
        out.error = state.pointee.failure
        out.seconds = MonotonicClock.seconds() - start
        return out
    }

    func load() -> Outcome {
        let start = MonotonicClock.seconds()
        var out = Outcome()
        let state = UnsafeMutablePointer<State>.allocate(capacity: 1)
        state.initialize(to: State())
        defer { state.deinitialize(count: 1); state.deallocate() }
        if let size = FileSystem.size(path) {
            let guess = Int(size) / bytesPerRecordGuess
            // Extras never exceed the payload bytes of the log: reserving that much (virtual memory,
            // touched only as used) saves the doubling copies of a multi-GB arena at large boots.
            state.pointee.table.reserve(guess, extrasBytes: Int(size))
        }
        let path = self.path
        do throws(ChangelogError) {
            let log = try Changelog.open(at: path, configuration: configuration) { r in state.pointee.apply(r, path: path) }
            out.log = log
            let report = log.openReport
            if let torn = report.tornTail { out.warnings.append("\(path): \(torn)") }
            for span in report.damagedSpans { out.warnings.append("\(path): \(span)") }
        } catch {
            state.pointee.failure = state.pointee.failure ?? .log(error)
        }
        if state.pointee.table.arena.needsCompaction { state.pointee.table.compactArena() }
        swap(&out.table, &state.pointee.table)
        out.records = state.pointee.records
        out.effects = state.pointee.effects
        out.error = state.pointee.failure
        out.seconds = MonotonicClock.seconds() - start
        return out
    }
}
