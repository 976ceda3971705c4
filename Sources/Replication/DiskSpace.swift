import Glibc

/// The data disk's free space against the minimum a node keeps (`--min-free`): below it, every
/// mutation is refused with `kXR_NoSpace` (a message naming both figures) before it runs, and
/// reads go on; the supervisor measures it every round (1 s), on a single master too, and the
/// refusal ends at the first round that finds the space back.
public struct DiskSpace: Sendable, Equatable, CustomStringConvertible {
    /// Bytes an unprivileged writer may still allocate (`f_bavail`).
    public var free: UInt64
    /// The configured minimum, or the default: the smaller of 100 MiB and 5 % of the file system.
    public var minimum: UInt64

    public var isLow: Bool { free < minimum }

    public var description: String { "\(free) bytes free, minimum \(minimum) bytes (--min-free)" }

    /// The default minimum for a file system of `size` bytes: 5 % of it, at most 100 MiB.
    public static func defaultMinimum(fileSystemSize size: UInt64) -> UInt64 { min(100 << 20, size / 20) }

    /// Measures the file system holding `directory`; nil when `statvfs` fails. `configured` nil:
    /// the default minimum.
    ///
    /// Debug builds: when the environment variable `BERYL_FAULT_FREE_BYTES_FILE` names a file
    /// holding a number, that number is the free figure (for tests of a filling and emptying disk
    /// where no small file system can be mounted).
    public static func measure(_ directory: String, configured: UInt64?) -> DiskSpace? {
        var s = statvfs()
        guard statvfs(directory, &s) == 0 else { return nil }
        let unit = UInt64(s.f_frsize)
        #if DEBUG
        let free = injectedFreeBytes() ?? UInt64(s.f_bavail) * unit
        #else
        let free = UInt64(s.f_bavail) * unit
        #endif
        return DiskSpace(free: free, minimum: configured ?? defaultMinimum(fileSystemSize: UInt64(s.f_blocks) * unit))
    }

    #if DEBUG
    private static func injectedFreeBytes() -> UInt64? {
        guard let path = getenv("BERYL_FAULT_FREE_BYTES_FILE") else { return nil }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        return UInt64(String(decoding: buffer[0..<n], as: UTF8.self).filter(\.isNumber))
    }
    #endif
}

extension ReplicationNode {
    /// Measures the data disk and publishes a shortage to the access rules (mutations answer
    /// `kXR_NoSpace` while it lasts); logs each change once, at warning when space runs short and
    /// at info when it is back.
    func checkDiskSpace() {
        guard let space = DiskSpace.measure(configuration.dataDirectory, configured: configuration.minimumFreeBytes) else { return }
        let changed = lock.withLock { () -> Bool in
            defer { diskStall = space.isLow }
            return diskStall != space.isLow
        }
        access.setDiskShortage(space.isLow ? space : nil)
        guard changed else { return }
        if space.isLow {
            masterLog.log(.warning, "supervisor: disk space low on \(configuration.dataDirectory): \(space); "
                          + "mutations are refused with kXR_NoSpace until space returns")
        } else {
            masterLog.log(.info, "supervisor: disk space is back on \(configuration.dataDirectory): \(space); "
                          + "mutations accepted again")
        }
    }
}
