/// The compact in-memory forms of files and containers.
///
/// A row holds the fixed-size fields as plain integers (a trivial type: no reference counting,
/// stored inline in one array). The variable-size fields (name, checksum, locations, xattrs,
/// symlink target) live in a `ByteArena` as the exact bytes of the record's variable section
/// (see docs/NAMESPACE-FORMAT.md), so boot copies them with one memcpy and an update re-encodes
/// a record without rebuilding them.

/// A reference to a row: bit 31 set for a container, clear for a file; the low 31 bits are the
/// row index. `none` ends sibling lists.
struct NodeRef: Hashable {
    var raw: UInt32
    static let none = NodeRef(raw: .max)
    static let containerBit: UInt32 = 1 << 31
    static func file(_ row: Int) -> NodeRef { NodeRef(raw: UInt32(truncatingIfNeeded: row)) }
    static func container(_ row: Int) -> NodeRef { NodeRef(raw: UInt32(truncatingIfNeeded: row) | containerBit) }
    var isNone: Bool { raw == .max }
    var isContainer: Bool { raw & Self.containerBit != 0 }
    var row: Int { Int(raw & ~Self.containerBit) }
}

struct FileRow {
    var id: UInt64
    var container: UInt64
    var size: UInt64
    var ctimeSeconds: Int64
    var mtimeSeconds: Int64
    var ctimeNanoseconds: UInt32
    var mtimeNanoseconds: UInt32
    var uid: UInt32
    var gid: UInt32
    var mode: UInt32
    var layoutID: UInt32
    var flags: UInt32
    var extrasLength: UInt32
    var extrasOffset: UInt64
    // Sibling links in the parent's child list (NodeRef raw values).
    var previous: UInt32 = NodeRef.none.raw
    var next: UInt32 = NodeRef.none.raw

    var ctime: Timestamp {
        get { Timestamp(seconds: ctimeSeconds, nanoseconds: ctimeNanoseconds) }
        set { ctimeSeconds = newValue.seconds; ctimeNanoseconds = newValue.nanoseconds }
    }
    var mtime: Timestamp {
        get { Timestamp(seconds: mtimeSeconds, nanoseconds: mtimeNanoseconds) }
        set { mtimeSeconds = newValue.seconds; mtimeNanoseconds = newValue.nanoseconds }
    }
}

struct ContainerRow {
    var id: UInt64
    var parent: UInt64
    var ctimeSeconds: Int64
    var mtimeSeconds: Int64
    var ctimeNanoseconds: UInt32
    var mtimeNanoseconds: UInt32
    var uid: UInt32
    var gid: UInt32
    var mode: UInt32
    var flags: UInt32
    var extrasLength: UInt32
    var extrasOffset: UInt64
    var previous: UInt32 = NodeRef.none.raw
    var next: UInt32 = NodeRef.none.raw
    var firstChild: UInt32 = NodeRef.none.raw
    var childCount: UInt32 = 0

    var ctime: Timestamp {
        get { Timestamp(seconds: ctimeSeconds, nanoseconds: ctimeNanoseconds) }
        set { ctimeSeconds = newValue.seconds; ctimeNanoseconds = newValue.nanoseconds }
    }
    var mtime: Timestamp {
        get { Timestamp(seconds: mtimeSeconds, nanoseconds: mtimeNanoseconds) }
        set { mtimeSeconds = newValue.seconds; mtimeNanoseconds = newValue.nanoseconds }
    }
}
