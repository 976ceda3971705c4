import Glibc

/// The secret shared by a master and its slaves, read from a file that only its owner can read
/// (like an ssh private key). It keys the HMACs of `SyncHandshake` and never crosses the wire.
public struct SyncSecret: Sendable, CustomStringConvertible {
    /// The secret (the file's bytes without one trailing newline).
    public let bytes: [UInt8]

    /// The longest secret file accepted, in bytes.
    public static let maximumFileSize = 4096

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The size only: a secret printed in a log or an error must not leak.
    public var description: String { "SyncSecret(\(bytes.count) bytes)" }

    /// Reads the secret at `path`. Refused unless it is a regular file with no group or other
    /// permission bits (`mode & 0o077 == 0`: 0600 or 0400), at most 4096 bytes, and non-empty after
    /// removing one trailing newline.
    public static func load(from path: String) throws(ReplicationError) -> SyncSecret {
        // A symbolic link is followed (secret volumes are often mounted as links); the checks below
        // apply to its target. O_NONBLOCK: opening a FIFO must not wait for a writer.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw .secretFile(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        // fstat on the open descriptor: the checks apply to the file actually read.
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .secretFile(path: path, reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw .secretFile(path: path, reason: "not a regular file")
        }
        let permissions = info.st_mode & 0o7777
        guard permissions & 0o077 == 0 else {
            throw .secretFile(path: path, reason: "permissions 0\(String(permissions, radix: 8)) are too open: "
                + "it must not be accessible by group or others (chmod 600)")
        }
        guard info.st_size <= maximumFileSize else {
            throw .secretFile(path: path, reason: "\(info.st_size) bytes, more than the limit of \(maximumFileSize)")
        }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: maximumFileSize + 1)
        while contents.count <= maximumFileSize {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw .secretFile(path: path, reason: "cannot read: \(String(cString: strerror(errno)))")
            }
            contents += chunk[0..<n]
        }
        // The size may have changed since fstat.
        guard contents.count <= maximumFileSize else {
            throw .secretFile(path: path, reason: "more than the limit of \(maximumFileSize) bytes")
        }
        if contents.last == UInt8(ascii: "\n") { contents.removeLast() }
        guard !contents.isEmpty else { throw .secretFile(path: path, reason: "empty") }
        return SyncSecret(bytes: contents)
    }
}
