import Changelog
import Platform

/// Appends bytes to a file through one large buffer, so that writing many small records costs a
/// few large `pwrite`s. Not thread-safe: one owner writes. Call `flush()` before reading the file
/// or closing; `deinit` only frees the buffer (unflushed bytes are lost).
final class BufferedFileWriter {
    let file: SystemFile
    /// File offset where the buffer's first byte goes.
    private(set) var flushedEnd: UInt64
    private let storage: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(file: SystemFile, at offset: UInt64, capacity: Int = 8 << 20) {
        self.file = file
        self.flushedEnd = offset
        self.storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(capacity, 4096), alignment: 16)
    }

    deinit { storage.deallocate() }

    /// File offset after the last appended byte.
    var end: UInt64 { flushedEnd + UInt64(count) }

    /// Lets `body` fill exactly `length` zeroed bytes at the end. Bytes too large for the buffer go
    /// through a temporary one.
    func append(length: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) throws(ChangelogError) {
        if length > storage.count - count { try flush() }
        if length > storage.count {
            let temporary = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 16)
            defer { temporary.deallocate() }
            temporary.initializeMemory(as: UInt8.self, repeating: 0)
            body(temporary)
            try system { () throws(SystemError) in try file.write(UnsafeRawBufferPointer(temporary), at: flushedEnd) }
            flushedEnd += UInt64(length)
            return
        }
        let slice = UnsafeMutableRawBufferPointer(rebasing: storage[count..<(count + length)])
        slice.initializeMemory(as: UInt8.self, repeating: 0)
        body(slice)
        count += length
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws(ChangelogError) {
        try append(length: bytes.count) { out in
            if bytes.count > 0 { out.copyMemory(from: bytes) }
        }
    }

    func flush() throws(ChangelogError) {
        guard count > 0 else { return }
        try system { () throws(SystemError) in try file.write(UnsafeRawBufferPointer(rebasing: storage[0..<count]), at: flushedEnd) }
        flushedEnd += UInt64(count)
        count = 0
    }
}
