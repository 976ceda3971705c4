import Changelog
import LegacyEOS

extension Namespace {
    /// The whole namespace as the tab-separated listing of `fixtures/eos/namespace-expected.tsv`
    /// (containers by id, then files by id, detached files with path `-`), as the objects are
    /// recorded: a boot's lost+found re-attachments are listed where the boot put them.
    public func tsvListing() -> String {
        var containers: [NamespaceListing.Entry] = []
        var files: [NamespaceListing.Entry] = []
        let lastContainer = nextContainerID.rawValue
        let lastFile = nextFileID.rawValue
        for raw in 1..<max(1, lastContainer) {
            if let c = container(ContainerID(raw)) { containers.append(c.listingEntry) }
        }
        for raw in 1..<max(1, lastFile) {
            if let f = file(FileID(raw)) { files.append(f.listingEntry) }
        }
        return NamespaceListing.render(containers: containers, files: files)
    }

    /// Every path, depth first with children sorted by name; directories end in `/`.
    public func pathListing() -> [String] {
        var out: [String] = ["/"]
        func walk(_ id: ContainerID, _ prefix: String, depth: Int) {
            guard depth < 4096, let children = try? list(id) else { return }
            for child in children {
                switch child.kind {
                case .container:
                    out.append(prefix + child.name + "/")
                    walk(ContainerID(child.id), prefix + child.name + "/", depth: depth + 1)
                case .symlink:
                    out.append(prefix + child.name + " -> " + ((try? readLink(prefix + child.name)) ?? "?"))
                case .file:
                    out.append(prefix + child.name)
                }
            }
        }
        walk(.root, "/", depth: 0)
        return out
    }
}

extension FileMetadata {
    /// This file as a row of the namespace listing (`beryl log tree --tsv`, `beryl log dump`).
    public var listingEntry: NamespaceListing.Entry {
        var e = NamespaceListing.Entry(kind: isSymlink ? .symbolicLink : .file, id: id.rawValue, parent: container.rawValue, name: name)
        e.size = size
        e.uid = uid
        e.gid = gid
        e.mode = mode
        e.flags = flags
        e.layout = layoutID
        e.locations = locations
        e.unlinkedLocations = unlinkedLocations
        e.checksum = checksum
        e.ctime = LegacyTimestamp(seconds: ctime.seconds, nanoseconds: Int64(ctime.nanoseconds))
        e.mtime = LegacyTimestamp(seconds: mtime.seconds, nanoseconds: Int64(mtime.nanoseconds))
        e.linkTarget = symlinkTarget
        e.extendedAttributes = xattrs.map { LegacyExtendedAttribute(key: $0.key, value: $0.value) }
        return e
    }
}

extension ContainerMetadata {
    /// This container as a row of the namespace listing.
    public var listingEntry: NamespaceListing.Entry {
        var e = NamespaceListing.Entry(kind: .directory, id: id.rawValue, parent: parent.rawValue, name: name)
        e.uid = uid
        e.gid = gid
        e.mode = mode
        e.flags = flags
        e.ctime = LegacyTimestamp(seconds: ctime.seconds, nanoseconds: Int64(ctime.nanoseconds))
        e.mtime = LegacyTimestamp(seconds: mtime.seconds, nanoseconds: Int64(mtime.nanoseconds))
        e.extendedAttributes = xattrs.map { LegacyExtendedAttribute(key: $0.key, value: $0.value) }
        return e
    }
}
