/// Text and JSON renderings of decoded legacy objects, for `beryl log dump`.
extension LegacyFileMD: CustomStringConvertible {
    /// `key=value` pairs on one line (names and xattr values JSON-quoted).
    public var description: String {
        var parts = ["name=\(ListingText.jsonString(name))", "parent=\(containerId)", "size=\(size)",
                     "mode=0\(String(mode, radix: 8))", "flags=0\(String(flags, radix: 8))", "uid=\(uid)", "gid=\(gid)",
                     "layout=0x\(ListingText.hex(UInt64(layoutId), digits: 8))",
                     "locations=\(ListingText.list(locations))", "unlinked=\(ListingText.list(unlinkedLocations))",
                     "checksum=\(checksumHex)", "ctime=\(ctime)", "mtime=\(mtime)"]
        if let linkTarget { parts.append("link=\(ListingText.jsonString(linkTarget))") }
        if !extendedAttributes.isEmpty { parts.append("xattrs=\(ListingText.json(extendedAttributes))") }
        return parts.joined(separator: " ")
    }

    var checksumHex: String { checksum.isEmpty ? "-" : checksum.map { ListingText.hex(UInt64($0), digits: 2) }.joined() }

    /// One JSON object with every field.
    public var json: String {
        let q = ListingText.jsonString
        return "{\"id\":\(id),\"parent\":\(containerId),\"name\":\(q(name)),\"link\":\(linkTarget.map(q) ?? "null")"
            + ",\"size\":\(size),\"flags\":\(flags),\"mode\":\(mode),\"uid\":\(uid),\"gid\":\(gid),\"layout\":\(layoutId)"
            + ",\"locations\":[\(locations.map(String.init).joined(separator: ","))]"
            + ",\"unlinked\":[\(unlinkedLocations.map(String.init).joined(separator: ","))]"
            + ",\"checksum\":\(q(checksum.isEmpty ? "" : checksumHex)),\"ctime\":\(q(ctime.description)),\"mtime\":\(q(mtime.description))"
            + ",\"xattrs\":\(ListingText.json(extendedAttributes))}"
    }
}

extension LegacyContainerMD: CustomStringConvertible {
    public var description: String {
        var parts = ["name=\(ListingText.jsonString(name))", "parent=\(parentId)", "mode=0\(String(mode, radix: 8))",
                     "flags=0\(String(flags, radix: 8))", "uid=\(uid)", "gid=\(gid)", "acl=\(aclId)",
                     "ctime=\(ctime)", "mtime=\(mtime)"]
        if !extendedAttributes.isEmpty { parts.append("xattrs=\(ListingText.json(extendedAttributes))") }
        return parts.joined(separator: " ")
    }

    public var json: String {
        let q = ListingText.jsonString
        return "{\"id\":\(id),\"parent\":\(parentId),\"name\":\(q(name)),\"flags\":\(flags),\"mode\":\(mode),\"uid\":\(uid)"
            + ",\"gid\":\(gid),\"acl\":\(aclId),\"ctime\":\(q(ctime.description)),\"mtime\":\(q(mtime.description))"
            + ",\"xattrs\":\(ListingText.json(extendedAttributes))}"
    }
}
