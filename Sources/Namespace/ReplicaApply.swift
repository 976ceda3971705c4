import Changelog

/// Entries a replica holds but cannot show yet: their parent has not arrived, or their name is
/// still held by an entry whose rename or delete is in the other log and not yet applied. The
/// two logs are shipped separately, so a file record can overtake the record of its directory.
/// Each entry is attached as soon as the record that frees its way is applied.
struct PendingEntries {
    var files: Set<UInt64> = []
    var containers: Set<UInt64> = []
    var count: Int { files.count + containers.count }
}

/// Applying replicated records to the tree (the namespace's write lock held). Unlike boot, which
/// loads rows first and attaches them afterwards, every record is applied in place: the row is
/// replaced, detached from its old parent and attached under its new one.
extension NamespaceTree {
    /// Applies one record of the files log (`containers == false`) or the directories log.
    /// A record that does not decode changes nothing.
    mutating func applyReplicated(_ r: RecordView, containers isContainer: Bool,
                                  pending: inout PendingEntries) throws(CodecError) {
        switch r.type {
        case .update:
            if isContainer {
                let (row, extras) = try ContainerRow.decodeRecord(r.payload)
                applyContainerUpdate(row, extras: extras, pending: &pending)
            } else {
                let (row, extras) = try FileRow.decodeRecord(r.payload)
                applyFileUpdate(row, extras: extras, pending: &pending)
            }
            if r.payload[8] == ParentTimes.version, let e = ParentTimes.effect(ofUpdate: r.payload) {
                applyParentEffect(e, pendingUntilArrival: true)
            }
        case .delete:
            guard let id = r.id else { throw .truncated(field: "delete id", offset: r.payload.count) }
            let effect = try ParentTimes.effect(ofDelete: r.payload)
            if isContainer { applyContainerDelete(id, pending: &pending) } else { applyFileDelete(id, pending: &pending) }
            if let effect { applyParentEffect(effect, pendingUntilArrival: true) }
        default:
            break // stamps carry no namespace state
        }
    }

    private mutating func applyFileUpdate(_ row: FileRow, extras: UnsafeRawBufferPointer, pending: inout PendingEntries) {
        let at: Int
        if let existing = files.row(of: row.id) {
            let old = files.rows[existing]
            if old.container == row.container, !pending.files.contains(row.id), old.container != ContainerID.detached.rawValue,
               files.withName(existing, { Self.sameName($0, extras) }) {
                // The common update (size, locations, times): same parent, same name, stays linked.
                var r = row
                r.previous = old.previous
                r.next = old.next
                files.replace(existing, with: r, extras: extras)
                return
            }
            unlink(.file(existing))
            files.replace(existing, with: row, extras: extras)
            at = existing
        } else {
            at = files.insert(row, extras: extras)
        }
        files.rows[at].previous = NodeRef.none.raw
        files.rows[at].next = NodeRef.none.raw
        if row.container == ContainerID.detached.rawValue {
            pending.files.remove(row.id)
        } else if tryLink(.file(at)) {
            pending.files.remove(row.id)
        } else {
            pending.files.insert(row.id)
        }
    }

    /// The two logs arrive separately, so a child's effect may be applied before a record of the
    /// container written earlier: a record never lowers times an effect raised (ParentTimes.swift).
    private mutating func applyContainerUpdate(_ row: ContainerRow, extras: UnsafeRawBufferPointer, pending: inout PendingEntries) {
        var r = row
        let at: Int
        if let existing = containers.row(of: row.id) {
            let current = containers.rows[existing]
            if timesNotInLog.contains(row.id) {
                if row.ctime < current.ctime {
                    r.ctime = current.ctime
                    r.mtime = current.mtime
                } else {
                    timesNotInLog.remove(row.id)
                }
            }
            if current.id != ContainerID.root.rawValue { unlink(.container(existing)) }
            r.firstChild = current.firstChild
            r.childCount = current.childCount
            r.previous = NodeRef.none.raw
            r.next = NodeRef.none.raw
            containers.replace(existing, with: r, extras: extras)
            at = existing
        } else {
            at = insertContainer(r, extras: extras)
            if let t = pendingParentTimes.removeValue(forKey: row.id) { touch(row.id, at: t) }
        }
        if row.id == ContainerID.root.rawValue || tryLink(.container(at)) {
            pending.containers.remove(row.id)
        } else {
            pending.containers.insert(row.id)
        }
    }

    private mutating func applyFileDelete(_ id: UInt64, pending: inout PendingEntries) {
        files.noteID(id)
        pending.files.remove(id)
        guard let at = files.row(of: id) else { return }
        unlink(.file(at))
        files.remove(at)
    }

    /// A directory deleted while the replica still shows children (their deletes or moves are in
    /// the other log): the children wait in the pending set for those records.
    private mutating func applyContainerDelete(_ id: UInt64, pending: inout PendingEntries) {
        containers.noteID(id)
        pending.containers.remove(id)
        timesNotInLog.remove(id)
        pendingParentTimes[id] = nil
        guard let at = containers.row(of: id) else { return }
        for child in children(ofContainerRow: at) {
            unlink(child)
            if child.isContainer { pending.containers.insert(self.id(child)) } else { pending.files.insert(self.id(child)) }
        }
        unlink(.container(at))
        removeContainer(at)
    }

    /// Removes an id the master's compacted log no longer holds (see `Namespace.adopt`).
    mutating func removeReplicated(_ id: UInt64, containers isContainer: Bool, pending: inout PendingEntries) {
        if isContainer { applyContainerDelete(id, pending: &pending) } else { applyFileDelete(id, pending: &pending) }
    }

    /// Whether a stored name equals the name at the start of a variable section.
    static func sameName(_ stored: UnsafeRawBufferPointer, _ extras: UnsafeRawBufferPointer) -> Bool {
        guard !extras.isEmpty, Int(extras[0]) == stored.count, extras.count >= 1 + stored.count else { return false }
        return VariableFields.equal(stored, UnsafeRawBufferPointer(rebasing: extras[1..<(1 + stored.count)]))
    }

    /// Links `ref` under its parent when the parent exists and the name is free.
    private mutating func tryLink(_ ref: NodeRef) -> Bool {
        let parent = parentID(ref)
        guard containers.row(of: parent) != nil else { return false }
        if ref.isContainer && parent == id(ref) { return false }
        // The name is read inside its table's closure (non-escaping: it borrows the tree, no copy);
        // the link, which changes the tree, comes after.
        let (hash, taken) = ref.isContainer ? containers.withName(ref.row) { lookUp(parent, $0) }
                                            : files.withName(ref.row) { lookUp(parent, $0) }
        if let taken { return taken == ref }
        link(ref, hash: hash)
        return true
    }

    /// The child hash of `name` under `parent`, and the entry that already holds that name.
    @inline(__always)
    private func lookUp(_ parent: UInt64, _ name: UnsafeRawBufferPointer) -> (UInt32, NodeRef?) {
        let hash = Hashing.child(parent: parent, name: name)
        return (hash, child(of: parent, named: name, hash: hash))
    }

    /// Attaches pending entries whose way is now free. Containers first (files may wait for them).
    mutating func retryPending(_ pending: inout PendingEntries) {
        guard pending.count > 0 else { return }
        for id in pending.containers {
            guard let at = containers.row(of: id) else { pending.containers.remove(id); continue }
            if tryLink(.container(at)) { pending.containers.remove(id) }
        }
        for id in pending.files {
            guard let at = files.row(of: id) else { pending.files.remove(id); continue }
            if tryLink(.file(at)) { pending.files.remove(id) }
        }
    }
}
