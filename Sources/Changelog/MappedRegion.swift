import CBerylSupport

/// A read-only shared mapping of the start of a file. One of the two places with raw pointers.
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

    /// Maps `length` bytes (rounded up to a page) of `file`. A zero length maps nothing.
    public init(file: SystemFile, length: Int) throws(ChangelogError) {
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
        guard let p = bs_mmap_read(file.fd, len, &err) else {
            throw ChangelogError(.io, path: file.path, errno: err, detail: "mmap of \(len) bytes")
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

    public enum Advice: Int32 { case normal = 0, sequential = 1, random = 2, willNeed = 3 }

    public func advise(_ advice: Advice) {
        if let base, length > 0 { _ = bs_madvise(UnsafeMutableRawPointer(mutating: base), length, advice.rawValue) }
    }
}
