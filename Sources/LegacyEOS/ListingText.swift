/// The text forms shared by the TSV namespace listing (`NamespaceListing`, in `Namespace`) and the
/// legacy records' descriptions: id lists, zero-padded hex, JSON strings and attribute objects.
public enum ListingText {
    public static func list(_ xs: [UInt32]) -> String {
        xs.isEmpty ? "-" : xs.map(String.init).joined(separator: ",")
    }

    public static func hex(_ v: UInt64, digits: Int) -> String {
        let s = String(v, radix: 16)
        return s.count >= digits ? s : String(repeating: "0", count: digits - s.count) + s
    }

    /// A JSON object with keys sorted by code point, compact separators, non-ASCII and control
    /// characters escaped as `\uXXXX` (Python's `json.dumps(sort_keys=True, separators=(",", ":"))`).
    public static func json(_ attributes: [LegacyExtendedAttribute]) -> String {
        var map: [String: String] = [:]
        for a in attributes { map[a.key] = a.value }
        let keys = map.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        return "{" + keys.map { jsonString($0) + ":" + jsonString(map[$0]!) }.joined(separator: ",") + "}"
    }

    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.utf16 {
            switch u {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(UInt8(u)))
            default: out += "\\u" + hex(UInt64(u), digits: 4)
            }
        }
        return out + "\""
    }
}
