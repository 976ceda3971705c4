import Changelog

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
            guard let c = container(ContainerID(raw)) else { continue }
            var e = NamespaceListing.Entry(kind: .directory, id: raw, parent: c.parent.rawValue, name: c.name)
            e.uid = c.uid
            e.gid = c.gid
            e.mode = c.mode
            e.flags = c.flags
            e.ctime = LegacyTimestamp(seconds: c.ctime.seconds, nanoseconds: Int64(c.ctime.nanoseconds))
            e.mtime = LegacyTimestamp(seconds: c.mtime.seconds, nanoseconds: Int64(c.mtime.nanoseconds))
            e.extendedAttributes = c.xattrs.map { LegacyExtendedAttribute(key: $0.key, value: $0.value) }
            containers.append(e)
        }
        for raw in 1..<max(1, lastFile) {
            guard let f = file(FileID(raw)) else { continue }
            var e = NamespaceListing.Entry(kind: f.isSymlink ? .symbolicLink : .file, id: raw, parent: f.container.rawValue, name: f.name)
            e.size = f.size
            e.uid = f.uid
            e.gid = f.gid
            e.mode = f.mode
            e.flags = f.flags
            e.layout = f.layoutID
            e.locations = f.locations
            e.unlinkedLocations = f.unlinkedLocations
            e.checksum = f.checksum
            e.ctime = LegacyTimestamp(seconds: f.ctime.seconds, nanoseconds: Int64(f.ctime.nanoseconds))
            e.mtime = LegacyTimestamp(seconds: f.mtime.seconds, nanoseconds: Int64(f.mtime.nanoseconds))
            e.linkTarget = f.symlinkTarget
            e.extendedAttributes = f.xattrs.map { LegacyExtendedAttribute(key: $0.key, value: $0.value) }
            files.append(e)
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
