/// Bytes the namespace's own tables use: what a file costs in memory without the noise of the
/// process's resident set (array growth slack is not counted).
public struct NamespaceFootprint: Sendable, Equatable {
    public var files: Int
    public var containers: Int
    /// File rows + id index + arena of variable sections.
    public var fileTableBytes: Int
    public var containerTableBytes: Int
    /// The (parent, name) index over both kinds.
    public var directoryIndexBytes: Int

    public var totalBytes: Int { fileTableBytes + containerTableBytes + directoryIndexBytes }
    /// Total bytes per file (containers and the directory index included).
    public var bytesPerFile: Double { files > 0 ? Double(totalBytes) / Double(files) : 0 }
}

extension Namespace {
    public func footprint() -> NamespaceFootprint {
        lock.withReadLock {
            NamespaceFootprint(files: tree.files.count, containers: tree.containers.count,
                               fileTableBytes: tree.files.storageBytes, containerTableBytes: tree.containers.storageBytes,
                               directoryIndexBytes: tree.directoryIndexBytes)
        }
    }
}
