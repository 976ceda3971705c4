/// A string as a JSON string literal: quotes, backslashes and control characters escaped, everything
/// else (UTF-8 included) as is. The tools' and admin commands' `--json` outputs share it. (The legacy
/// listing's form, `ListingText.jsonString`, escapes every non-ASCII character as EOS's tools do.)
public enum JSONText {
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let digits = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
