import Glibc

/// The on-disk copy of a `MasterLog`: `<path>` (text lines as `MasterLog.Line.description` writes
/// them) and, once it would exceed `maximumBytes`, its predecessor `<path>.1` (replaced at each
/// rotation), so at most about twice `maximumBytes` stay on disk. Opened for append at the first
/// write, so constructing a log never creates anything. Lines are written without fsync: they
/// survive a process restart, and a machine crash may lose the last ones. A failed write turns
/// the file off (the log goes on in memory). Not thread-safe (the log's lock guards it).
struct MasterLogFile {
    let path: String
    let maximumBytes: Int
    private var descriptor: Int32 = -1
    private var size = 0
    private var failed = false

    init(path: String, maximumBytes: Int) {
        self.path = path
        self.maximumBytes = maximumBytes
    }

    var rotatedPath: String { path + ".1" }

    /// Every parseable line of the rotated file, then of the current one.
    func load() -> [MasterLog.Line] {
        (Self.read(rotatedPath) + Self.read(path)).split(separator: "\n").compactMap { MasterLog.Line(parsing: $0) }
    }

    /// Appends the lines; returns why the file is turned off when this write failed.
    mutating func append(_ lines: [MasterLog.Line]) -> String? {
        guard !failed else { return nil }
        let bytes = Array(lines.map { $0.description + "\n" }.joined().utf8)
        if descriptor < 0 {
            descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { return fail() }
            var st = stat()
            size = fstat(descriptor, &st) == 0 ? Int(st.st_size) : 0
        }
        if size > 0 && size + bytes.count > maximumBytes {
            close(descriptor)
            descriptor = -1
            guard rename(path, rotatedPath) == 0 else { return fail() }
            descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { return fail() }
            size = 0
        }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return fail() }
            written += n
        }
        size += written
        return nil
    }

    /// Removes both files (`ns master --log-clear`).
    mutating func clear() {
        closeDescriptor()
        size = 0
        unlink(rotatedPath)
        unlink(path)
    }

    private mutating func fail() -> String {
        let reason = String(cString: strerror(errno))
        closeDescriptor()
        failed = true
        return "master log: cannot write \(path) (\(reason)); lines are kept in memory only"
    }

    mutating func closeDescriptor() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    private static func read(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
