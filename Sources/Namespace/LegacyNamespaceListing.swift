import LegacyEOS

/// The legacy namespace as `NamespaceListing` rows.
extension NamespaceListing.Entry {
    /// A container row: `d`, mode as stored (with `S_IFDIR` added if the record lacks it), no layout.
    public init(_ c: LegacyContainerMD) {
        self.init(kind: .directory, id: c.id, parent: c.parentId, name: c.name)
        uid = c.uid
        gid = c.gid
        mode = c.mode & 0o170000 == 0 ? c.mode | 0o040000 : c.mode
        flags = UInt32(c.flags)
        ctime = c.ctime
        mtime = c.mtime
        extendedAttributes = c.extendedAttributes
    }

    /// A file row: `l` for a symlink, else `f`; mode as `LegacyFileMD.mode` maps it.
    public init(_ f: LegacyFileMD) {
        self.init(kind: f.isSymbolicLink ? .symbolicLink : .file, id: f.id, parent: f.containerId, name: f.name)
        size = f.size
        uid = f.uid
        gid = f.gid
        mode = f.mode
        flags = UInt32(f.flags)
        layout = f.layoutId
        locations = f.locations
        unlinkedLocations = f.unlinkedLocations
        checksum = f.checksum
        ctime = f.ctime
        mtime = f.mtime
        linkTarget = f.linkTarget
        extendedAttributes = f.extendedAttributes
    }
}

extension LegacyNamespace {
    /// The namespace in the `NamespaceListing` TSV format.
    public func listing() -> String {
        NamespaceListing.render(containers: containers.values.map(NamespaceListing.Entry.init),
                                files: files.values.map(NamespaceListing.Entry.init))
    }
}
