/// `Array.withUnsafeBytes` with typed throws (the standard library's is untyped `rethrows`).
@inlinable @inline(__always)
public func withArrayBytes<R, E: Error>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    let result: Result<R, E> = array.withUnsafeBytes { p in Result { () throws(E) -> R in try body(p) } }
    return try result.get()
}

/// `Array.withUnsafeMutableBytes` with typed throws.
@inlinable @inline(__always)
public func withMutableArrayBytes<R, E: Error>(_ array: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
    let result: Result<R, E> = array.withUnsafeMutableBytes { p in Result { () throws(E) -> R in try body(p) } }
    return try result.get()
}
