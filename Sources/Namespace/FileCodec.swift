import Platform

/// The binary form of a file record (the payload of an update in `files.mdlog`), version 1.
///
/// Layout (little-endian; byte by byte in docs/NAMESPACE-FORMAT.md): a 69-byte fixed part
/// (id, version, container, ctime, mtime, size, flags, uid, gid, mode, layout id) followed by the
/// variable section (name, checksum, locations, unlinked locations, xattrs, symlink target),
/// which the in-memory row keeps verbatim.
public enum FileCodec {
    public static let version: UInt8 = 1
    /// Bytes before the variable section.
    public static let fixedSize = 69

    public static func encode(_ m: FileMetadata) throws(CodecError) -> [UInt8] {
        let row = FileRow(id: m.id.rawValue, container: m.container.rawValue, size: m.size,
                          ctimeSeconds: m.ctime.seconds, mtimeSeconds: m.mtime.seconds,
                          ctimeNanoseconds: m.ctime.nanoseconds, mtimeNanoseconds: m.mtime.nanoseconds,
                          uid: m.uid, gid: m.gid, mode: m.mode, layoutID: m.layoutID, flags: m.flags,
                          extrasLength: 0, extrasOffset: 0)
        let extras = try FileExtras(m).encoded()
        var out: [UInt8] = []
        out.reserveCapacity(fixedSize + extras.count)
        extras.withUnsafeBytes { encode(row, extras: $0, into: &out) }
        return out
    }

    public static func decode(_ payload: [UInt8]) throws(CodecError) -> FileMetadata {
        try withArrayBytes(payload) { (p) throws(CodecError) in try decode(p) }
    }

    public static func decode(_ payload: UnsafeRawBufferPointer) throws(CodecError) -> FileMetadata {
        let (row, extras) = try decodeRow(payload)
        return try FileExtras(parsing: extras).metadata(row)
    }

    /// Appends the record for `row` with variable section `extras` to `out`.
    static func encode(_ row: FileRow, extras: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.appendLE(row.id)
        out.appendLE(version)
        out.appendLE(row.container)
        out.appendLE(row.ctime)
        out.appendLE(row.mtime)
        out.appendLE(row.size)
        out.appendLE(row.flags)
        out.appendLE(row.uid)
        out.appendLE(row.gid)
        out.appendLE(row.mode)
        out.appendLE(row.layoutID)
        out.append(contentsOf: extras)
    }

    /// Decodes the fixed part and checks the variable section without copying it.
    /// The returned slice points into `payload`.
    static func decodeRow(_ payload: UnsafeRawBufferPointer) throws(CodecError) -> (FileRow, UnsafeRawBufferPointer) {
        var r = PayloadReader(payload)
        let id = try r.u64("id")
        guard id != 0 else { throw .zeroID }
        let v = try r.u8("version")
        guard v == version || v == ParentTimes.version else { throw .unsupportedVersion(v) }
        let container = try r.u64("container")
        let ctime = try r.timestamp("ctime")
        let mtime = try r.timestamp("mtime")
        let size = try r.u64("size")
        let flags = try r.u32("flags")
        let uid = try r.u32("uid")
        let gid = try r.u32("gid")
        let mode = try r.u32("mode")
        let layout = try r.u32("layout id")
        let start = r.cursor
        _ = try VariableFields.readName(&r, allowEmpty: false)
        _ = try r.span(Int(try r.u8("checksum length")), "checksum")
        _ = try r.span(Int(try r.u16("location count")) * 4, "locations")
        _ = try r.span(Int(try r.u16("unlinked count")) * 4, "unlinked locations")
        try VariableFields.skipAttributes(&r)
        try skipSymlink(&r)
        let end = r.cursor
        if v == ParentTimes.version { try ParentTimes.checkTrailer(&r) }
        guard r.remaining == 0 else { throw .trailingBytes(r.remaining) }
        let row = FileRow(id: id, container: container, size: size, ctimeSeconds: ctime.seconds, mtimeSeconds: mtime.seconds,
                          ctimeNanoseconds: ctime.nanoseconds, mtimeNanoseconds: mtime.nanoseconds, uid: uid, gid: gid,
                          mode: mode, layoutID: layout, flags: flags, extrasLength: UInt32(end - start), extrasOffset: 0)
        return (row, UnsafeRawBufferPointer(rebasing: payload[start..<end]))
    }

    static func skipSymlink(_ r: inout PayloadReader) throws(CodecError) {
        let flag = try r.u8("symlink flag")
        guard flag <= 1 else { throw .badFlag(field: "symlink flag", value: flag) }
        if flag == 1 { _ = try r.span(Int(try r.u16("symlink length")), "symlink target") }
    }
}

/// The variable section of a file record, parsed into arrays (for the public metadata and for
/// mutations that change it).
struct FileExtras {
    var name: [UInt8]
    var checksum: [UInt8]
    var locations: [UInt32]
    var unlinked: [UInt32]
    var xattrs: [String: String]
    var symlink: [UInt8]?

    init(name: [UInt8], checksum: [UInt8], locations: [UInt32], unlinked: [UInt32], xattrs: [String: String],
         symlink: [UInt8]?) {
        self.name = name
        self.checksum = checksum
        self.locations = locations
        self.unlinked = unlinked
        self.xattrs = xattrs
        self.symlink = symlink
    }

    init(_ m: FileMetadata) {
        name = Array(m.name.utf8)
        checksum = m.checksum
        locations = m.locations
        unlinked = m.unlinkedLocations
        xattrs = m.xattrs
        symlink = m.symlinkTarget.map { Array($0.utf8) }
    }

    init(parsing bytes: UnsafeRawBufferPointer) throws(CodecError) {
        var r = PayloadReader(bytes)
        name = Array(try VariableFields.readName(&r, allowEmpty: false))
        checksum = Array(try r.span(Int(try r.u8("checksum length")), "checksum"))
        locations = try Self.readLocations(&r, "location count")
        unlinked = try Self.readLocations(&r, "unlinked count")
        xattrs = try VariableFields.readAttributes(&r)
        let flag = try r.u8("symlink flag")
        guard flag <= 1 else { throw .badFlag(field: "symlink flag", value: flag) }
        symlink = flag == 1 ? Array(try r.span(Int(try r.u16("symlink length")), "symlink target")) : nil
        guard r.remaining == 0 else { throw .trailingBytes(r.remaining) }
    }

    private static func readLocations(_ r: inout PayloadReader, _ field: StaticString) throws(CodecError) -> [UInt32] {
        let n = Int(try r.u16(field))
        var out: [UInt32] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try r.u32("location")) }
        return out
    }

    func encoded() throws(CodecError) -> [UInt8] {
        var out: [UInt8] = []
        try VariableFields.appendName(name, to: &out)
        guard checksum.count <= 255 else { throw .fieldTooLong(field: "checksum", length: checksum.count) }
        out.appendLE(UInt8(checksum.count))
        out.append(contentsOf: checksum)
        for list in [locations, unlinked] {
            guard list.count <= Int(UInt16.max) else { throw .fieldTooLong(field: "locations", length: list.count) }
            out.appendLE(UInt16(list.count))
            for l in list { out.appendLE(l) }
        }
        try VariableFields.appendAttributes(xattrs, to: &out)
        if let symlink {
            guard symlink.count <= Int(UInt16.max) else { throw .fieldTooLong(field: "symlink target", length: symlink.count) }
            out.appendLE(UInt8(1))
            out.appendLE(UInt16(symlink.count))
            out.append(contentsOf: symlink)
        } else {
            out.appendLE(UInt8(0))
        }
        return out
    }

    func metadata(_ row: FileRow) -> FileMetadata {
        FileMetadata(id: FileID(row.id), container: ContainerID(row.container), name: String(decoding: name, as: UTF8.self),
                     ctime: row.ctime, mtime: row.mtime, size: row.size, flags: row.flags, uid: row.uid, gid: row.gid,
                     mode: row.mode, layoutID: row.layoutID, checksum: checksum, locations: locations,
                     unlinkedLocations: unlinked, xattrs: xattrs,
                     symlinkTarget: symlink.map { String(decoding: $0, as: UTF8.self) })
    }
}
