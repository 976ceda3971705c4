/// Text and JSON renderings of decoded legacy objects, for `beryl log dump`.
extension LegacyFileMD: CustomStringConvertible {
    /// `key=value` pairs on one line (names and xattr values JSON-quoted).
    public var description: String {
        var parts = ["name=\(NamespaceListing.jsonString(name))", "parent=\(containerId)", "size=\(size)",
                     "mode=0\(String(mode, radix: 8))", "flags=0\(String(flags, radix: 8))", "uid=\(uid)", "gid=\(gid)",
                     "layout=0x\(NamespaceListing.hex(UInt64(layoutId), digits: 8))",
                     "locations=\(NamespaceListing.list(locations))", "unlinked=\(NamespaceListing.list(unlinkedLocations))",
                     "checksum=\(checksumHex)", "ctime=\(ctime)", "mtime=\(mtime)"]
        if let linkTarget { parts.append("link=\(NamespaceListing.jsonString(linkTarget))") }
        if !extendedAttributes.isEmpty { parts.append("xattrs=\(NamespaceListing.json(extendedAttributes))") }
        return parts.joined(separator: " ")
    }

    var checksumHex: String { checksum.isEmpty ? "-" : checksum.map { NamespaceListing.hex(UInt64($0), digits: 2) }.joined() }

    /// One JSON object with every field.
    public var json: String {
        let q = NamespaceListing.jsonString
        return "{\"id\":\(id),\"parent\":\(containerId),\"name\":\(q(name)),\"link\":\(linkTarget.map(q) ?? "null")"
            + ",\"size\":\(size),\"flags\":\(flags),\"mode\":\(mode),\"uid\":\(uid),\"gid\":\(gid),\"layout\":\(layoutId)"
            + ",\"locations\":[\(locations.map(String.init).joined(separator: ","))]"
            + ",\"unlinked\":[\(unlinkedLocations.map(String.init).joined(separator: ","))]"
            + ",\"checksum\":\(q(checksum.isEmpty ? "" : checksumHex)),\"ctime\":\(q(ctime.description)),\"mtime\":\(q(mtime.description))"
            + ",\"xattrs\":\(NamespaceListing.json(extendedAttributes))}"
    }
}

extension LegacyContainerMD: CustomStringConvertible {
    public var description: String {
        var parts = ["name=\(NamespaceListing.jsonString(name))", "parent=\(parentId)", "mode=0\(String(mode, radix: 8))",
                     "flags=0\(String(flags, radix: 8))", "uid=\(uid)", "gid=\(gid)", "acl=\(aclId)",
                     "ctime=\(ctime)", "mtime=\(mtime)"]
        if !extendedAttributes.isEmpty { parts.append("xattrs=\(NamespaceListing.json(extendedAttributes))") }
        return parts.joined(separator: " ")
    }

    public var json: String {
        let q = NamespaceListing.jsonString
        return "{\"id\":\(id),\"parent\":\(parentId),\"name\":\(q(name)),\"flags\":\(flags),\"mode\":\(mode),\"uid\":\(uid)"
            + ",\"gid\":\(gid),\"acl\":\(aclId),\"ctime\":\(q(ctime.description)),\"mtime\":\(q(mtime.description))"
            + ",\"xattrs\":\(NamespaceListing.json(extendedAttributes))}"
    }
}
