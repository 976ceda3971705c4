import Glibc
import Platform

extension Changelog {
    /// Opens (or creates) the log at `path`.
    ///
    /// The whole log is scanned once, verifying every checksum; `visit` sees every valid record in
    /// order (so a boot needs only this one pass). When opened for append, a torn tail (a partial
    /// or zero-filled last record with no valid record after it) is copied to
    /// `<path>.torn-<unix time>` and cut off, and `openReport.tornTail` says so. Damage followed by
    /// valid records fails with `.corruption` unless the configuration's damage policy is `.salvage`.
    /// On any error the file is left as it was.
    public static func open(at path: String, configuration: ChangelogConfiguration = ChangelogConfiguration()) throws(ChangelogError) -> Changelog {
        try open(at: path, configuration: configuration) { _ in }
    }

    /// Opens the log, handing every valid record to `visit` during the one verifying scan.
    /// `visit` is not escaping: state it captures is not boxed.
    ///
    /// `resumingAt` (a namespace checkpoint's position) starts the verifying scan there instead of
    /// after the header: `visit` sees only the records after it, and the bytes before it are taken
    /// as they are. The caller has checked that they are the ones it expects (the header's identity
    /// and a fingerprint of the bytes just before the position).
    public static func open(at path: String, configuration: ChangelogConfiguration = ChangelogConfiguration(),
                            resumingAt resume: ResumePoint? = nil,
                            visit: (RecordView) -> Void) throws(ChangelogError) -> Changelog {
        var report = OpenReport()
        let writable = configuration.access == .append
        let exists = FileSystem.exists(path)
        if FileSystem.isDirectory(path) { throw ChangelogError(.notARegularFile, path: path, errno: EISDIR) }
        if configuration.creation == .createNew && FileSystem.entryExists(path) {
            throw ChangelogError(.alreadyExists, path: path, errno: EEXIST)
        }
        if exists && writable && !FileSystem.hasWriteBits(path) {
            throw ChangelogError(.io, path: path, errno: EACCES, detail: "the file is read-only (no write permission bits); open it read-only")
        }
        if !exists {
            guard writable, configuration.creation != .openExisting else {
                throw ChangelogError(.io, path: path, errno: ENOENT, detail: "no such file")
            }
            try create(at: path, header: FileHeader(contentKind: configuration.contentKind ?? .generic,
                                                    createdNanoseconds: nowNanoseconds()))
            report.created = true
        }
        let file = try system { () throws(SystemError) in try SystemFile.open(path, access: writable ? .readWrite : .readOnly, creation: .openExisting) }
        if writable { try system { () throws(SystemError) in try file.lockExclusive() } }
        let head = try system { () throws(SystemError) in try file.read(count: RecordFormat.fileHeaderSize, at: 0) }
        let header = try withArrayBytes(head) { (b) throws(ChangelogError) in
            try FileHeader.decode(b, path: path, expected: configuration.contentKind)
        }
        let sizeBefore = try system { () throws(SystemError) in try file.size() }
        if writable && configuration.truncateExisting && sizeBefore > RecordFormat.firstRecordOffset {
            try system { () throws(SystemError) in try file.truncate(to: RecordFormat.firstRecordOffset) }
            try system { () throws(SystemError) in try file.syncData() }
        }
        let size = Int(try system { () throws(SystemError) in try file.size() })
        let region = try system { () throws(SystemError) in try MappedRegion(file: file, length: max(size, 1 << 20)) }
        region.advise(.sequential)
        var scan = LogScan(path: path, bytes: region.bytes(count: size), identity: header.identity,
                           policy: configuration.damagePolicy)
        let from = resume.map { Int($0.offset.rawValue) } ?? RecordFormat.fileHeaderSize
        if let resume {
            guard from >= RecordFormat.fileHeaderSize, from <= size, resume.lastSequence >= header.baseSequence else {
                throw ChangelogError(.noRecord, path: path, offset: resume.offset,
                                     detail: "resume point past the end \(size) or before the header's base sequence")
            }
        }
        let summary = try scan.run(from: from, after: resume?.lastSequence ?? header.baseSequence) { r in
            visit(r)
            return true
        }
        region.advise(.normal)
        report.records = summary.records
        report.damagedSpans = summary.damagedSpans
        report.tornTail = summary.tornTail
        report.trailingZeroBytes = summary.trailingZeroBytes
        let end = summary.end.rawValue
        let lastSequence = summary.lastSequence
        guard writable else {
            return Changelog(path: path, configuration: configuration, file: file, header: header, end: end,
                             capacity: UInt64(size), lastSequence: lastSequence, report: report, region: region)
        }
        var capacity = UInt64(size)
        if let torn = report.tornTail {
            report.tornCopyPath = try cutTornTail(file: file, path: path, torn: torn, bytes: region.bytes(count: size))
            capacity = torn.offset.rawValue
        }
        let writeRegion = try system { () throws(SystemError) in try MappedRegion(file: file, length: Int(capacity), writable: true) }
        return Changelog(path: path, configuration: configuration, file: file, header: header, end: end,
                         capacity: capacity, lastSequence: lastSequence, report: report, region: writeRegion)
    }

    /// Creates a new log atomically: the header is written to `<path>.new`, synced, and renamed
    /// into place, so a crash never leaves a header-less file under the log's name.
    static func create(at path: String, header: FileHeader) throws(ChangelogError) {
        let temporary = path + ".new"
        try system { () throws(SystemError) in try FileSystem.remove(temporary) }
        do throws(ChangelogError) {
            let f = try system { () throws(SystemError) in try SystemFile.open(temporary, access: .readWrite, creation: .createNew) }
            try system { () throws(SystemError) in try f.write(header.encoded(), at: 0) }
            try system { () throws(SystemError) in try f.syncAll() }
            try system { () throws(SystemError) in try FileSystem.rename(temporary, to: path) }
            try system { () throws(SystemError) in try FileSystem.syncDirectory(FileSystem.directory(of: path)) }
        } catch {
            try? FileSystem.remove(temporary)
            throw error
        }
    }

    /// Saves the torn bytes beside the log, then truncates them away (both made durable).
    static func cutTornTail(file: SystemFile, path: String, torn: TornTail, bytes: UnsafeRawBufferPointer) throws(ChangelogError) -> String {
        let copyPath = "\(path).torn-\(FileSystem.unixTime())"
        let copy = try system { () throws(SystemError) in try SystemFile.open(copyPath, access: .readWrite, creation: .openOrCreate) }
        let start = Int(torn.offset.rawValue)
        // Keep the torn bytes up to the last non-zero one; preallocated zeros after it carry nothing.
        var last = bytes.count
        while last > start && bytes[last - 1] == 0 { last -= 1 }
        try system { () throws(SystemError) in try copy.truncate(to: 0) }
        try system { () throws(SystemError) in try copy.write(UnsafeRawBufferPointer(rebasing: bytes[start..<last]), at: 0) }
        try system { () throws(SystemError) in try copy.syncAll() }
        try system { () throws(SystemError) in try file.truncate(to: torn.offset.rawValue) }
        try system { () throws(SystemError) in try file.syncAll() }
        try system { () throws(SystemError) in try FileSystem.syncDirectory(FileSystem.directory(of: path)) }
        return copyPath
    }

    static func nowNanoseconds() -> UInt64 { SystemClock.wallNanoseconds() }
}

/// Where `Changelog.open(at:configuration:resumingAt:visit:)` starts its scan: the end of the last
/// record a caller already holds (a frame boundary) and that record's sequence number.
public struct ResumePoint: Sendable, Equatable {
    public var offset: LogOffset
    public var lastSequence: SequenceNumber
    public init(offset: LogOffset, lastSequence: SequenceNumber) {
        self.offset = offset
        self.lastSequence = lastSequence
    }
}
