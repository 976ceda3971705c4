import Changelog
import Glibc
import Platform
import LegacyEOS

/// Converts a legacy EOS `files` or `directories` changelog into a native one, decoding every
/// legacy FileMD / ContainerMD and re-encoding it with the namespace codecs, so a legacy
/// namespace boots in this system.
///
/// Records are converted in log order: updates become native updates, deletes stay deletes,
/// a compaction stamp stays a stamp. The output keeps the content kind and the compacted flag.
/// A record that does not decode, or an object the native model refuses (a name with `/`, say),
/// is skipped and reported; nothing is silently changed.
public enum LegacyConversion {
    public struct Report: Sendable {
        public var contentKind: ContentKind = .generic
        public var records = 0
        public var updates = 0
        public var deletes = 0
        public var stamps = 0
        public var skipped: [(offset: UInt64, reason: String)] = []
        /// A damaged legacy record stops the conversion here (repair the file first).
        public var stoppedAt: (offset: UInt64, reason: String)?
    }

    public static func convert(legacyPath: String, to outputPath: String) throws(ChangelogError) -> Report {
        let input = try LegacyLogFile(path: legacyPath)
        guard let header = input.header else {
            throw input.headerError ?? ChangelogError(.notAChangelog, path: legacyPath, detail: "broken legacy header; run log-repair first")
        }
        guard let kind = header.contentKind, kind != .generic else {
            throw ChangelogError(.notAChangelog, path: legacyPath, detail: "legacy content flag \(header.contentFlag) is neither files (1) nor directories (2)")
        }
        // Anything at the output path is refused, not replaced: a file, a directory, a FIFO, a symlink.
        if FileSystem.entryExists(outputPath) { throw ChangelogError(.alreadyExists, path: outputPath, errno: EEXIST) }
        var config = ChangelogConfiguration(creation: .createNew, contentKind: kind, durability: .none)
        config.damagePolicy = .strict
        let output = try Changelog.open(at: outputPath, configuration: config)
        var report = Report()
        report.contentKind = kind
        var batch: [PendingRecord] = []
        var failure: ChangelogError?
        let result = input.scanner.forEachRecord { r in
            report.records += 1
            switch r.type {
            case .update:
                do {
                    let payload = try kind == .files ? FileCodec.encode(fileMetadata(LegacyFileMD.decode(r.payload)))
                                                     : ContainerCodec.encode(containerMetadata(LegacyContainerMD.decode(r.payload)))
                    batch.append(PendingRecord(.update, payload: payload))
                    report.updates += 1
                } catch {
                    report.skipped.append((UInt64(r.offset.rawValue), "\(error)"))
                }
            case .delete:
                guard let id = r.id else {
                    report.skipped.append((UInt64(r.offset.rawValue), "delete record shorter than 8 bytes"))
                    break
                }
                batch.append(PendingRecord(.delete, payload: ByteCursor.bytes(of: id)))
                report.deletes += 1
            case .compactionStamp:
                batch.append(PendingRecord(.compactionStamp, payload: []))
                report.stamps += 1
            default:
                report.skipped.append((UInt64(r.offset.rawValue), "record type \(r.type)"))
            }
            if batch.count >= 4096 {
                do throws(ChangelogError) { try output.append(batch: batch) } catch {
                    failure = error
                    return false
                }
                batch.removeAll(keepingCapacity: true)
            }
            return true
        }
        if let failure {
            output.close()
            try? FileSystem.remove(outputPath)
            throw failure
        }
        if let f = result.failure { report.stoppedAt = (UInt64(f.offset), f.reason.description) }
        do throws(ChangelogError) {
            if !batch.isEmpty { try output.append(batch: batch) }
            if header.userFlags.contains(.compacted) { try output.setFlags(output.header.flags.union(.compacted)) }
            try output.sync()
            output.close()
        } catch {
            output.close()
            try? FileSystem.remove(outputPath)
            throw error
        }
        return report
    }

    /// The native form of a legacy FileMD (mode from the legacy flags' permission bits, as EOS did).
    public static func fileMetadata(_ f: LegacyFileMD) -> FileMetadata {
        FileMetadata(id: FileID(f.id), container: ContainerID(f.containerId), name: f.name,
                     ctime: timestamp(f.ctime), mtime: timestamp(f.mtime), size: f.size, flags: UInt32(f.flags),
                     uid: f.uid, gid: f.gid, mode: f.mode, layoutID: f.layoutId, checksum: f.checksum,
                     locations: f.locations, unlinkedLocations: f.unlinkedLocations,
                     xattrs: dictionary(f.extendedAttributes), symlinkTarget: f.linkTarget)
    }

    /// The native form of a legacy ContainerMD (its mtime pairs already folded into `mtime`).
    public static func containerMetadata(_ c: LegacyContainerMD) -> ContainerMetadata {
        ContainerMetadata(id: ContainerID(c.id), parent: ContainerID(c.parentId), name: c.name, ctime: timestamp(c.ctime),
                          mtime: timestamp(c.mtime), uid: c.uid, gid: c.gid, mode: c.mode, flags: UInt32(c.flags),
                          xattrs: dictionary(c.extendedAttributes))
    }

    static func timestamp(_ t: LegacyTimestamp) -> Timestamp {
        Timestamp(seconds: t.seconds, nanoseconds: UInt32(clamping: max(0, min(t.nanoseconds, 999_999_999))))
    }

    static func dictionary(_ pairs: [LegacyExtendedAttribute]) -> [String: String] {
        var d: [String: String] = [:]
        for p in pairs { d[p.key] = p.value }
        return d
    }
}
