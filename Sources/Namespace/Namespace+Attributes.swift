import Platform

/// Editing extended attributes in place: the fast path of `kXR_fattr` set and delete. Under one write
/// lock the path is resolved once, only the attribute list of the stored variable section is parsed,
/// and the new section is the stored bytes before and after that list around the re-encoded list:
/// no full metadata decode, no string conversion of the name, checksum or locations, no second
/// lookup. One record, as every mutation.
extension Namespace {
    /// Applies `change` to the attributes of the entry at `path` (symbolic links are not followed).
    /// When it returns `store` true, the attributes are written in one record together with the new
    /// ctime (a container's never goes back, see ParentTimes.swift); otherwise nothing is written.
    /// `change` runs under the write lock: it must be short and must not call the namespace.
    public func changeAttributes<R>(_ path: String, ctime: Timestamp,
                                    _ change: (inout [String: String]) -> (result: R, store: Bool)) throws(NamespaceError) -> R {
        let parts = try NameRules.components(of: path)
        return try mutate { () throws(NamespaceError) -> R in
            try checkWritable()
            let ref = try tree.resolve(parts, path: path)
            if ref.isContainer {
                let at = ref.row
                let span = try tree.containers.withExtras(at, throwing: { (e) throws(NamespaceError) in
                    try Self.attributeSpan(e) { (r) throws(CodecError) in _ = try VariableFields.readName(&r, allowEmpty: true) }
                })
                var attributes = span.attributes
                let (result, store) = change(&attributes)
                guard store else { return result }
                let extras = try tree.containers.withExtras(at, throwing: { (e) throws(NamespaceError) in
                    try Self.splice(e, span, attributes)
                })
                var row = tree.containers.rows[at]
                row.ctime = max(ctime, row.ctime)
                try withArrayBytes(extras) { (p) throws(NamespaceError) in try appendContainer(row, extras: p) }
                extras.withUnsafeBytes { tree.containers.replace(at, with: row, extras: $0) }
                return result
            }
            let at = ref.row
            let span = try tree.files.withExtras(at, throwing: { (e) throws(NamespaceError) in
                try Self.attributeSpan(e) { (r) throws(CodecError) in
                    _ = try VariableFields.readName(&r, allowEmpty: false)
                    _ = try r.span(Int(try r.u8("checksum length")), "checksum")
                    _ = try r.span(Int(try r.u16("location count")) * 4, "locations")
                    _ = try r.span(Int(try r.u16("unlinked count")) * 4, "unlinked locations")
                }
            })
            var attributes = span.attributes
            let (result, store) = change(&attributes)
            guard store else { return result }
            let extras = try tree.files.withExtras(at, throwing: { (e) throws(NamespaceError) in try Self.splice(e, span, attributes) })
            var row = tree.files.rows[at]
            row.ctime = ctime
            try withArrayBytes(extras) { (p) throws(NamespaceError) in try appendFile(row, extras: p) }
            extras.withUnsafeBytes { tree.files.replace(at, with: row, extras: $0) }
            return result
        }
    }

    struct AttributeSpan {
        var start: Int
        var end: Int
        var attributes: [String: String]
    }

    /// Where the attribute list of a stored variable section starts and ends (after `skip` has read
    /// the fields before it), and the list.
    static func attributeSpan(_ extras: UnsafeRawBufferPointer,
                              skip: (inout PayloadReader) throws(CodecError) -> Void) throws(NamespaceError) -> AttributeSpan {
        do throws(CodecError) {
            var r = PayloadReader(extras)
            try skip(&r)
            let start = r.cursor
            let attributes = try VariableFields.readAttributes(&r)
            return AttributeSpan(start: start, end: r.cursor, attributes: attributes)
        } catch {
            throw .invalidArgument("\(error)")
        }
    }

    /// The stored section with its attribute list replaced by `attributes`.
    static func splice(_ extras: UnsafeRawBufferPointer, _ span: AttributeSpan,
                       _ attributes: [String: String]) throws(NamespaceError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(extras.count + 64)
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: extras[..<span.start]))
        do { try VariableFields.appendAttributes(attributes, to: &out) } catch { throw .invalidArgument("\(error)") }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: extras[span.end...]))
        return out
    }
}
