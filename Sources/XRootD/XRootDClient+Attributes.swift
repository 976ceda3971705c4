// Extended attributes (kXR_fattr) and checksums (kXR_query kXR_Qcksum) for the console.

/// One name's outcome in a `kXR_fattr` answer: its code (nil: done) and, for a get, its value.
public struct AttributeAnswer: Hashable, Sendable {
    public var name: String
    public var code: XRootDErrorCode?
    public var value: String

    public init(name: String, code: XRootDErrorCode?, value: String = "") {
        self.name = name
        self.code = code
        self.value = value
    }
}

extension XRootDClient {
    /// Every attribute of `path` with its value, in the server's order.
    public func listAttributes(_ path: String) throws(XRootDError) -> [(name: String, value: String)] {
        let body = try send(.fattr(FattrRequest(subcode: .list, path: path, options: FattrRequest.withValues))).body
        var r = ByteReader(body, context: "kXR_fattr list answer")
        var out: [(String, String)] = []
        while r.remaining > 0 {
            let name = try Self.cString(&r)
            let length = try r.i32()
            guard length >= 0 else { throw .malformed("kXR_fattr list answer: negative value length") }
            out.append((name, String(decoding: try r.take(Int(length)), as: UTF8.self)))
        }
        return out
    }

    public func getAttributes(_ path: String, names: [String]) throws(XRootDError) -> [AttributeAnswer] {
        let body = try send(.fattr(FattrRequest(subcode: .get, path: path, names: names.map { Array($0.utf8) }))).body
        var r = ByteReader(body, context: "kXR_fattr get answer")
        var answers = try Self.nameVector(&r)
        for index in answers.indices {
            let length = try r.i32()
            guard length >= 0 else { throw .malformed("kXR_fattr get answer: negative value length") }
            answers[index].value = String(decoding: try r.take(Int(length)), as: UTF8.self)
        }
        return answers
    }

    public func setAttributes(_ path: String, _ pairs: [(name: String, value: String)]) throws(XRootDError) -> [AttributeAnswer] {
        let request = FattrRequest(subcode: .set, path: path, names: pairs.map { Array($0.name.utf8) },
                                   values: pairs.map { Array($0.value.utf8) })
        var r = ByteReader(try send(.fattr(request)).body, context: "kXR_fattr set answer")
        return try Self.nameVector(&r)
    }

    public func removeAttributes(_ path: String, names: [String]) throws(XRootDError) -> [AttributeAnswer] {
        let body = try send(.fattr(FattrRequest(subcode: .delete, path: path, names: names.map { Array($0.utf8) }))).body
        var r = ByteReader(body, context: "kXR_fattr del answer")
        return try Self.nameVector(&r)
    }

    /// `(type, hex)` of the stored checksum, e.g. `("adler32", "0fc80271")`.
    public func checksum(_ path: String) throws(XRootDError) -> (type: String, value: String) {
        let text = try WireText.decode(query(.checksum, arguments: path)[...], context: "kXR_Qcksum answer")
        let parts = text.split(separator: " ")
        guard parts.count == 2 else { throw .malformed("kXR_Qcksum answer: '\(text)'") }
        return (String(parts[0]), String(parts[1]))
    }

    private static func nameVector(_ r: inout ByteReader) throws(XRootDError) -> [AttributeAnswer] {
        _ = try r.u8()  // errors
        let count = Int(try r.u8())
        var answers: [AttributeAnswer] = []
        for _ in 0..<count {
            let code = try r.u16()
            answers.append(AttributeAnswer(name: try cString(&r), code: code == 0 ? nil : XRootDErrorCode(rawValue: Int32(code))))
        }
        return answers
    }

    private static func cString(_ r: inout ByteReader) throws(XRootDError) -> String {
        var bytes: [UInt8] = []
        while true {
            let byte = try r.u8()
            if byte == 0 { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
