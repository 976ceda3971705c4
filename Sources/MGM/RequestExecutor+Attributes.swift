import Namespace
import XRootD

/// `kXR_fattr`: extended attributes of files and directories, kept in the namespace (one record per
/// request: replicated and compacted like every mutation; a change also sets the entry's ctime).
/// Several names per request, each answered with its own code as the stock server does (`kXR_AttrNotFound`
/// for a missing name, `kXR_ItExists` for an existing one under `isNew`, `kXR_NotFound` for a missing path).
extension RequestExecutor {
    /// The longest value the namespace stores (its format's 16-bit length), one byte under the protocol's.
    static let maximumAttributeValueLength = 65535
    /// Attributes one entry may hold.
    static let maximumAttributesPerEntry = 1024

    /// Who may set or remove `sys.*` attributes (the EOS convention: system attributes are root's; under
    /// `--auth none` nothing is checked). The other names are decided by `Permission.decide` before this runs.
    static func maySetSystemAttributes(_ identity: VirtualIdentity) -> Bool { identity.passesEveryCheck }

    func attributes(_ r: FattrRequest, identity: VirtualIdentity) throws(NamespaceError) -> Execution {
        guard let kind = r.kind else { return .error(.argInvalid, "fattr subcode is invalid") }
        let path = Self.plain(r.path)
        if kind == .list { return try list(path, withValues: r.options & FattrRequest.withValues != 0) }
        guard r.count >= 1, Int(r.count) <= FattrRequest.maximumCount, r.names.count == Int(r.count) else {
            return .error(.argInvalid, "fattr numattr is invalid")
        }
        var names: [String] = []
        for (index, raw) in r.names.enumerated() {
            let argument = "processing fattr name argument #\(index + 1)"
            guard !raw.isEmpty else { return .error(.argMissing, "Missing argument \(argument)") }
            guard raw.count <= FattrRequest.maximumNameLength else {
                return .error(.argTooLong, "Argument is too long \(argument) (at most \(FattrRequest.maximumNameLength) bytes)")
            }
            guard let name = UTF8Text.validated(raw) else { return .error(.argInvalid, "Invalid UTF-8 \(argument)") }
            names.append(name)
        }
        switch kind {
        case .get:
            return try get(path, names: names)
        case .set:
            var values: [String] = []
            for (index, raw) in r.values.enumerated() {
                let argument = "processing fattr data argument #\(index + 1)"
                guard raw.count <= Self.maximumAttributeValueLength else {
                    return .error(.argTooLong, "Argument is too long \(argument) (at most \(Self.maximumAttributeValueLength) bytes)")
                }
                guard let value = UTF8Text.validated(raw) else { return .error(.argInvalid, "Invalid UTF-8 \(argument)") }
                values.append(value)
            }
            if let refusal = systemAttributeRefusal(names, path: path, identity: identity, verb: "set") { return refusal }
            return try change(path, names: names) { attributes, index in
                if r.options & FattrRequest.isNew != 0, attributes[names[index]] != nil { return .itExists }
                attributes[names[index]] = values[index]
                return nil
            }
        case .delete:
            if let refusal = systemAttributeRefusal(names, path: path, identity: identity, verb: "remove") { return refusal }
            return try change(path, names: names) { attributes, index in
                attributes.removeValue(forKey: names[index]) == nil ? .attributeNotFound : nil
            }
        case .list:
            return .error(.argInvalid, "fattr subcode is invalid")
        }
    }

    /// `sys.*` names are root's: refused before anything changes.
    private func systemAttributeRefusal(_ names: [String], path: String, identity: VirtualIdentity, verb: String) -> Execution? {
        guard let name = names.first(where: { $0.hasPrefix("sys.") }), !Self.maySetSystemAttributes(identity) else { return nil }
        return .error(.notAuthorized, "Unable to \(verb) attribute \(name) of \(path); only root may set or remove sys.* "
                      + "attributes (you are uid \(identity.uid))")
    }

    private func currentAttributes(_ path: String) throws(NamespaceError) -> [String: String] {
        switch try namespace.stat(path) {
        case .file(let f): return f.xattrs
        case .container(let c): return c.xattrs
        }
    }

    private func list(_ path: String, withValues: Bool) throws(NamespaceError) -> Execution {
        let attributes = try currentAttributes(path)
        var body: [UInt8] = []
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) {
            body += Array(name.utf8) + [0]
            if withValues { body += Self.bigEndian(Int32(value.utf8.count)) + Array(value.utf8) }
        }
        return .ok(body)
    }

    private func get(_ path: String, names: [String]) throws(NamespaceError) -> Execution {
        let attributes: [String: String]?
        do throws(NamespaceError) {
            attributes = try currentAttributes(path)
        } catch .notFound {
            attributes = nil
        }
        var codes: [XRootDErrorCode?] = []
        var values: [UInt8] = []
        for name in names {
            let value = attributes?[name]
            codes.append(attributes == nil ? .notFound : value == nil ? .attributeNotFound : nil)
            values += Self.bigEndian(Int32(value?.utf8.count ?? 0)) + Array((value ?? "").utf8)
        }
        return .ok(Self.nameVector(names, codes: codes) + values)
    }

    /// Applies `apply` per name to the entry's attributes and stores them in one record with a new
    /// ctime; nothing is written when no name succeeds. A missing path answers each name `kXR_NotFound`.
    private func change(_ path: String, names: [String],
                        _ apply: (inout [String: String], Int) -> XRootDErrorCode?) throws(NamespaceError) -> Execution {
        // One pass under the namespace's write lock (`Namespace.changeAttributes`): resolve, apply,
        // store only when a name succeeded and the entry stays within the limit.
        var codes: [XRootDErrorCode?] = []
        var tooMany = false
        do throws(NamespaceError) {
            try namespace.changeAttributes(path, ctime: Timestamp.now()) { attributes -> ((), store: Bool) in
                codes = names.indices.map { apply(&attributes, $0) }
                guard codes.contains(where: { $0 == nil }) else { return ((), false) }
                tooMany = attributes.count > Self.maximumAttributesPerEntry
                return ((), !tooMany)
            }
        } catch .notFound {
            return .ok(Self.nameVector(names, codes: names.map { _ in .notFound }))
        }
        if tooMany {
            return .error(.argTooLong, "Unable to set attributes of \(path); an entry holds at most "
                          + "\(Self.maximumAttributesPerEntry) attributes")
        }
        if codes.contains(where: { $0 == nil }) {
            logger.debug("attributes changed", metadata: ["path": "\(path)", "names": "\(names.joined(separator: ","))"])
        }
        return .ok(Self.nameVector(names, codes: codes))
    }

    /// `nerrs`, `nattr`, then per name its 2-byte code (0: done) and the name with a NUL.
    static func nameVector(_ names: [String], codes: [XRootDErrorCode?]) -> [UInt8] {
        var out: [UInt8] = [UInt8(clamping: codes.filter { $0 != nil }.count), UInt8(clamping: names.count)]
        for (name, code) in zip(names, codes) {
            let raw = UInt16(clamping: code?.rawValue ?? 0)
            out += [UInt8(raw >> 8), UInt8(raw & 0xFF)] + Array(name.utf8) + [0]
        }
        return out
    }

    static func bigEndian(_ value: Int32) -> [UInt8] {
        let v = UInt32(bitPattern: value)
        return [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }
}

extension NamespaceEntry {
    var attributes: [String: String] {
        switch self {
        case .file(let f): return f.xattrs
        case .container(let c): return c.xattrs
        }
    }
}
