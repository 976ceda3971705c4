/// Decoders for the payloads of legacy EOS update records (`FileMD::serialize` and
/// `ContainerMD::serialize` at EOS 640d1619, reference §8). All integers little-endian; strings
/// are a u16 length including the NUL, then the bytes with the NUL; no alignment between fields.
/// Decoders never trap: a short or malformed payload throws `LegacyMetadataError`.

/// A file as the files log stores it (UPDATE payload, content flag 1).
///
/// ```
/// u64 id | timespec ctime | timespec mtime | u64 (flags << 48 | size & 0xFFFF_FFFF_FFFF)
/// | u64 containerId | string name ("name//target" for a symlink)
/// | u16 n, u32 location[n] | u16 n, u32 unlinked[n] | u32 uid | u32 gid | u32 layoutId
/// | u8 n, u8 checksum[n] | [u16 n, {string key, string value}[n]]   (only if >= 4 bytes remain)
/// ```
///
/// The legacy layout has **no mode field**. EOS keeps a file's permission bits in the 16-bit
/// `flags` (`FileMD::setFlags(mode & 07777)`) and builds `st_mode` when it stats the file; `mode`
/// below does the same: `0o120777` for a symlink, else `0o100000 | flags & 0o7777`, with `0o644`
/// for a file whose flags are 0 (files created before EOS stored permissions).
public struct LegacyFileMD: Sendable, Equatable {
    public var id: UInt64
    public var ctime: LegacyTimestamp
    public var mtime: LegacyTimestamp
    /// 48-bit size.
    public var size: UInt64
    /// 16 bits: the permission bits (see the type's documentation).
    public var flags: UInt16
    /// The parent container; 0 for a file that is unlinked (pending deletion).
    public var containerId: UInt64
    /// The name, without the `//target` suffix of a symlink.
    public var name: String
    /// The symlink target, nil for a regular file.
    public var linkTarget: String?
    public var locations: [UInt32]
    public var unlinkedLocations: [UInt32]
    public var uid: UInt32
    public var gid: UInt32
    public var layoutId: UInt32
    /// The raw checksum bytes (0 to 255).
    public var checksum: [UInt8]
    /// Extended attributes in stored order.
    public var extendedAttributes: [LegacyExtendedAttribute]

    public init(id: UInt64, ctime: LegacyTimestamp = .zero, mtime: LegacyTimestamp = .zero, size: UInt64 = 0,
                flags: UInt16 = 0, containerId: UInt64 = 0, name: String = "", linkTarget: String? = nil,
                locations: [UInt32] = [], unlinkedLocations: [UInt32] = [], uid: UInt32 = 0, gid: UInt32 = 0,
                layoutId: UInt32 = 0, checksum: [UInt8] = [], extendedAttributes: [LegacyExtendedAttribute] = []) {
        self.id = id
        self.ctime = ctime
        self.mtime = mtime
        self.size = size
        self.flags = flags
        self.containerId = containerId
        self.name = name
        self.linkTarget = linkTarget
        self.locations = locations
        self.unlinkedLocations = unlinkedLocations
        self.uid = uid
        self.gid = gid
        self.layoutId = layoutId
        self.checksum = checksum
        self.extendedAttributes = extendedAttributes
    }

    public var isSymbolicLink: Bool { linkTarget != nil }

    /// The POSIX mode EOS reports for this file (the layout has none; see the type's documentation).
    public var mode: UInt32 {
        if isSymbolicLink { return 0o120777 }
        let permissions = UInt32(flags) & 0o7777
        return 0o100000 | (permissions == 0 ? 0o644 : permissions)
    }

    /// Decodes an UPDATE payload of a files log (trailing padding is ignored).
    public static func decode(_ payload: UnsafeRawBufferPointer) throws(LegacyMetadataError) -> LegacyFileMD {
        var r = LegacyPayloadReader(payload)
        var f = LegacyFileMD(id: try r.u64("id"))
        f.ctime = try r.timestamp("ctime")
        f.mtime = try r.timestamp("mtime")
        let sizeAndFlags = try r.u64("size and flags")
        f.size = sizeAndFlags & 0xFFFF_FFFF_FFFF
        f.flags = UInt16(truncatingIfNeeded: sizeAndFlags >> 48)
        f.containerId = try r.u64("containerId")
        let fullName = try r.string("name")
        if let split = fullName.utf8.firstRange(of: "//".utf8) {
            f.name = String(fullName[..<split.lowerBound])
            f.linkTarget = String(fullName[split.upperBound...])
        } else {
            f.name = fullName
        }
        let locationCount = Int(try r.u16("location count"))
        f.locations.reserveCapacity(min(locationCount, r.remaining / 4))
        for _ in 0..<locationCount { f.locations.append(try r.u32("location")) }
        let unlinkedCount = Int(try r.u16("unlinked location count"))
        for _ in 0..<unlinkedCount { f.unlinkedLocations.append(try r.u32("unlinked location")) }
        f.uid = try r.u32("uid")
        f.gid = try r.u32("gid")
        f.layoutId = try r.u32("layoutId")
        let checksumLength = Int(try r.u8("checksum length"))
        f.checksum = try r.raw(checksumLength, "checksum")
        // EOS parses the xattr map only if at least 4 bytes remain; 0-3 bytes are record padding.
        if r.remaining >= 4 {
            let count = Int(try r.u16("xattr count"))
            f.extendedAttributes = try r.attributes(count)
        }
        return f
    }

    public static func decode(_ payload: [UInt8]) throws(LegacyMetadataError) -> LegacyFileMD {
        let result: Result<LegacyFileMD, LegacyMetadataError> = payload.withUnsafeBytes { p in
            Result { () throws(LegacyMetadataError) in try decode(p) }
        }
        return try result.get()
    }
}

/// A container (directory) as the directories log stores it (UPDATE payload, content flag 2).
///
/// ```
/// u64 id | u64 parentId | u16 flags | timespec ctime | u32 uid | u32 gid | u32 mode | u16 aclId
/// | string name | u16 n, {string key, string value}[n]
/// ```
/// EOS appends two synthetic pairs `sys.mtime.s` / `sys.mtime.ns` (decimal) to carry the mtime;
/// the decoder strips them into `mtime`, which defaults to `ctime` when they are absent.
public struct LegacyContainerMD: Sendable, Equatable {
    public var id: UInt64
    /// Equal to `id` for the root.
    public var parentId: UInt64
    /// `0x0001` = quota node.
    public var flags: UInt16
    public var ctime: LegacyTimestamp
    public var mtime: LegacyTimestamp
    public var uid: UInt32
    public var gid: UInt32
    /// The mode as stored (EOS stores `S_IFDIR` with the permission bits).
    public var mode: UInt32
    public var aclId: UInt16
    public var name: String
    /// Extended attributes in stored order, without the `sys.mtime.*` pairs.
    public var extendedAttributes: [LegacyExtendedAttribute]

    public static let quotaNodeFlag: UInt16 = 0x0001

    public init(id: UInt64, parentId: UInt64 = 0, flags: UInt16 = 0, ctime: LegacyTimestamp = .zero,
                mtime: LegacyTimestamp = .zero, uid: UInt32 = 0, gid: UInt32 = 0, mode: UInt32 = 0o040755,
                aclId: UInt16 = 0, name: String = "", extendedAttributes: [LegacyExtendedAttribute] = []) {
        self.id = id
        self.parentId = parentId
        self.flags = flags
        self.ctime = ctime
        self.mtime = mtime
        self.uid = uid
        self.gid = gid
        self.mode = mode
        self.aclId = aclId
        self.name = name
        self.extendedAttributes = extendedAttributes
    }

    public var isRoot: Bool { id == parentId }

    /// Decodes an UPDATE payload of a directories log (trailing padding is ignored).
    public static func decode(_ payload: UnsafeRawBufferPointer) throws(LegacyMetadataError) -> LegacyContainerMD {
        var r = LegacyPayloadReader(payload)
        var c = LegacyContainerMD(id: try r.u64("id"))
        c.parentId = try r.u64("parentId")
        c.flags = try r.u16("flags")
        c.ctime = try r.timestamp("ctime")
        c.uid = try r.u32("uid")
        c.gid = try r.u32("gid")
        c.mode = try r.u32("mode")
        c.aclId = try r.u16("aclId")
        c.name = try r.string("name")
        let count = Int(try r.u16("xattr count"))
        var mtime = c.ctime
        for pair in try r.attributes(count) {
            switch pair.key {
            case "sys.mtime.s": mtime.seconds = Self.decimal(pair.value)
            case "sys.mtime.ns": mtime.nanoseconds = Self.decimal(pair.value)
            default: c.extendedAttributes.append(pair)
            }
        }
        c.mtime = mtime
        return c
    }

    public static func decode(_ payload: [UInt8]) throws(LegacyMetadataError) -> LegacyContainerMD {
        let result: Result<LegacyContainerMD, LegacyMetadataError> = payload.withUnsafeBytes { p in
            Result { () throws(LegacyMetadataError) in try decode(p) }
        }
        return try result.get()
    }

    /// `strtoull` semantics: leading digits, 0 when there are none.
    static func decimal(_ s: String) -> Int64 {
        var v: Int64 = 0
        for c in s.utf8 {
            guard c >= 48, c <= 57 else { break }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(c - 48))
            if o1 || o2 { return Int64.max }
            v = a
        }
        return v
    }
}
