import Changelog
import Glibc
import Platform

/// One record of this node's log that the master's history does not hold (or that cannot be
/// proven to be in it).
public struct DivergentRecord: Sendable, Equatable {
    public var kind: ContentKind
    public var position: LogPosition
    public var sequence: SequenceNumber
    public var type: RecordType
    /// The entry the record is about (its first 8 payload bytes), if any.
    public var id: UInt64?
    /// The entry's path in this node's namespace now (nil: not attached, or deleted by the record).
    public var path: String?
    public var payload: [UInt8]
}

/// What adopting a master's log would discard from one of this node's logs.
public struct DivergenceReport: Sendable, Equatable {
    public var kind: ContentKind
    /// Where this node's log stops matching the master's (same log identity), or nil when the
    /// logs are unrelated and records were compared by entry and sequence.
    public var commonEnd: LogOffset?
    public var records: [DivergentRecord] = []

    public var isEmpty: Bool { records.isEmpty }
    /// Distinct entries the records touch.
    public var entries: Int { Set(records.compactMap(\.id)).count }
}

/// Divergent tails: before a replica adopts a log fetched from its master, it checks that the
/// records it holds are all in the master's history, so that an old master rejoining as a slave
/// never silently loses what it wrote and never shipped (docs/REPLICATION.md, "Divergent tails").
extension Namespace {
    /// The records of this node's log of `kind` that adopting `replacement` (the master's log,
    /// complete) would discard. `appliedThrough` non-nil: the master proved that our log is a
    /// prefix of its history (nothing diverges). Same identity: every record from the first byte
    /// where the two copies differ (or where the master's copy ends). Unrelated logs: the records
    /// of each entry whose latest state here is not the master's (same id and sequence), since
    /// nothing proves that the master deleted or replaced it.
    public func divergence(of kind: ContentKind, replacement: Changelog,
                           appliedThrough: SequenceNumber?) throws(NamespaceError) -> DivergenceReport {
        var report = DivergenceReport(kind: kind)
        guard appliedThrough == nil, let own = changelog(kind) else { return report }
        let first = LogOffset(UInt64(RecordFormat.firstRecordOffset))
        guard own.end > first else { return report }
        do throws(ChangelogError) {
            if own.identity == replacement.identity {
                guard let split = try Self.firstDifference(own, replacement) else { return report }
                report.commonEnd = split
                var frameStart = first
                var frameIsSingle = true
                var frameEnd = first
                // The frame that holds the first differing byte: the last one starting at or before it
                // (unless it is a single record that ends before it).
                try own.scan(policy: .strict) { r in
                    guard r.position.offset <= split else { return false }
                    frameStart = r.position.offset
                    frameIsSingle = r.type != .block && r.position.slot == 0
                    frameEnd = LogOffset(r.position.offset.rawValue + UInt64(r.storedBytes))
                    return true
                }
                let from = frameIsSingle && frameEnd <= split ? split : frameStart
                try own.scan(policy: .strict) { r in
                    if r.position.offset >= from { report.records.append(record(r, kind)) }
                    return true
                }
            } else {
                report.records = try unprovenRecords(own, replacement, kind)
            }
        } catch {
            throw .log(error)
        }
        return report
    }

    private func record(_ r: RecordView, _ kind: ContentKind) -> DivergentRecord {
        let id = r.type == .update || r.type == .delete ? r.id : nil
        var path: String?
        if let id {
            path = kind == .files ? self.path(of: FileID(rawValue: id)) : self.path(of: ContainerID(rawValue: id))
        }
        return DivergentRecord(kind: kind, position: r.position, sequence: r.sequence, type: r.type, id: id, path: path,
                               payload: r.copyPayload())
    }

    /// The first byte offset at which the two copies of one log differ, or where the master's copy
    /// ends while ours goes on; nil when ours is a prefix of the master's.
    private static func firstDifference(_ own: Changelog, _ master: Changelog) throws(ChangelogError) -> LogOffset? {
        let ownEnd = own.end, masterEnd = master.end
        let common = min(ownEnd, masterEnd)
        let start = LogOffset(UInt64(RecordFormat.firstRecordOffset))
        var difference: Int?
        do {
            try own.withLogBytes(from: start, to: common) { a in
                try master.withLogBytes(from: start, to: common) { b in
                    // Whole 64 KiB chunks with memcmp, then the differing chunk byte by byte.
                    var chunk = 0
                    let size = 1 << 16
                    while chunk < a.count {
                        let n = min(size, a.count - chunk)
                        if !ByteCursor.equal(a, b, at: chunk, count: n) {
                            var i = chunk
                            while a[i] == b[i] { i += 1 }
                            difference = i
                            return
                        }
                        chunk += n
                    }
                }
            }
        } catch let error as ChangelogError {
            throw error
        } catch {
            throw ChangelogError(.io, path: own.path, offset: start, detail: "comparing with the master's copy: \(error)")
        }
        if let difference { return LogOffset(start.rawValue + UInt64(difference)) }
        return ownEnd > masterEnd ? masterEnd : nil
    }

    /// Unrelated logs: the records of every entry whose latest record here is not the master's
    /// latest for that id (same sequence and same payload: ids and sequences alone can coincide on
    /// two histories that forked), and of every entry deleted here that the master still holds.
    private func unprovenRecords(_ own: Changelog, _ master: Changelog, _ kind: ContentKind) throws(ChangelogError) -> [DivergentRecord] {
        struct Latest: Equatable {
            var sequence: SequenceNumber
            var payload: UInt64
            var deleted: Bool
        }
        func latest(of log: Changelog) throws(ChangelogError) -> [UInt64: Latest] {
            var map: [UInt64: Latest] = [:]
            try log.scan(policy: .strict) { r in
                guard r.type == .update || r.type == .delete, let id = r.id else { return true }
                map[id] = Latest(sequence: r.sequence, payload: RecordFormat.xxh3(r.payload), deleted: r.type == .delete)
                return true
            }
            return map
        }
        let theirs = try latest(of: master)
        let ours = try latest(of: own)
        var unproven = Set<UInt64>()
        for (id, mine) in ours {
            let other = theirs[id]
            if mine.deleted {
                // Our delete is lost if the master still holds the entry.
                if let other, !other.deleted { unproven.insert(id) }
            } else if other != mine {
                unproven.insert(id)
            }
        }
        guard !unproven.isEmpty else { return [] }
        var records: [DivergentRecord] = []
        try own.scan(policy: .strict) { r in
            if r.type == .update || r.type == .delete, let id = r.id, unproven.contains(id) { records.append(record(r, kind)) }
            return true
        }
        return records
    }
}
