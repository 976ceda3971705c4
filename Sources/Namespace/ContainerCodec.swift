import Platform

/// The binary form of a container record (the payload of an update in `directories.mdlog`),
/// version 1: a 57-byte fixed part (id, version, parent, ctime, mtime, uid, gid, mode, flags)
/// followed by the variable section (name, xattrs). See docs/NAMESPACE-FORMAT.md.
public enum ContainerCodec {
    public static let version: UInt8 = 1
    public static let fixedSize = 57

    public static func encode(_ m: ContainerMetadata) throws(CodecError) -> [UInt8] {
        let row = ContainerRow(id: m.id.rawValue, parent: m.parent.rawValue, ctimeSeconds: m.ctime.seconds,
                               mtimeSeconds: m.mtime.seconds, ctimeNanoseconds: m.ctime.nanoseconds,
                               mtimeNanoseconds: m.mtime.nanoseconds, uid: m.uid, gid: m.gid, mode: m.mode,
                               flags: m.flags, extrasLength: 0, extrasOffset: 0)
        let extras = try encodeExtras(name: Array(m.name.utf8), xattrs: m.xattrs)
        var out: [UInt8] = []
        out.reserveCapacity(fixedSize + extras.count)
        extras.withUnsafeBytes { encode(row, extras: $0, into: &out) }
        return out
    }

    public static func decode(_ payload: [UInt8]) throws(CodecError) -> ContainerMetadata {
        try withArrayBytes(payload) { (p) throws(CodecError) in try decode(p) }
    }

    public static func decode(_ payload: UnsafeRawBufferPointer) throws(CodecError) -> ContainerMetadata {
        let (row, extras) = try decodeRow(payload)
        return try metadata(row, extras: extras)
    }

    static func metadata(_ row: ContainerRow, extras: UnsafeRawBufferPointer) throws(CodecError) -> ContainerMetadata {
        var r = PayloadReader(extras)
        let name = try VariableFields.readName(&r, allowEmpty: true)
        let xattrs = try VariableFields.readAttributes(&r)
        return ContainerMetadata(id: ContainerID(row.id), parent: ContainerID(row.parent),
                                 name: String(decoding: name, as: UTF8.self), ctime: row.ctime, mtime: row.mtime,
                                 uid: row.uid, gid: row.gid, mode: row.mode, flags: row.flags, xattrs: xattrs)
    }

    static func encodeExtras(name: [UInt8], xattrs: [String: String]) throws(CodecError) -> [UInt8] {
        var out: [UInt8] = []
        try VariableFields.appendName(name, to: &out)
        try VariableFields.appendAttributes(xattrs, to: &out)
        return out
    }

    static func encode(_ row: ContainerRow, extras: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.appendLE(row.id)
        out.appendLE(version)
        out.appendLE(row.parent)
        out.appendLE(row.ctime)
        out.appendLE(row.mtime)
        out.appendLE(row.uid)
        out.appendLE(row.gid)
        out.appendLE(row.mode)
        out.appendLE(row.flags)
        out.append(contentsOf: extras)
    }

    /// Decodes the fixed part and checks the variable section; the slice points into `payload`.
    /// Only the root (id 1) may have an empty name.
    static func decodeRow(_ payload: UnsafeRawBufferPointer) throws(CodecError) -> (ContainerRow, UnsafeRawBufferPointer) {
        var r = PayloadReader(payload)
        let id = try r.u64("id")
        guard id != 0 else { throw .zeroID }
        let v = try r.u8("version")
        guard v == version || v == ParentTimes.version else { throw .unsupportedVersion(v) }
        let parent = try r.u64("parent")
        let ctime = try r.timestamp("ctime")
        let mtime = try r.timestamp("mtime")
        let uid = try r.u32("uid")
        let gid = try r.u32("gid")
        let mode = try r.u32("mode")
        let flags = try r.u32("flags")
        let start = r.cursor
        _ = try VariableFields.readName(&r, allowEmpty: id == ContainerID.root.rawValue)
        try VariableFields.skipAttributes(&r)
        let end = r.cursor
        if v == ParentTimes.version { try ParentTimes.checkTrailer(&r) }
        guard r.remaining == 0 else { throw .trailingBytes(r.remaining) }
        let row = ContainerRow(id: id, parent: parent, ctimeSeconds: ctime.seconds, mtimeSeconds: mtime.seconds,
                               ctimeNanoseconds: ctime.nanoseconds, mtimeNanoseconds: mtime.nanoseconds, uid: uid, gid: gid,
                               mode: mode, flags: flags, extrasLength: UInt32(end - start), extrasOffset: 0)
        return (row, UnsafeRawBufferPointer(rebasing: payload[start..<end]))
    }
}
