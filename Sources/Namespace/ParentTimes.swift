/// Parent directory times (docs/NAMESPACE-FORMAT.md, "Parent times"). Creating, removing or
/// renaming an entry sets its parent directory's mtime and ctime (both parents on a move), as the
/// EOS MGM does. The parent gets no record of its own (that would be a second log, so a second
/// fdatasync, for every file mutation): the entry's own record says which parents it touched and
/// when, and every reader (live, boot, replica) applies the same rule:
///
/// * an effect at time T sets a container's mtime and ctime to T when T is later than its ctime;
/// * a container's own record never lowers its ctime (the namespace clamps it when writing).
///
/// Together these make the result independent of the order in which the two logs are read: the
/// outcome is the write (own record or effect) with the latest ctime. Containers whose times came
/// from effects are remembered (`NamespaceTree.timesNotInLog`) and written as ordinary container
/// records before a compaction drops the records that carried the effects.
struct ParentEffect: Equatable {
    /// The container the entry was linked into (create, move in); 0: none.
    var linkedTo: UInt64
    /// The container the entry left (remove, move out, detach); 0: none.
    var unlinkedFrom: UInt64
    var time: Timestamp
}

enum ParentTimes {
    /// Version byte of records that carry a parent effect (update records with the trailer, deletes
    /// with parent and time). Records without one stay version 1.
    static let version: UInt8 = 2
    /// The update trailer: u64 previous parent, u8 flags.
    static let trailerSize = 9
    /// Flag bit 0 of the trailer: the entry was linked into the record's parent field.
    static let linkedFlag: UInt8 = 1
    /// A version-2 delete: u64 id, u8 version, u64 parent, i64 seconds, u32 nanoseconds.
    static let deleteSize = 29

    // MARK: Writing

    /// Turns the version-1 update record in `payload` into version 2 carrying the effect.
    static func markUpdate(_ payload: inout [UInt8], linked: Bool, unlinkedFrom: UInt64) {
        payload[8] = version
        payload.appendLE(unlinkedFrom)
        payload.appendLE(linked ? linkedFlag : 0)
    }

    /// A delete payload: version 1 (the id alone) without a parent, version 2 with one.
    static func appendDelete(id: UInt64, parent: UInt64, time: Timestamp, to out: inout [UInt8]) {
        out.appendLE(id)
        guard parent != 0 else { return }
        out.appendLE(version)
        out.appendLE(parent)
        out.appendLE(time)
    }

    // MARK: Reading (payloads whose checksum verified; never traps)

    /// The effect of an update record (nil for version 1). The caller decoded it already, so the
    /// fixed part and the trailer are there.
    static func effect(ofUpdate p: UnsafeRawBufferPointer) -> ParentEffect? {
        guard p.count >= 29 + trailerSize, p[8] == version else { return nil }
        var head = PayloadReader(UnsafeRawBufferPointer(rebasing: p[9..<29]))
        var tail = PayloadReader(UnsafeRawBufferPointer(rebasing: p[(p.count - trailerSize)...]))
        do throws(CodecError) {
            let parent = try head.u64("parent")
            let time = try head.timestamp("ctime")
            let from = try tail.u64("previous parent")
            let flags = try tail.u8("parent flags")
            return ParentEffect(linkedTo: flags & linkedFlag != 0 ? parent : 0, unlinkedFrom: from, time: time)
        } catch {
            return nil
        }
    }

    /// The effect of a delete record: nil for version 1 (8 bytes); throws for any other shape.
    static func effect(ofDelete p: UnsafeRawBufferPointer) throws(CodecError) -> ParentEffect? {
        if p.count == 8 { return nil }
        guard p.count >= 9 else { throw .truncated(field: "delete id", offset: p.count) }
        guard p[8] == version else { throw .unsupportedVersion(p[8]) }
        guard p.count == deleteSize else {
            if p.count < deleteSize { throw .truncated(field: "delete parent and time", offset: p.count) }
            throw .trailingBytes(p.count - deleteSize)
        }
        var r = PayloadReader(UnsafeRawBufferPointer(rebasing: p[9...]))
        let parent = try r.u64("parent")
        let time = try r.timestamp("time")
        return ParentEffect(linkedTo: 0, unlinkedFrom: parent, time: time)
    }

    /// Checks the trailer of a version-2 update: its flags use only bit 0.
    static func checkTrailer(_ r: inout PayloadReader) throws(CodecError) {
        _ = try r.u64("previous parent")
        let flags = try r.u8("parent flags")
        guard flags & ~linkedFlag == 0 else { throw .badFlag(field: "parent flags", value: flags) }
    }
}

/// Effects gathered while loading a log at boot: the latest time per container. Consecutive records
/// mostly touch the same directory (files created one after another in it), so the last container is
/// kept aside and the dictionary is touched only when it changes.
struct ParentTimeEffects {
    private var latest: [UInt64: Timestamp] = [:]
    private var lastID: UInt64 = 0
    private var lastTime = Timestamp(seconds: 0)

    @inline(__always)
    mutating func note(_ e: ParentEffect) {
        if e.linkedTo != 0 { note(e.linkedTo, e.time) }
        if e.unlinkedFrom != 0 && e.unlinkedFrom != e.linkedTo { note(e.unlinkedFrom, e.time) }
    }

    @inline(__always)
    private mutating func note(_ id: UInt64, _ t: Timestamp) {
        if id == lastID {
            if lastTime < t { lastTime = t }
            return
        }
        flush()
        lastID = id
        lastTime = t
    }

    private mutating func flush() {
        guard lastID != 0 else { return }
        if let old = latest[lastID], !(old < lastTime) { return }
        latest[lastID] = lastTime
    }

    /// The latest time per container.
    var all: [UInt64: Timestamp] {
        var copy = self
        copy.flush()
        return copy.latest
    }
}

extension NamespaceTree {
    /// Applies `e` to the containers it names (see `ParentTimes`). A container that does not exist
    /// is skipped, unless `pendingUntilArrival` (a replica, whose directories log may lag its files
    /// log): then the effect waits in `pendingParentTimes` for the container's record.
    mutating func applyParentEffect(_ e: ParentEffect, pendingUntilArrival: Bool = false) {
        if e.linkedTo != 0 { touch(e.linkedTo, at: e.time, pendingUntilArrival: pendingUntilArrival) }
        if e.unlinkedFrom != 0 && e.unlinkedFrom != e.linkedTo {
            touch(e.unlinkedFrom, at: e.time, pendingUntilArrival: pendingUntilArrival)
        }
    }

    mutating func touch(_ id: UInt64, at t: Timestamp, pendingUntilArrival: Bool = false) {
        guard let at = containers.row(of: id) else {
            // An id at or below the largest seen and absent was deleted: nothing to wait for.
            if pendingUntilArrival && id > containers.largestID {
                if let old = pendingParentTimes[id], !(old < t) { return }
                pendingParentTimes[id] = t
            }
            return
        }
        guard containers.rows[at].ctime < t else { return }
        containers.rows[at].ctime = t
        containers.rows[at].mtime = t
        timesNotInLog.insert(id)
    }

    /// Applies the boot-time effects of both logs (on a replica, those for a directory whose record
    /// has not arrived wait for it).
    mutating func applyParentEffects(_ effects: ParentTimeEffects, pendingUntilArrival: Bool = false) {
        for (id, t) in effects.all { touch(id, at: t, pendingUntilArrival: pendingUntilArrival) }
    }
}
