import Platform

/// Rewrites a log down to its live records.
///
/// The engine behind both offline compaction (`beryl log compact IN OUT`) and the online phases
/// (`CompactionSession`). Live records are copied in old-offset order (sequential reads of the
/// mapping), packed into LZ4 blocks of about 64 KiB, keeping their sequence numbers; the new log
/// has a fresh identity, the old one's as predecessor, and the `compacted` flag, and ends with a
/// compaction stamp.

/// Figures of one compaction, in the legacy `eos-log-compact` vocabulary.
public struct CompactionFigures: Sendable {
    public var recordsTotal = 0
    public var recordsUpdated = 0
    public var recordsDeleted = 0
    public var recordsKept = 0
    public var recordsWritten = 0
    public var oldBytes: UInt64 = 0
    public var newBytes: UInt64 = 0
    public var skippedSpans: [DamagedSpan] = []
    /// Old size / new size.
    public var ratio: Double { newBytes == 0 ? 0 : Double(oldBytes) / Double(newBytes) }
}

public enum Compactor {
    /// Offline compaction of `inputPath` (opened read-only; nobody may be appending to it) into a
    /// new file `outputPath` (refused if it exists). Sequence numbers are kept.
    /// `packing`: `.compressedBlock` (default) packs live records into LZ4 blocks of about 64 KiB;
    /// `.frames` writes one plain frame per record (what compaction buys without compression).
    public static func compact(inputPath: String, outputPath: String, policy: DamagePolicy = .strict,
                               packing: BatchPacking = .compressedBlock) throws(ChangelogError) -> CompactionFigures {
        var config = ChangelogConfiguration.readOnly
        config.damagePolicy = policy
        var figures = CompactionFigures()
        var live = OffsetIndex()
        // The live set is built during open's own verifying scan: one read and verification of the
        // input fewer than a separate scan (about 15 % of an offline compaction's time).
        let input = try Changelog.open(at: inputPath, configuration: config) { r in
            figures.recordsTotal += 1
            switch r.type {
            case .update: figures.recordsUpdated += 1
            case .delete: figures.recordsDeleted += 1
            default: break
            }
            live.apply(r)
        }
        figures.skippedSpans = input.openReport.damagedSpans
        var positions: [LogPosition] = []
        positions.reserveCapacity(live.count)
        live.forEach { _, e in positions.append(e.position) }
        positions.sort()
        figures.recordsKept = positions.count
        let output = try createOutput(for: input, at: outputPath)
        do throws(ChangelogError) {
            var copier = BlockCopier(output: output, packing: packing)
            copier.keepsIndex = false   // offline: no owner to hand an index to
            try copyRecords(at: positions, from: input, policy: policy, into: &copier)
            try copier.flush()
            try output.appendCompactionStamp(after: input.lastSequence)
            try output.sync()
            figures.recordsWritten = copier.written
            output.close()
        } catch {
            output.close()
            try? FileSystem.remove(outputPath)
            throw error
        }
        figures.oldBytes = input.end.rawValue
        figures.newBytes = FileSystem.size(outputPath) ?? 0
        return figures
    }

    /// A new log for the compacted copy of `input`: same content kind, a fresh identity with the
    /// old one as predecessor, flagged compacted, durability `none` (the caller syncs once).
    static func createOutput(for input: Changelog, at path: String) throws(ChangelogError) -> Changelog {
        let h = input.header
        var header = FileHeader(contentKind: h.contentKind, flags: h.flags.union(.compacted), baseSequence: h.baseSequence,
                                createdNanoseconds: Changelog.nowNanoseconds(), predecessor: h.identity.rawValue)
        header.identity = .random()
        if FileSystem.exists(path) { throw ChangelogError(.alreadyExists, path: path) }
        try Changelog.create(at: path, header: header)
        let output = try Changelog.open(at: path, configuration: .init(creation: .openExisting, contentKind: h.contentKind, durability: .none))
        output.setExtendsWithWrites(true)
        return output
    }

    /// Copies the records at `positions` (sorted) from `input` in one sequential pass.
    static func copyRecords(at positions: [LogPosition], from input: Changelog, policy: DamagePolicy,
                            into copier: inout BlockCopier) throws(ChangelogError) {
        guard let first = positions.first else { return }
        var next = 0
        var failure: ChangelogError? = nil
        try input.scan(from: first.offset, policy: policy) { r in
            guard next < positions.count else { return false }
            if r.position == positions[next] {
                do throws(ChangelogError) { try copier.add(r) } catch {
                    failure = error
                    return false
                }
                next += 1
            }
            return next < positions.count
        }
        if let failure { throw failure }
        if next < positions.count {
            throw ChangelogError(.noRecord, path: input.path, offset: positions[next].offset, detail: "live record vanished during compaction")
        }
    }
}

extension Compactor {
    /// Swaps a complete, synced copy into place: renames the live log to `<live>.<unix time>` (an
    /// archive; the next free second if two swaps fall in one) and `outputPath` to the live name.
    /// A crash between the two renames is resolved at boot by `recoverInterruptedSwap`. The
    /// directory fsync that makes the swap durable is left to the output's first acknowledgement
    /// (see `requireDirectorySync`), so callers holding a lock do not wait for it. Returns the
    /// archive's path. Used by compaction's commit and by a replica adopting a compacted log.
    public static func swapIntoPlace(_ output: Changelog, at outputPath: String, replacing source: Changelog,
                                     livePath: String) throws(ChangelogError) -> String {
        var stamp = FileSystem.unixTime()
        while FileSystem.exists("\(livePath).\(stamp)") { stamp += 1 }
        let archive = "\(livePath).\(stamp)"
        try system { () throws(SystemError) in try FileSystem.rename(livePath, to: archive) }
        do throws(ChangelogError) {
            try system { () throws(SystemError) in try FileSystem.rename(outputPath, to: livePath) }
        } catch {
            try? FileSystem.rename(archive, to: livePath)
            throw error
        }
        output.renamed(to: livePath)
        output.inheritWritingPolicy(from: source)
        output.setExtendsWithWrites(false)
        output.requireDirectorySync(FileSystem.directory(of: livePath))
        source.renamed(to: archive)
        return archive
    }

    /// Deletes the oldest `<log>.<unix time>` archives beyond `keep`.
    public static func pruneArchives(of livePath: String, keep: Int) {
        let dir = FileSystem.directory(of: livePath)
        let base = String(livePath.split(separator: "/").last ?? "")
        let archives = FileSystem.list(dir).compactMap { name -> (Int, String)? in
            guard name.hasPrefix(base + "."), let t = Int(name.dropFirst(base.count + 1)) else { return nil }
            return (t, name)
        }.sorted { $0.0 < $1.0 }
        for (_, name) in archives.dropLast(max(0, keep)) { try? FileSystem.remove(dir + "/" + name) }
    }

    /// Resolves what a crash during compaction left: a leftover `<log>.oc` beside a live log is
    /// an unfinished copy and is removed; a `<log>.oc` without a live log means the crash fell
    /// between the two renames of the swap (the copy was complete and synced), so it is renamed
    /// into place. Returns what it did, for the boot report.
    @discardableResult
    public static func recoverInterruptedSwap(livePath: String) throws(ChangelogError) -> String? {
        let oc = livePath + ".oc"
        guard FileSystem.exists(oc) else { return nil }
        if FileSystem.exists(livePath) {
            try system { () throws(SystemError) in try FileSystem.remove(oc) }
            return "removed unfinished compaction output \(oc)"
        }
        try system { () throws(SystemError) in try FileSystem.rename(oc, to: livePath) }
        try system { () throws(SystemError) in try FileSystem.syncDirectory(FileSystem.directory(of: livePath)) }
        return "completed interrupted compaction swap: \(oc) -> \(livePath)"
    }
}
