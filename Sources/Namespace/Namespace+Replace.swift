import Changelog

/// Renaming onto an existing entry, as rename(2) and the EOS MGM: a file replaces a file, a directory
/// replaces an empty directory; a file never replaces a directory (EISDIR) nor a directory a file
/// (ENOTDIR); a non-empty directory is not replaced (ENOTEMPTY). The delete of the replaced entry and
/// the update of the moved one go to their log as one block: one frame, checksummed whole, so a crash
/// leaves both or neither, and boot, compaction and a replica see the same two records in that order.
extension Namespace {
    /// Lock held. Throws unless `ref` may replace `existing`.
    func checkReplaceable(_ existing: NodeRef, by ref: NodeRef, destination: String) throws(NamespaceError) {
        switch (ref.isContainer, existing.isContainer) {
        case (false, true): throw .isADirectory(destination)
        case (true, false): throw .notADirectory(destination)
        case (true, true):
            guard tree.containers.rows[existing.row].childCount == 0 else { throw .notEmpty(destination) }
        case (false, false): break
        }
    }

    /// Lock held. Appends the delete of `replaced` (version 2: its parent and `time`) and then `update`
    /// (the moved entry's record, same log) as one block, durable before it returns.
    func appendReplacing(_ replaced: NodeRef, update: [UInt8], parent: UInt64, time: Timestamp) throws(NamespaceError) {
        let log = replaced.isContainer ? try directoriesLogForWriting() : try filesLogForWriting()
        let id = replaced.isContainer ? tree.containers.rows[replaced.row].id : tree.files.rows[replaced.row].id
        var delete: [UInt8] = []
        ParentTimes.appendDelete(id: id, parent: parent, time: time, to: &delete)
        do {
            try log.append(batch: [PendingRecord(.delete, payload: delete), PendingRecord(.update, payload: update)],
                           packing: .compressedBlock)
        } catch {
            throw .log(error)
        }
    }

    /// Lock held, after `appendReplacing`: the replaced entry leaves memory.
    func dropReplaced(_ replaced: NodeRef) {
        tree.unlink(replaced)
        if replaced.isContainer {
            tree.timesNotInLog.remove(tree.containers.rows[replaced.row].id)
            tree.removeContainer(replaced.row)
        } else {
            tree.files.remove(replaced.row)
        }
    }
}
