import Changelog

extension Namespace {
    /// Lock held, before a compaction notes its snapshot: writes a record for every container whose
    /// mtime/ctime came from its children's records (ParentTimes.swift), because compaction drops
    /// deletes and superseded updates, and with them the effects they carried. Chunks of frames,
    /// one write and one sync per chunk, durable before it returns. Returns the records written.
    @discardableResult
    func writeParentTimes() throws(NamespaceError) -> Int {
        guard !tree.timesNotInLog.isEmpty else { return 0 }
        let log = try directoriesLogForWriting()
        let ids = tree.timesNotInLog.sorted()
        var written = 0
        var chunk: [PendingRecord] = []
        chunk.reserveCapacity(min(ids.count, 4096))
        for (i, id) in ids.enumerated() {
            if let at = tree.containers.row(of: id) {
                var payload: [UInt8] = []
                let row = tree.containers.rows[at]
                tree.containers.withExtras(at) { ContainerCodec.encode(row, extras: $0, into: &payload) }
                chunk.append(PendingRecord(.update, payload: payload))
            }
            if chunk.count == 4096 || i == ids.count - 1 {
                do { try log.append(batch: chunk, packing: .frames) } catch { throw .log(error) }
                written += chunk.count
                chunk.removeAll(keepingCapacity: true)
            }
        }
        tree.timesNotInLog.removeAll()
        masterLog.log(.info, "compaction: wrote \(written) directory records carrying times set by their entries")
        return written
    }
}
