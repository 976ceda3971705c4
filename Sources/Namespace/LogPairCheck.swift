import Changelog
import Glibc

/// The check boot makes before it opens anything: the two logs of a data directory belong
/// together. A files log with records beside a missing or empty directories log (or either log
/// missing beside one with records) is a lost file, not a namespace: booting it would re-attach
/// every entry whose parent is lost under /lost+found and, read-write, persist that for good. An
/// empty files log beside directories is a namespace without files, and both missing is a new one.
public enum LogPairCheck {
    /// What a log file holds, judged from its first bytes.
    public enum Content: Sendable, Equatable {
        case missing
        /// Zero bytes, or a header followed by nothing but zeros (preallocated space).
        case empty
        /// Bytes after the header: records (or damage that boot will report).
        case records(fileBytes: UInt64)
        /// Not a regular file, or unreadable: not judged here (opening it reports what it is).
        case other
    }

    /// A pair boot refuses, for the error line.
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var content: Content
        public var otherPath: String
        public var otherBytes: UInt64

        public var description: String {
            let state = content == .missing ? "is missing" : "is empty"
            return "\(path) \(state) while \(otherPath) holds records (\(otherBytes) bytes): booting would move its "
                + "entries to /lost+found; restore the log, or boot anyway with --allow-missing-log"
        }
    }

    /// The refusal for the pair in `configuration.directory`, nil when it may boot.
    public static func check(_ configuration: NamespaceConfiguration) -> Finding? {
        let files = content(of: configuration.filesLogPath)
        let directories = content(of: configuration.directoriesLogPath)
        switch (files, directories) {
        case (.records(let bytes), .missing), (.records(let bytes), .empty):
            return Finding(path: configuration.directoriesLogPath, content: directories,
                           otherPath: configuration.filesLogPath, otherBytes: bytes)
        case (.missing, .records(let bytes)):
            return Finding(path: configuration.filesLogPath, content: .missing,
                           otherPath: configuration.directoriesLogPath, otherBytes: bytes)
        default:
            return nil
        }
    }

    /// Reads at most the header and the next 4 KiB: a log with records has a frame there.
    public static func content(of path: String) -> Content {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return errno == ENOENT ? .missing : .other }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            return .other
        }
        let size = UInt64(st.st_size)
        let header = RecordFormat.fileHeaderSize
        var buffer = [UInt8](repeating: 0, count: header + 4096)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > header else { return .empty }
        // A header alone (or one another format wrote) counts as empty only if nothing follows it.
        return buffer[header..<n].allSatisfy { $0 == 0 } ? .empty : .records(fileBytes: size)
    }
}
