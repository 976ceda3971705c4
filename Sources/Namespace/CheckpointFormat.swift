import Changelog
import Platform

/// The byte layout of a namespace checkpoint (docs/CHECKPOINT.md): a header naming the two logs'
/// identities and positions it covers, a section table, and sections that hold the in-memory tables
/// as they are in memory, each at a 4 KiB boundary so that boot reads it with one `pread` into its
/// array. Every section's XXH3-64 checksum is seeded with the logs' identities and positions, so a
/// section of another checkpoint (of another data directory, or of an older log) never verifies.

/// Where a checkpoint stands in one log: the log's identity, the end of the last record it covers,
/// that record's sequence number and an XXH3 fingerprint of the log's bytes just before the end
/// (`Changelog.tailFingerprint(at:)`), which tells a repaired or rewritten log from the one covered.
public struct CheckpointLogMark: Sendable, Equatable, CustomStringConvertible {
    public var identity: LogIdentity
    public var end: LogOffset
    public var lastSequence: SequenceNumber
    public var fingerprint: UInt64

    public init(identity: LogIdentity, end: LogOffset, lastSequence: SequenceNumber, fingerprint: UInt64) {
        self.identity = identity
        self.end = end
        self.lastSequence = lastSequence
        self.fingerprint = fingerprint
    }

    public var description: String { "log \(identity) through \(end) (sequence \(lastSequence))" }
}

/// Why a checkpoint file cannot be used: its path, the byte offset the problem is at (when one
/// is), and the reason. Boot says it in one line and replays the logs in full.
public struct CheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var offset: UInt64?
    public var reason: String
    /// The system call that failed, if one did.
    public var cause: SystemError?

    public init(path: String, offset: UInt64? = nil, reason: String, cause: SystemError? = nil) {
        self.path = path
        self.offset = offset
        self.reason = reason
        self.cause = cause
    }

    public var description: String {
        var s = path
        if let offset { s += " at offset \(offset)" }
        s += ": " + reason
        if let cause { s += " (\(cause))" }
        return s
    }
}

/// The sections of a checkpoint, in the order they are written.
enum CheckpointSection: UInt32, CaseIterable {
    case fileRows = 1, fileFreeRows, fileDenseIndex, fileSparseIndex, fileArena
    case containerRows, containerFreeRows, containerDenseIndex, containerSparseIndex, containerArena
    case directorySizes, directorySlots, state

    /// Bytes per element (the section's length is its count times this).
    var elementSize: Int {
        switch self {
        case .fileRows: MemoryLayout<FileRow>.stride
        case .containerRows: MemoryLayout<ContainerRow>.stride
        case .fileFreeRows, .fileDenseIndex, .containerFreeRows, .containerDenseIndex, .directorySizes: 4
        case .fileSparseIndex, .containerSparseIndex, .directorySlots: 8
        case .fileArena, .containerArena, .state: 1
        }
    }

    var name: String {
        switch self {
        case .fileRows: "file rows"
        case .fileFreeRows: "file free rows"
        case .fileDenseIndex: "file dense index"
        case .fileSparseIndex: "file sparse index"
        case .fileArena: "file arena"
        case .containerRows: "container rows"
        case .containerFreeRows: "container free rows"
        case .containerDenseIndex: "container dense index"
        case .containerSparseIndex: "container sparse index"
        case .containerArena: "container arena"
        case .directorySizes: "directory table sizes"
        case .directorySlots: "directory table slots"
        case .state: "state"
        }
    }
}

/// One entry of the section table.
struct CheckpointSectionEntry: Equatable {
    var kind: CheckpointSection
    var offset: UInt64
    var count: UInt64
    var checksum: UInt64
    var length: UInt64 { count * UInt64(kind.elementSize) }
}

/// The header: fixed fields, the section table, and the header's own checksum.
struct CheckpointHeader: Equatable {
    static let magic: UInt64 = 0x504B_434C_5952_4542 // "BERYLCKP" read little-endian
    static let version: UInt16 = 1
    static let fixedSize = 120
    static let entrySize = 40
    /// Sections start at multiples of this.
    static let alignment: UInt64 = 4096
    /// The largest header a reader accepts (the table of every known section fits many times over).
    static let maximumSize = 4096

    var created: UInt64
    var files: CheckpointLogMark
    var directories: CheckpointLogMark
    var sections: [CheckpointSectionEntry]

    var size: Int { Self.fixedSize + sections.count * Self.entrySize + 8 }

    /// The seed of every section checksum and of the header's: XXH3-64 of the two log marks as
    /// stored (bytes 24..<88).
    var seed: UInt64 {
        var marks: [UInt8] = []
        Self.append(files, to: &marks)
        Self.append(directories, to: &marks)
        return marks.withUnsafeBytes { RecordFormat.xxh3($0) }
    }

    /// The in-memory row layout this build writes and reads: both strides and every field offset.
    /// A checkpoint from a build that lays rows out differently does not load (full replay instead).
    static var layoutFingerprint: UInt64 {
        var words: [UInt8] = []
        func add(_ v: Int?) { words.appendLE(UInt32(truncatingIfNeeded: v ?? 0xFFFF)) }
        add(MemoryLayout<FileRow>.stride)
        for k: PartialKeyPath<FileRow> in [\.id, \.container, \.size, \.ctimeSeconds, \.mtimeSeconds, \.ctimeNanoseconds,
                                           \.mtimeNanoseconds, \.uid, \.gid, \.mode, \.layoutID, \.flags, \.extrasLength,
                                           \.extrasOffset, \.previous, \.next] {
            add(MemoryLayout<FileRow>.offset(of: k))
        }
        add(MemoryLayout<ContainerRow>.stride)
        for k: PartialKeyPath<ContainerRow> in [\.id, \.parent, \.ctimeSeconds, \.mtimeSeconds, \.ctimeNanoseconds,
                                                \.mtimeNanoseconds, \.uid, \.gid, \.mode, \.flags, \.extrasLength,
                                                \.extrasOffset, \.previous, \.next, \.firstChild, \.childCount] {
            add(MemoryLayout<ContainerRow>.offset(of: k))
        }
        return words.withUnsafeBytes { RecordFormat.xxh3($0) }
    }

    static func append(_ m: CheckpointLogMark, to out: inout [UInt8]) {
        out.appendLE(m.identity.rawValue)
        out.appendLE(m.end.rawValue)
        out.appendLE(m.lastSequence.rawValue)
        out.appendLE(m.fingerprint)
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size)
        out.appendLE(Self.magic)
        out.appendLE(Self.version)
        out.appendLE(UInt16(0))
        out.appendLE(UInt32(sections.count))
        out.appendLE(created)
        Self.append(files, to: &out)
        Self.append(directories, to: &out)
        out.appendLE(UInt32(MemoryLayout<FileRow>.stride))
        out.appendLE(UInt32(MemoryLayout<ContainerRow>.stride))
        out.appendLE(Self.layoutFingerprint)
        out.appendLE(UInt64(0)) // reserved
        out.appendLE(UInt64(0)) // reserved
        for e in sections {
            out.appendLE(e.kind.rawValue)
            out.appendLE(UInt32(0))
            out.appendLE(e.offset)
            out.appendLE(e.length)
            out.appendLE(e.count)
            out.appendLE(e.checksum)
        }
        let sum = out.withUnsafeBytes { RecordFormat.xxh3($0, seed: seed) }
        out.appendLE(sum)
        return out
    }

    /// Decodes and verifies a header from the first bytes of a checkpoint file (at most
    /// `maximumSize`) whose total size is `fileSize`. Never traps: any byte string either decodes
    /// or throws naming the offset.
    static func decode(_ b: UnsafeRawBufferPointer, fileSize: UInt64, path: String) throws(CheckpointError) -> CheckpointHeader {
        func fail(_ at: Int, _ why: String) -> CheckpointError { CheckpointError(path: path, offset: UInt64(at), reason: why) }
        guard b.count >= fixedSize else { throw fail(0, "truncated header: \(b.count) bytes, at least \(fixedSize + 8) needed") }
        let c = ByteCursor(b)
        guard c.u64(0) == magic else { throw fail(0, "not a checkpoint (bad magic)") }
        guard c.u16(8) == version else { throw fail(8, "unsupported checkpoint version \(c.u16(8))") }
        let n = Int(c.u32(12))
        guard n <= (maximumSize - fixedSize - 8) / entrySize else { throw fail(12, "section count \(n) too large") }
        let size = fixedSize + n * entrySize + 8
        guard b.count >= size else { throw fail(b.count, "truncated header: \(b.count) of \(size) bytes") }
        func mark(_ o: Int) -> CheckpointLogMark {
            CheckpointLogMark(identity: LogIdentity(rawValue: c.u64(o)), end: LogOffset(c.u64(o + 8)),
                              lastSequence: SequenceNumber(c.u64(o + 16)), fingerprint: c.u64(o + 24))
        }
        var h = CheckpointHeader(created: c.u64(16), files: mark(24), directories: mark(56), sections: [])
        let stored = c.u64(size - 8)
        let computed = RecordFormat.xxh3(UnsafeRawBufferPointer(rebasing: b[0..<(size - 8)]), seed: h.seed)
        guard stored == computed else { throw fail(size - 8, "header checksum mismatch") }
        guard c.u32(88) == UInt32(MemoryLayout<FileRow>.stride), c.u32(92) == UInt32(MemoryLayout<ContainerRow>.stride),
              c.u64(96) == layoutFingerprint else {
            throw fail(88, "written by a build with another row layout")
        }
        var seen: Set<UInt32> = []
        for i in 0..<n {
            let o = fixedSize + i * entrySize
            guard let kind = CheckpointSection(rawValue: c.u32(o)), seen.insert(c.u32(o)).inserted else {
                throw fail(o, "unknown or repeated section kind \(c.u32(o))")
            }
            let e = CheckpointSectionEntry(kind: kind, offset: c.u64(o + 8), count: c.u64(o + 24), checksum: c.u64(o + 32))
            let (bytes, overflow) = e.count.multipliedReportingOverflow(by: UInt64(kind.elementSize))
            guard !overflow, bytes == c.u64(o + 16), e.offset % alignment == 0, e.offset >= UInt64(size),
                  e.offset <= fileSize, bytes <= fileSize - e.offset else {
                throw fail(o, "section \(kind.name) does not fit the file (offset \(e.offset), \(c.u64(o + 16)) bytes, file \(fileSize) bytes)")
            }
            h.sections.append(e)
        }
        guard seen.count == CheckpointSection.allCases.count else { throw fail(12, "sections missing: \(n) of \(CheckpointSection.allCases.count)") }
        return h
    }
}
