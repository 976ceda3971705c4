/// What a name and a path may be.
///
/// A name is 1 to 255 bytes of UTF-8 with no '/' and no NUL, and is neither "." nor "..". A path
/// is absolute, at most 4096 bytes, and its components are names; repeated and trailing slashes
/// are ignored. Paths are not resolved: "." and ".." components are refused (EINVAL) and symbolic
/// links are not followed (lookups have lstat semantics).
///
/// A new name (create, mkdir, rename's target, symlink) must also be free of control characters
/// (bytes below 0x20 and 0x7F: `\n`, `\t`, `\r`, ...), which break the line- and tab-separated
/// listings clients parse (EINVAL). Names written before this rule still load, resolve and can be
/// renamed or removed: only new names are checked.
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
        try checkNewName(bytes, path: name)
        return bytes
    }

    /// The first control character (below 0x20, or 0x7F) in `name`, if any.
    static func controlCharacter(in name: [UInt8]) -> UInt8? {
        name.first { $0 < 0x20 || $0 == 0x7F }
    }

    /// Refuses a name about to be created that holds a control character (EINVAL), before
    /// anything is written.
    static func checkNewName(_ name: [UInt8], path: String) throws(NamespaceError) {
        guard let byte = controlCharacter(in: name) else { return }
        throw .invalidArgument("name in \"\(escaped(path))\" has a control character (byte 0x\(hex(byte))); "
                               + "names may not contain bytes below 0x20 or 0x7F")
    }

    /// Refuses a path any of whose components holds a control character (for a front end that
    /// creates several entries for one request, so it refuses before making the first).
    public static func checkNewPath(_ path: String) throws(NamespaceError) {
        for part in Array(path.utf8).split(separator: 0x2F) { try checkNewName(Array(part), path: path) }
    }

    /// `text` with control characters shown as `\n`, `\t`, `\r` or `\xNN` (for messages and logs).
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x09: out += "\\t"
            case 0x0D: out += "\\r"
            case 0..<0x20, 0x7F: out += "\\x" + hex(UInt8(scalar.value))
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
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
