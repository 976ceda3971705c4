import CBerylSupport

/// A shared mapping of the start of a file: read-only for readers, read-write for the log's
/// writer, which copies frames into it. One of the two places with raw pointers.
///
/// Readers take a reference to the region they scan (a lease): the mapping is unmapped only in
/// `deinit`, when the last reader and the owning log have let go, so growing or swapping a log
/// never pulls bytes out from under a reader. Only bytes below the file's valid end may be read;
/// the mapping may extend past end of file (those pages are never touched).
public final class MappedRegion: @unchecked Sendable {
    // @unchecked: immutable after init; the mapping is read-only and shared.
    let file: SystemFile
    let base: UnsafeRawPointer?
    public let length: Int
    public let isWritable: Bool

    /// Maps `length` bytes (rounded up to a page) of `file`. A zero length maps nothing. A mapping
    /// may reach past the end of the file (address space only); nothing may touch a page past it:
    /// a writer stores only below its fallocated capacity and readers only below the log's end, so
    /// no access can fault with SIGBUS.
    public init(file: SystemFile, length: Int, writable: Bool = false) throws(SystemError) {
        self.isWritable = writable
        self.file = file
        let pageSize = 4096
        let len = (length + pageSize - 1) / pageSize * pageSize
        self.length = len
        if len == 0 {
            base = nil
            return
        }
        try FaultInjection.check(.map, path: file.path)
        var err: Int32 = 0
        guard let p = writable ? bs_mmap_write(file.fd, len, &err) : bs_mmap_read(file.fd, len, &err) else {
            throw SystemError(.io, path: file.path, errno: err, detail: "mmap of \(len) bytes")
        }
        base = UnsafeRawPointer(p)
    }

    deinit {
        if let base { _ = bs_munmap(UnsafeMutableRawPointer(mutating: base), length) }
    }

    /// The first `count` bytes (count must not exceed the mapping, or the caller's known file end).
    @inline(__always)
    public func bytes(count: Int) -> UnsafeRawBufferPointer {
        precondition(count <= length, "read past mapping")
        return UnsafeRawBufferPointer(start: base, count: count)
    }

    /// Copies `bytes` to `offset` (writable mappings only; the range must lie inside the mapping).
    package func store(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        precondition(isWritable && offset >= 0 && offset + bytes.count <= length, "store outside writable mapping")
        guard let base, bytes.count > 0 else { return }
        UnsafeMutableRawPointer(mutating: base + offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
    }

    public enum Advice: Int32 { case normal = 0, sequential = 1, random = 2, willNeed = 3, populateRead = 4, populateWrite = 5 }

    /// Advises the kernel on `range` (the whole mapping by default); returns 0 or -errno.
    @discardableResult
    public func advise(_ advice: Advice, range: Range<Int>? = nil) -> Int32 {
        let range = range ?? 0..<length
        guard let base, range.lowerBound >= 0, range.upperBound <= length, !range.isEmpty else { return 0 }
        return bs_madvise(UnsafeMutableRawPointer(mutating: base + range.lowerBound), range.count, advice.rawValue)
    }
}
