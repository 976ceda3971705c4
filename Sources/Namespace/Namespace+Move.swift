import Platform

extension Namespace {
    /// Renames and/or moves the file or directory at `source` to `destination` (a whole subtree
    /// moves with its directory). The destination's parent must exist. An existing destination is
    /// replaced as rename(2) does (Namespace+Replace.swift): a file by a file, an empty directory by a
    /// directory; EISDIR, ENOTDIR or ENOTEMPTY otherwise. Moving a directory into itself or its own
    /// descendant fails with EINVAL, as does moving the root. One record is appended (one block of
    /// two, the replaced entry's delete and the move, when something is replaced).
    public func rename(_ source: String, to destination: String) throws(NamespaceError) {
        let sourceParts = try NameRules.components(of: source)
        let (targetParent, targetName) = try NameRules.split(destination)
        try NameRules.checkNewName(targetName, path: destination)
        guard !sourceParts.isEmpty else { throw .invalidArgument("cannot move the root") }
        try mutate { () throws(NamespaceError) in
            try checkWritable()
            let ref = try tree.resolve(sourceParts, path: source)
            let parentRow = try tree.resolveContainer(targetParent, path: destination)
            try move(ref, toParentRow: parentRow, name: targetName, destination: destination)
        }
    }

    /// Lock held.
    func move(_ ref: NodeRef, toParentRow parentRow: Int, name: [UInt8], destination: String) throws(NamespaceError) {
        let parentID = tree.containers.rows[parentRow].id
        var replaced: NodeRef?
        if let existing = tree.child(of: parentID, named: name) {
            if existing == ref { return }
            try checkReplaceable(existing, by: ref, destination: destination)
            replaced = existing
        }
        let renamed = tree.withName(ref) { current in name.withUnsafeBytes { !VariableFields.equal(current, $0) } }
        // The moved entry's ctime and both parents' mtime and ctime become now (ParentTimes.swift).
        let oldParent = tree.parentID(ref)
        let unlinkedFrom = oldParent == parentID ? 0 : oldParent
        let now = Timestamp.now()
        let time: Timestamp
        if ref.isContainer {
            guard !tree.isAncestor(ref.row, of: parentRow) else {
                throw .invalidArgument("cannot move a directory into itself or its descendant")
            }
            var row = tree.containers.rows[ref.row]
            row.parent = parentID
            row.ctime = max(now, row.ctime)
            time = row.ctime
            let extras: [UInt8]? = renamed ? tree.containers.withExtras(ref.row) { NamespaceTree.replacingName($0, with: name) } : nil
            if let replaced {
                var payload: [UInt8] = []
                if let extras {
                    extras.withUnsafeBytes { ContainerCodec.encode(row, extras: $0, into: &payload) }
                } else {
                    tree.containers.withExtras(ref.row) { ContainerCodec.encode(row, extras: $0, into: &payload) }
                }
                ParentTimes.markUpdate(&payload, linked: true, unlinkedFrom: unlinkedFrom)
                try appendReplacing(replaced, update: payload, parent: parentID, time: time)
                dropReplaced(replaced)
                tree.timesNotInLog.remove(row.id)
            } else if let extras {
                try withArrayBytes(extras) { (p) throws(NamespaceError) in
                    try appendContainer(row, extras: p, linked: true, unlinkedFrom: unlinkedFrom)
                }
            } else {
                try appendContainer(row, extrasOf: ref.row, linked: true, unlinkedFrom: unlinkedFrom)
            }
            tree.unlink(ref)
            row.previous = NodeRef.none.raw
            row.next = NodeRef.none.raw
            row.firstChild = tree.containers.rows[ref.row].firstChild
            row.childCount = tree.containers.rows[ref.row].childCount
            replaceContainer(ref.row, row, extras)
        } else {
            var row = tree.files.rows[ref.row]
            guard row.container != ContainerID.detached.rawValue else { throw .notFound(destination) }
            row.container = parentID
            row.ctime = max(now, row.ctime)
            time = row.ctime
            let extras: [UInt8]? = renamed ? tree.files.withExtras(ref.row) { NamespaceTree.replacingName($0, with: name) } : nil
            if let replaced {
                var payload: [UInt8] = []
                if let extras {
                    extras.withUnsafeBytes { FileCodec.encode(row, extras: $0, into: &payload) }
                } else {
                    tree.files.withExtras(ref.row) { FileCodec.encode(row, extras: $0, into: &payload) }
                }
                ParentTimes.markUpdate(&payload, linked: true, unlinkedFrom: unlinkedFrom)
                try appendReplacing(replaced, update: payload, parent: parentID, time: time)
                dropReplaced(replaced)
            } else if let extras {
                try withArrayBytes(extras) { (p) throws(NamespaceError) in
                    try appendFile(row, extras: p, linked: true, unlinkedFrom: unlinkedFrom)
                }
            } else {
                try appendFile(row, extrasOf: ref.row, linked: true, unlinkedFrom: unlinkedFrom)
            }
            tree.unlink(ref)
            row.previous = NodeRef.none.raw
            row.next = NodeRef.none.raw
            if let extras {
                extras.withUnsafeBytes { tree.files.replace(ref.row, with: row, extras: $0) }
            } else {
                tree.files.replace(ref.row, with: row, extras: nil)
            }
        }
        tree.link(ref)
        tree.applyParentEffect(ParentEffect(linkedTo: parentID, unlinkedFrom: unlinkedFrom, time: time))
    }

    private func replaceContainer(_ at: Int, _ row: ContainerRow, _ extras: [UInt8]?) {
        if let extras {
            extras.withUnsafeBytes { tree.containers.replace(at, with: row, extras: $0) }
        } else {
            tree.containers.replace(at, with: row, extras: nil)
        }
    }
}
