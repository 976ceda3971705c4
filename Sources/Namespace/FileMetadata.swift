/// Everything the namespace records about a file (a FileMD in EOS terms).
public struct FileMetadata: Sendable, Equatable {
    public var id: FileID
    /// The directory holding the file; `.detached` (0) for an unlinked file kept until its
    /// locations are dropped.
    public var container: ContainerID
    public var name: String
    public var ctime: Timestamp
    public var mtime: Timestamp
    public var size: UInt64
    public var flags: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var mode: UInt32
    public var layoutID: UInt32
    /// Checksum bytes (at most 255).
    public var checksum: [UInt8]
    /// File systems holding a replica.
    public var locations: [UInt32]
    /// File systems whose replica is unlinked but not yet deleted.
    public var unlinkedLocations: [UInt32]
    public var xattrs: [String: String]
    /// The target when the file is a symbolic link.
    public var symlinkTarget: String?

    public init(id: FileID, container: ContainerID, name: String, ctime: Timestamp = Timestamp(seconds: 0),
                mtime: Timestamp = Timestamp(seconds: 0), size: UInt64 = 0, flags: UInt32 = 0, uid: UInt32 = 0,
                gid: UInt32 = 0, mode: UInt32 = 0o100644, layoutID: UInt32 = 0, checksum: [UInt8] = [],
                locations: [UInt32] = [], unlinkedLocations: [UInt32] = [], xattrs: [String: String] = [:],
                symlinkTarget: String? = nil) {
        self.id = id
        self.container = container
        self.name = name
        self.ctime = ctime
        self.mtime = mtime
        self.size = size
        self.flags = flags
        self.uid = uid
        self.gid = gid
        self.mode = mode
        self.layoutID = layoutID
        self.checksum = checksum
        self.locations = locations
        self.unlinkedLocations = unlinkedLocations
        self.xattrs = xattrs
        self.symlinkTarget = symlinkTarget
    }

    public var isDetached: Bool { container == .detached }
    public var isSymlink: Bool { symlinkTarget != nil }
}

/// Everything the namespace records about a container (a directory; a ContainerMD in EOS terms).
public struct ContainerMetadata: Sendable, Equatable {
    public var id: ContainerID
    /// The parent; the root (id 1) is its own parent.
    public var parent: ContainerID
    /// Empty for the root.
    public var name: String
    public var ctime: Timestamp
    public var mtime: Timestamp
    public var uid: UInt32
    public var gid: UInt32
    public var mode: UInt32
    public var flags: UInt32
    public var xattrs: [String: String]

    public init(id: ContainerID, parent: ContainerID, name: String, ctime: Timestamp = Timestamp(seconds: 0),
                mtime: Timestamp = Timestamp(seconds: 0), uid: UInt32 = 0, gid: UInt32 = 0, mode: UInt32 = 0o40755,
                flags: UInt32 = 0, xattrs: [String: String] = [:]) {
        self.id = id
        self.parent = parent
        self.name = name
        self.ctime = ctime
        self.mtime = mtime
        self.uid = uid
        self.gid = gid
        self.mode = mode
        self.flags = flags
        self.xattrs = xattrs
    }

    public var isRoot: Bool { id == .root }
}
