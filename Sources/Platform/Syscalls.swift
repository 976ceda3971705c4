import CBerylSupport
import Glibc
import Synchronization

/// One open file and every system call the engine makes on it.
///
/// All file I/O of the engine goes through this type (and `MappedRegion` for mappings), so that
/// EINTR and short writes are handled in one place, syncs are counted, and in debug builds a
/// `FaultPlan` can fail any call (see `FaultInjection`). Thread-safe: the fd is immutable and
/// pread/pwrite/fdatasync are safe to call concurrently; `close` happens in `deinit`.
public final class SystemFile: Sendable {
    public let path: String
    package let fd: Int32
    /// fdatasync/fsync calls made on this file (test and benchmark visibility).
    let syncCounter = Atomic<Int>(0)

    public var syncCount: Int { syncCounter.load(ordering: .relaxed) }

    /// fdatasync/fsync calls made on every file and directory since the process started (the metrics
    /// endpoint's `beryl_fdatasync_total`; a log's own count restarts when compaction replaces its file).
    public static var processSyncCount: Int { processSyncs.load(ordering: .relaxed) }
    static let processSyncs = Atomic<Int>(0)

    init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { _ = Glibc.close(fd) }

    public enum Access: Sendable { case readOnly, readWrite }
    public enum Creation: Sendable { case openExisting, createNew, openOrCreate }

    /// Opens `path`. Fails with `.notARegularFile` at once for directories, devices, FIFOs and
    /// sockets: the open itself is non-blocking (a FIFO without a writer would block it forever),
    /// and the descriptor is made blocking again once it is known to be a regular file.
    public static func open(_ path: String, access: Access, creation: Creation) throws(SystemError) -> SystemFile {
        var flags: Int32 = (access == .readOnly ? O_RDONLY : O_RDWR) | O_NONBLOCK
        switch creation {
        case .openExisting: break
        case .createNew: flags |= O_CREAT | O_EXCL
        case .openOrCreate: flags |= O_CREAT
        }
        try FaultInjection.check(.open, path: path)
        let fd = path.withCString { bs_open($0, flags, 0o644) }
        if fd < 0 {
            if -fd == EEXIST { throw SystemError(.alreadyExists, path: path, errno: -fd) }
            if -fd == EISDIR { throw SystemError(.notARegularFile, path: path, errno: -fd) }
            throw SystemError(.io, path: path, errno: -fd, detail: "open")
        }
        let file = SystemFile(path: path, fd: fd)
        let regular = bs_is_regular(fd)
        if regular != 1 {
            throw SystemError(.notARegularFile, path: path, errno: regular < 0 ? -Int32(regular) : nil)
        }
        let status = fcntl(fd, F_GETFL)
        if status < 0 || fcntl(fd, F_SETFL, status & ~O_NONBLOCK) < 0 {
            throw SystemError(.io, path: path, errno: Glibc.errno, detail: "fcntl")
        }
        return file
    }

    func fail(_ rc: Int64, _ what: String, offset: UInt64? = nil) -> SystemError {
        SystemError(.io, path: path, offset: offset, errno: Int32(-rc), detail: what)
    }

    /// Writes all of `bytes` at `offset`, retrying short writes and EINTR.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            var want = bytes.count - done
            if let fault = FaultInjection.fault(.write, path: path) {
                if case .short(let n) = fault { want = min(want, max(0, n)) } else if case .error(let e) = fault {
                    throw SystemError(.io, path: path, offset: offset + UInt64(done), errno: e, detail: "pwrite")
                }
                if want == 0 {
                    throw SystemError(.io, path: path, offset: offset + UInt64(done), errno: ENOSPC, detail: "pwrite wrote nothing")
                }
            }
            let n = bs_pwrite(fd, bytes.baseAddress! + done, want, Int64(offset) + Int64(done))
            if n == -Int64(EINTR) { continue }
            if n < 0 { throw fail(n, "pwrite", offset: offset + UInt64(done)) }
            if n == 0 { throw SystemError(.io, path: path, offset: offset + UInt64(done), errno: ENOSPC, detail: "pwrite wrote nothing") }
            done += Int(n)
        }
    }

    public func write(_ bytes: [UInt8], at offset: UInt64) throws(SystemError) {
        try withArrayBytes(bytes) { (b) throws(SystemError) in try write(b, at: offset) }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(SystemError) -> Int {
        var done = 0
        while done < buffer.count {
            try FaultInjection.check(.read, path: path)
            let n = bs_pread(fd, buffer.baseAddress! + done, buffer.count - done, Int64(offset) + Int64(done))
            if n == -Int64(EINTR) { continue }
            if n < 0 { throw fail(n, "pread", offset: offset + UInt64(done)) }
            if n == 0 { break }
            done += Int(n)
        }
        return done
    }

    public func read(count: Int, at offset: UInt64) throws(SystemError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let n = try withMutableArrayBytes(&out) { (b) throws(SystemError) in try read(into: b, at: offset) }
        out.removeLast(count - n)
        return out
    }

    /// Reads exactly `count` elements of a plain type (its in-memory bytes, as `write(array:at:)`
    /// stored them) at `offset` straight into a new array: one pread, no per-element decoding (a
    /// checkpoint's row tables). Fails with `.truncated` when the file ends first. The caller verifies
    /// the bytes (checksum, bounds) before trusting any value in them.
    ///
    /// `hugePages`: the array's pages are advised `MADV_HUGEPAGE` before the read, so that the
    /// kernel faults a large array in 2 MiB at a time (one fault instead of 512) where transparent
    /// huge pages are enabled for advised ranges; a hint only (ignored where unsupported).
    public func readArray<T: BitwiseCopyable>(of type: T.Type, count: Int, at offset: UInt64,
                                              hugePages: Bool = false) throws(SystemError) -> [T] {
        guard count > 0 else { return [] }
        let bytes = count * MemoryLayout<T>.stride
        var failure: SystemError?
        var got = 0
        let out = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if hugePages, bytes >= 4 << 20, let base = UnsafeMutableRawPointer(buffer.baseAddress) {
                let page = 4096
                let start = (Int(bitPattern: base) + page - 1) & ~(page - 1)
                let end = (Int(bitPattern: base) + bytes) & ~(page - 1)
                if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE) }
            }
            do throws(SystemError) {
                got = try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            } catch {
                failure = error
            }
            // Plain integers: any bytes are a valid value, so the array is fully initialised either way.
            if got < bytes { _ = UnsafeMutableRawBufferPointer(buffer).initializeMemory(as: UInt8.self, repeating: 0) }
            initialized = count
        }
        if let failure { throw failure }
        if got < bytes { throw SystemError(.io, path: path, offset: offset + UInt64(got), detail: "file ends \(bytes - got) bytes early") }
        return out
    }

    /// Writes the in-memory bytes of an array of a plain type at `offset` (see `readArray`).
    public func write<T: BitwiseCopyable>(array: [T], at offset: UInt64) throws(SystemError) {
        var failure: SystemError?
        array.withUnsafeBytes { b in
            do throws(SystemError) { try write(b, at: offset) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// fdatasync(2): the file's data (and the size, if it changed) reach the disk.
    public func syncData() throws(SystemError) {
        syncCounter.add(1, ordering: .relaxed)
        Self.processSyncs.add(1, ordering: .relaxed)
        try FaultInjection.check(.sync, path: path)
        let rc = bs_fdatasync(fd)
        if rc < 0 { throw fail(Int64(rc), "fdatasync") }
    }

    /// fsync(2): data and all metadata.
    public func syncAll() throws(SystemError) {
        syncCounter.add(1, ordering: .relaxed)
        Self.processSyncs.add(1, ordering: .relaxed)
        try FaultInjection.check(.sync, path: path)
        let rc = bs_fsync(fd)
        if rc < 0 { throw fail(Int64(rc), "fsync") }
    }

    public func size() throws(SystemError) -> UInt64 {
        let n = bs_file_size(fd)
        if n < 0 { throw fail(n, "fstat") }
        return UInt64(n)
    }

    public func truncate(to length: UInt64) throws(SystemError) {
        try FaultInjection.check(.truncate, path: path)
        let rc = bs_ftruncate(fd, Int64(length))
        if rc < 0 { throw fail(Int64(rc), "ftruncate", offset: length) }
    }

    /// fallocate(2): reserves space so later writes in the range cannot fail with ENOSPC.
    public func allocate(_ length: UInt64, at offset: UInt64) throws(SystemError) {
        try FaultInjection.check(.allocate, path: path)
        let rc = bs_fallocate(fd, Int64(offset), Int64(length))
        if rc < 0 { throw fail(Int64(rc), "fallocate", offset: offset) }
    }

    /// Releases the flock (also released when the file is closed).
    public func unlock() { _ = flock(fd, LOCK_UN) }

    /// flock(LOCK_EX|LOCK_NB). Released when the file is closed.
    ///
    /// A refusal is retried for up to 200 ms: when another thread of this process spawns a child,
    /// the child holds a copy of every descriptor (and so of a lock just released here) between its
    /// fork and its exec (descriptors are close-on-exec), so a log closed and reopened at that
    /// moment would look locked by "another process" for a few microseconds.
    public func lockExclusive() throws(SystemError) {
        var waited = 0
        while true {
            let rc = bs_lock_exclusive(fd)
            if rc == 0 { return }
            if rc != -EWOULDBLOCK { throw fail(Int64(rc), "flock") }
            if waited >= 200 { throw SystemError(.locked, path: path, errno: EWOULDBLOCK) }
            usleep(1_000)
            waited += 1
        }
    }
}

/// Path-level system calls.
public enum FileSystem {
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// True when anything is at `path`: a file, a directory, a FIFO, a socket, a device, or a
    /// symbolic link (even a dangling one, which `exists` does not see). Outputs that must be new
    /// check this, so nothing of any kind is ever replaced.
    public static func entryExists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    public static func size(_ path: String) -> UInt64? {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_size) : nil
    }

    /// Whether the file's permission bits allow its owner to write. A log whose write bits were
    /// removed is refused for append even to root, so `chmod a-w` protects a log.
    public static func hasWriteBits(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & 0o222) != 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func rename(_ from: String, to: String) throws(SystemError) {
        try FaultInjection.check(.rename, path: from)
        if Glibc.rename(from, to) != 0 { throw SystemError(.io, path: from, errno: Glibc.errno, detail: "rename to \(to)") }
    }

    public static func remove(_ path: String) throws(SystemError) {
        if unlink(path) != 0 && Glibc.errno != ENOENT { throw SystemError(.io, path: path, errno: Glibc.errno, detail: "unlink") }
    }

    public static func createDirectory(_ path: String) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && Glibc.errno != EEXIST {
                throw SystemError(.io, path: prefix, errno: Glibc.errno, detail: "mkdir")
            }
        }
    }

    /// fsync of a directory, so a create, rename or unlink in it is durable.
    public static func syncDirectory(_ path: String) throws(SystemError) {
        SystemFile.processSyncs.add(1, ordering: .relaxed)
        try FaultInjection.check(.sync, path: path)
        let rc = path.withCString { bs_fsync_directory($0) }
        if rc < 0 { throw SystemError(.io, path: path, errno: -rc, detail: "fsync directory") }
    }

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }

    public static func list(_ directory: String) -> [String] {
        guard let d = opendir(directory) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public static func unixTime() -> Int { SystemClock.wall().seconds }
}
