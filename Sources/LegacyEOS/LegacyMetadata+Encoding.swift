import Platform

/// The inverse of the decoders: `FileMD::serialize` and `ContainerMD::serialize` (layouts in
/// `LegacyMetadata.swift`). Used to write legacy logs this project makes itself (tests, samples):
/// `decode(encoded())` gives the value back, and `LegacyLogWriter` pads the payload to 4 bytes.
extension LegacyFileMD {
    /// The UPDATE payload of this file. Strings longer than 65,534 bytes and more than 65,535
    /// locations or attributes are cut to what the layout can hold; more than 255 checksum bytes
    /// keep the first 255.
    public func encoded() -> [UInt8] {
        var out = LegacyPayloadWriter()
        out.u64(id)
        out.timestamp(ctime)
        out.timestamp(mtime)
        out.u64(UInt64(flags) << 48 | size & 0xFFFF_FFFF_FFFF)
        out.u64(containerId)
        out.string(linkTarget.map { name + "//" + $0 } ?? name)
        out.u16(UInt16(clamping: locations.count))
        for l in locations.prefix(Int(UInt16.max)) { out.u32(l) }
        out.u16(UInt16(clamping: unlinkedLocations.count))
        for l in unlinkedLocations.prefix(Int(UInt16.max)) { out.u32(l) }
        out.u32(uid)
        out.u32(gid)
        out.u32(layoutId)
        out.u8(UInt8(clamping: checksum.count))
        out.bytes += checksum.prefix(255)
        out.attributes(extendedAttributes)
        return out.bytes
    }
}

extension LegacyContainerMD {
    /// The UPDATE payload of this container, with the `sys.mtime.s` / `sys.mtime.ns` pairs EOS
    /// appends to carry the mtime.
    public func encoded() -> [UInt8] {
        var out = LegacyPayloadWriter()
        out.u64(id)
        out.u64(parentId)
        out.u16(flags)
        out.timestamp(ctime)
        out.u32(uid)
        out.u32(gid)
        out.u32(mode)
        out.u16(aclId)
        out.string(name)
        out.attributes(extendedAttributes + [LegacyExtendedAttribute(key: "sys.mtime.s", value: String(mtime.seconds)),
                                             LegacyExtendedAttribute(key: "sys.mtime.ns", value: String(mtime.nanoseconds))])
        return out.bytes
    }
}

/// Little-endian field writer matching `LegacyPayloadReader`.
struct LegacyPayloadWriter {
    var bytes: [UInt8] = []

    mutating func integer<T: FixedWidthInteger>(_ v: T) { ByteCursor.append(v, to: &bytes) }
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { integer(v) }
    mutating func u32(_ v: UInt32) { integer(v) }
    mutating func u64(_ v: UInt64) { integer(v) }
    mutating func timestamp(_ t: LegacyTimestamp) {
        integer(t.seconds)
        integer(t.nanoseconds)
    }

    /// A u16 length including the NUL, then the bytes and the NUL.
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8.prefix(Int(UInt16.max) - 1))
        u16(UInt16(utf8.count + 1))
        bytes += utf8
        bytes.append(0)
    }

    mutating func attributes(_ pairs: [LegacyExtendedAttribute]) {
        u16(UInt16(clamping: pairs.count))
        for pair in pairs.prefix(Int(UInt16.max)) {
            string(pair.key)
            string(pair.value)
        }
    }
}
