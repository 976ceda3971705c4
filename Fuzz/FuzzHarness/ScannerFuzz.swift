import Changelog

/// Fuzz bodies, kept in a library so `swift test` replays the seed corpus through them.
public enum FuzzBodies {
    /// The fuzz identity: inputs are frames checksummed under it.
    public static let identity = LogIdentity(rawValue: 0x0123_4567_89AB_CDEF)

    /// Scans arbitrary bytes as frames (strict, then salvage). Must never trap.
    public static func scanner(_ data: UnsafeRawBufferPointer) {
        // Frames are 8-aligned from the start of the buffer; use the data as is.
        var visited = 0
        _ = try? BufferScanner.scan(data, identity: identity, after: .zero) { r in
            visited &+= r.payload.count
            return true
        }
        _ = try? BufferScanner.scan(data, identity: identity, after: .zero, policy: .salvage(maximumSpan: 4096)) { r in
            visited &+= r.payload.count
            return true
        }
        var index = OffsetIndex(capacity: 4)
        _ = try? BufferScanner.scan(data, identity: identity, after: .zero) { r in
            index.apply(r)
            return true
        }
        _ = try? data.withMemoryRebound(to: UInt8.self) { _ in
            try FileHeader.decode(data, path: "<fuzz>")
        }
    }
}
