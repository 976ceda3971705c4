import Glibc

/// Encoding of the variable-size fields shared by both record kinds: names and extended
/// attributes. See docs/NAMESPACE-FORMAT.md.
enum VariableFields {
    typealias Pair = (key: [UInt8], value: [UInt8])

    // MARK: Names: u8 length, bytes

    /// Reads and checks a name; an empty name is accepted only when `allowEmpty`.
    static func readName(_ r: inout PayloadReader, allowEmpty: Bool) throws(CodecError) -> UnsafeRawBufferPointer {
        let at = r.cursor
        let n = Int(try r.u8("name length"))
        let name = try r.span(n, "name")
        guard (n == 0 && allowEmpty) || NameRules.isValid(name) else { throw .invalidName(offset: at) }
        return name
    }

    static func appendName(_ name: [UInt8], to out: inout [UInt8]) throws(CodecError) {
        guard name.count <= NameRules.maximumNameLength else { throw .fieldTooLong(field: "name", length: name.count) }
        out.appendLE(UInt8(name.count))
        out.append(contentsOf: name)
    }

    // MARK: Extended attributes: u16 count, { u16 key length, key, u16 value length, value } sorted by key

    /// Checks the attribute list without copying it.
    static func skipAttributes(_ r: inout PayloadReader) throws(CodecError) {
        let count = Int(try r.u16("xattr count"))
        var previous: UnsafeRawBufferPointer? = nil
        for _ in 0..<count {
            let at = r.cursor
            let key = try r.span(Int(try r.u16("xattr key length")), "xattr key")
            _ = try r.span(Int(try r.u16("xattr value length")), "xattr value")
            if let previous, !lessThan(previous, key) { throw .unsortedAttributes(offset: at) }
            previous = key
        }
    }

    static func readAttributes(_ r: inout PayloadReader) throws(CodecError) -> [String: String] {
        let count = Int(try r.u16("xattr count"))
        var result: [String: String] = [:]
        result.reserveCapacity(count)
        var previous: UnsafeRawBufferPointer? = nil
        for _ in 0..<count {
            let at = r.cursor
            let key = try r.span(Int(try r.u16("xattr key length")), "xattr key")
            let value = try r.span(Int(try r.u16("xattr value length")), "xattr value")
            if let previous, !lessThan(previous, key) { throw .unsortedAttributes(offset: at) }
            previous = key
            result[String(decoding: key, as: UTF8.self)] = String(decoding: value, as: UTF8.self)
        }
        return result
    }

    /// Sorted by key bytes (the canonical order every encoder writes).
    static func pairs(_ xattrs: [String: String]) -> [Pair] {
        xattrs.map { (Array($0.key.utf8), Array($0.value.utf8)) }.sorted { lessThan($0.key, $1.key) }
    }

    static func appendAttributes(_ xattrs: [String: String], to out: inout [UInt8]) throws(CodecError) {
        let sorted = pairs(xattrs)
        guard sorted.count <= Int(UInt16.max) else { throw .fieldTooLong(field: "xattr count", length: sorted.count) }
        out.appendLE(UInt16(sorted.count))
        for (k, v) in sorted {
            guard k.count <= Int(UInt16.max) else { throw .fieldTooLong(field: "xattr key", length: k.count) }
            guard v.count <= Int(UInt16.max) else { throw .fieldTooLong(field: "xattr value", length: v.count) }
            out.appendLE(UInt16(k.count))
            out.append(contentsOf: k)
            out.appendLE(UInt16(v.count))
            out.append(contentsOf: v)
        }
    }

    // MARK: Byte-string order (unsigned lexicographic, like memcmp then length)

    static func lessThan(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let n = min(a.count, b.count)
        if n > 0 {
            let c = memcmpBytes(a.baseAddress!, b.baseAddress!, n)
            if c != 0 { return c < 0 }
        }
        return a.count < b.count
    }

    static func lessThan(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in lessThan(pa, pb) } }
    }

    @inline(__always)
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && (a.count == 0 || memcmpBytes(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    @inline(__always)
    private static func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
        memcmp(a, b, n)
    }
}
