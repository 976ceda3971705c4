import Changelog

/// Offline compaction of a data directory that no server holds (`beryl log compact --data DIR`):
/// the same run as online compaction, so it ends the same way, with a checkpoint of the compacted
/// logs written with the same crash safety (CheckpointFile.swift) and the archives and older
/// checkpoints rotated by `options.keepArchives`.
extension Namespace {
    /// Boots `directory` read-write (which takes each log's exclusive lock, so a running server makes
    /// this fail, and writes any boot repairs to the logs as a server's boot would), compacts both
    /// logs, writes a checkpoint, and closes. The report names the checkpoint, or why none was written.
    public static func compactOffline(directory: String, durability: Durability = .batch,
                                      options: CompactionOptions = CompactionOptions()) throws(NamespaceError) -> CompactionReport {
        let ns = try Namespace.boot(NamespaceConfiguration(directory: directory, durability: durability))
        defer { ns.close() }
        return try ns.compact(.all, options: options)
    }
}
