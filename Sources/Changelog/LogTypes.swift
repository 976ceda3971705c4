/// Value types that name positions, identities and kinds in a changelog.
///
/// Positions and ids are their own types so that a byte offset is never mistaken for a
/// sequence number or an object id.

/// A byte offset in a changelog file.
public struct LogOffset: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ value: UInt64) { self.rawValue = value }
    public static func < (a: LogOffset, b: LogOffset) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "0x" + String(rawValue, radix: 16) }
}

/// Where a logical record lives: the offset of the physical record (frame) that holds it, and
/// for a record inside a compressed block, its 1-based slot in that block (0 = the frame itself).
///
/// Packs into one `UInt64` (48-bit offset, 16-bit slot) for the offset index.
public struct LogPosition: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var offset: LogOffset
    public var slot: UInt16
    public init(offset: LogOffset, slot: UInt16 = 0) {
        self.offset = offset
        self.slot = slot
    }
    /// The largest offset a packed position can carry (256 TiB).
    public static let maximumOffset: UInt64 = (1 << 48) - 1

    public var packed: UInt64 { offset.rawValue << 16 | UInt64(slot) }
    public init(packed: UInt64) {
        self.offset = LogOffset(packed >> 16)
        self.slot = UInt16(truncatingIfNeeded: packed)
    }
    public static func < (a: LogPosition, b: LogPosition) -> Bool { a.packed < b.packed }
    public var description: String { slot == 0 ? offset.description : "\(offset)#\(slot)" }
}

/// A record's sequence number: strictly increasing within a log, across reopen and compaction.
public struct SequenceNumber: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ value: UInt64) { self.rawValue = value }
    public static let zero = SequenceNumber(0)
    public static func < (a: SequenceNumber, b: SequenceNumber) -> Bool { a.rawValue < b.rawValue }
    public var next: SequenceNumber { SequenceNumber(rawValue &+ 1) }
    public var description: String { String(rawValue) }
}

/// A log's random 64-bit identity. It seeds every record checksum, so bytes copied from another
/// log (or stale space left by an earlier one) never validate.
public struct LogIdentity: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static func random() -> LogIdentity {
        var g = SystemRandomNumberGenerator()
        var v: UInt64 = 0
        while v == 0 { v = g.next() }
        return LogIdentity(rawValue: v)
    }
    public var description: String {
        let hex = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// What a log holds. Checked on open so a files log is never opened as a directories log.
public enum ContentKind: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case generic = 0
    case files = 1
    case directories = 2
    public var description: String {
        switch self {
        case .generic: "generic"
        case .files: "files"
        case .directories: "directories"
        }
    }
}

/// The type of a record. Values 0 and 5...255 are not assigned in format version 1; a reader
/// reports them as `.unknown` and skips them (see docs/FORMAT.md, "Versioning").
public enum RecordType: Sendable, Hashable, CustomStringConvertible {
    case update
    case delete
    case compactionStamp
    /// A compressed block that holds several records (never nested).
    case block
    case unknown(UInt8)

    public init(rawValue: UInt8) {
        switch rawValue {
        case 1: self = .update
        case 2: self = .delete
        case 3: self = .compactionStamp
        case 4: self = .block
        default: self = .unknown(rawValue)
        }
    }
    public var rawValue: UInt8 {
        switch self {
        case .update: 1
        case .delete: 2
        case .compactionStamp: 3
        case .block: 4
        case .unknown(let v): v
        }
    }
    public var description: String {
        switch self {
        case .update: "update"
        case .delete: "delete"
        case .compactionStamp: "stamp"
        case .block: "block"
        case .unknown(let v): "unknown(\(v))"
        }
    }
}

/// Flags in a log's file header.
public struct LogFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// The log was written by a compaction (it starts with the live set of an older log).
    public static let compacted = LogFlags(rawValue: 1)
    public static let known: LogFlags = [.compacted]
}

/// Flags in a record header.
public struct RecordFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The stored payload is an LZ4 block; the header's raw length is its decompressed size.
    public static let lz4 = RecordFlags(rawValue: 1)
    public static let known: RecordFlags = [.lz4]
}
