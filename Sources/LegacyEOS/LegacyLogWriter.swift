import Changelog
import Platform

/// Writes a legacy EOS changelog: the equivalent of `ChangeLogFile::open` (create) and
/// `storeRecord`, buffered. Used by `log-repair` to write a valid legacy output and by tests to
/// build legacy logs.
///
/// Not thread-safe (one owner appends, like EOS's single writer). Records reach the file on
/// `flush()` or when the buffer fills; `close()` flushes and fsyncs. Records are framed as
/// `storeRecord` frames them: sequence 0, options = type, payload zero-padded to 4 bytes.
public final class LegacyLogWriter {
    public let path: String
    public private(set) var header: LegacyHeader
    private let output: BufferedFileWriter
    private var isClosed = false

    private init(path: String, header: LegacyHeader, file: SystemFile) {
        self.path = path
        self.header = header
        self.output = BufferedFileWriter(file: file, at: UInt64(LegacyFormat.headerSize))
    }

    /// Creates a new log at `path` with `header`; fails with `.alreadyExists` if the file exists.
    public static func create(at path: String, header: LegacyHeader) throws(ChangelogError) -> LegacyLogWriter {
        let file = try system { () throws(SystemError) in try SystemFile.open(path, access: .readWrite, creation: .createNew) }
        try system { () throws(SystemError) in try file.write(header.encoded(), at: 0) }
        return LegacyLogWriter(path: path, header: header, file: file)
    }

    /// Offset where the next record goes.
    public var end: LogOffset { LogOffset(output.end) }

    /// Appends one record (`storeRecord`); returns its offset. Payloads over 65,532 bytes fail
    /// with `.payloadTooLarge` ("Record too big").
    @discardableResult
    public func append(_ type: RecordType, payload: UnsafeRawBufferPointer) throws(ChangelogError) -> LogOffset {
        try append(type, payload: payload, knownChecksum: nil)
    }

    /// `append`, with the record's CRC supplied by a caller that has already computed it over
    /// sequence 0, options = type and this (already padded) payload; nil computes it.
    @discardableResult
    func append(_ type: RecordType, payload: UnsafeRawBufferPointer, knownChecksum: UInt32?) throws(ChangelogError) -> LogOffset {
        guard !isClosed else { throw ChangelogError(.closed, path: path) }
        let padded = LegacyFormat.padded(payload.count)
        guard padded <= LegacyFormat.maximumPayload else {
            throw ChangelogError(.payloadTooLarge(payload.count), path: path, offset: end,
                                 detail: "Record too big: a legacy EOS record holds at most \(LegacyFormat.maximumPayload) bytes")
        }
        let offset = end
        try output.append(length: padded + LegacyFormat.recordOverhead) { out in
            let body = LegacyFormat.recordHeaderSize
            ByteCursor.store(LegacyFormat.recordMagic, at: 0, in: out)
            ByteCursor.store(UInt16(padded), at: 2, in: out)
            ByteCursor.store(UInt32(type.rawValue), at: 16, in: out)
            if payload.count > 0 {
                UnsafeMutableRawBufferPointer(rebasing: out[body..<(body + payload.count)]).copyMemory(from: payload)
            }
            let crc = knownChecksum ?? LegacyFormat.crc32(UnsafeRawBufferPointer(rebasing: out[8..<(body + padded)]))
            ByteCursor.store(crc, at: 4, in: out)
            ByteCursor.store(crc, at: body + padded, in: out)
        }
        return offset
    }

    @discardableResult
    public func append(_ type: RecordType, payload: [UInt8]) throws(ChangelogError) -> LogOffset {
        try withArrayBytes(payload) { (p) throws(ChangelogError) in try append(type, payload: p) }
    }

    /// Rewrites the header's user flags in place (`setUserFlags`).
    public func setUserFlags(_ flags: LegacyUserFlags) throws(ChangelogError) {
        guard !isClosed else { throw ChangelogError(.closed, path: path) }
        header.userFlags = flags
        try system { () throws(SystemError) in try output.file.write(header.encoded(), at: 0) }
    }

    /// `addCompactionMark`: a stamp record with payload "DUMMY", and the COMPACTED user flag.
    @discardableResult
    public func addCompactionMark() throws(ChangelogError) -> LogOffset {
        let offset = try append(.compactionStamp, payload: Array("DUMMY".utf8))
        try setUserFlags(header.userFlags.union(.compacted))
        return offset
    }

    /// Writes buffered records to the file.
    public func flush() throws(ChangelogError) {
        try output.flush()
    }

    /// Flushes, fsyncs the file and its directory entry, and refuses further appends.
    public func close() throws(ChangelogError) {
        guard !isClosed else { return }
        try output.flush()
        try system { () throws(SystemError) in try output.file.syncAll() }
        try system { () throws(SystemError) in try FileSystem.syncDirectory(FileSystem.directory(of: path)) }
        isClosed = true
    }
}

extension LegacyLogWriter {
    /// Replaces the whole header (repair writes an inferred one when the input's was damaged).
    func rewriteHeader(_ newHeader: LegacyHeader) throws(ChangelogError) {
        header = newHeader
        try setUserFlags(newHeader.userFlags)
    }
}
