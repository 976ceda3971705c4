/// What a name and a path may be.
///
/// A name is 1 to 255 bytes of UTF-8 with no '/' and no NUL, and is neither "." nor "..". A path
/// is absolute, at most 4096 bytes, and its components are names; repeated and trailing slashes
/// are ignored. Paths are not resolved: "." and ".." components are refused (EINVAL) and symbolic
/// links are not followed (lookups have lstat semantics).
public enum NameRules {
    public static let maximumNameLength = 255
    public static let maximumPathLength = 4096

    /// Whether `name` is a valid entry name.
    @inline(__always)
    static func isValid(_ name: UnsafeRawBufferPointer) -> Bool {
        let n = name.count
        guard n >= 1, n <= maximumNameLength else { return false }
        if name[0] == 0x2E && (n == 1 || (n == 2 && name[1] == 0x2E)) { return false }
        for b in name where b == 0x2F || b == 0 { return false }
        return true
    }

    /// The bytes of `name`, or the error a front end should answer with.
    static func validated(name: String) throws(NamespaceError) -> [UInt8] {
        let bytes = Array(name.utf8)
        if bytes.count > maximumNameLength { throw .nameTooLong(name) }
        let ok = bytes.withUnsafeBytes { isValid($0) }
        guard ok else { throw .invalidArgument("bad name \"\(name)\"") }
        return bytes
    }

    /// The components of an absolute path ("/" has none).
    static func components(of path: String) throws(NamespaceError) -> [[UInt8]] {
        let bytes = Array(path.utf8)
        if bytes.count > maximumPathLength { throw .nameTooLong(path) }
        guard bytes.first == 0x2F else { throw .invalidArgument("path \"\(path)\" is not absolute") }
        var parts: [[UInt8]] = []
        var start = 0
        for i in 0...bytes.count {
            if i < bytes.count && bytes[i] == 0 { throw .invalidArgument("NUL in path") }
            if i == bytes.count || bytes[i] == 0x2F {
                if i > start {
                    let part = Array(bytes[start..<i])
                    if part.count > maximumNameLength { throw .nameTooLong(path) }
                    let ok = part.withUnsafeBytes { isValid($0) }
                    guard ok else { throw .invalidArgument("bad component in \"\(path)\"") }
                    parts.append(part)
                }
                start = i + 1
            }
        }
        return parts
    }

    /// Splits a path into its parent's components and its last name. "/" has no last name (EINVAL).
    static func split(_ path: String) throws(NamespaceError) -> (parent: [[UInt8]], name: [UInt8]) {
        var parts = try components(of: path)
        guard let last = parts.popLast() else { throw .invalidArgument("\"\(path)\" names the root") }
        return (parts, last)
    }
}
