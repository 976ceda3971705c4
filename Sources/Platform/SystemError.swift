/// An error from a system call of the platform layer: the path, the offset where it applies (if
/// any), what failed, and the errno. The layers above keep it as the cause of their own errors
/// (`ChangelogError(_:)` maps it one to one, so messages read the same).
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// A system call failed; `errno` says why.
        case io
        /// The file exists and creation of a new one was asked for.
        case alreadyExists
        /// The path is not a regular file.
        case notARegularFile
        /// Another process holds the lock.
        case locked
    }

    public var code: Code
    public var path: String
    public var offset: UInt64?
    public var errno: Int32?
    public var detail: String

    public init(_ code: Code, path: String, offset: UInt64? = nil, errno: Int32? = nil, detail: String = "") {
        self.code = code
        self.path = path
        self.offset = offset
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        var s = "\(path)"
        if let offset { s += " at offset 0x" + String(offset, radix: 16) }
        s += ": "
        switch code {
        case .io: s += "I/O error"
        case .alreadyExists: s += "file already exists"
        case .notARegularFile: s += "not a regular file"
        case .locked: s += "another process has this file open for writing"
        }
        if let errno { s += " (\(Errno.name(errno)))" }
        if !detail.isEmpty { s += ": \(detail)" }
        return s
    }
}
