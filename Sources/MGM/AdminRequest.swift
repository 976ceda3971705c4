// Admin commands travel as the opaque part of a path opened for reading (the legacy MGM convention):
//   /proc/admin/?mgm.cmd=ns&mgm.subcmd=stat&mgm.option=m
//   /proc/admin/?mgm.cmd=access&mgm.args=set%20stall%2060%20w
// The words of the command are `mgm.cmd`, then `mgm.subcmd`, then `-<letters>` for `mgm.option`, then the
// space-separated, percent-decoded `mgm.args`. The file read back is `AdminResult.encoded()`.

/// A parsed admin command line.
public struct AdminRequest: Sendable, Equatable {
    public static let pathPrefix = "/proc/admin"

    public var words: [String]

    public init(words: [String]) { self.words = words }

    /// True for paths under `/proc/admin` (with or without the opaque part).
    public static func isAdminPath(_ path: String) -> Bool {
        let plain = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return plain == pathPrefix || plain.hasPrefix(pathPrefix + "/")
    }

    /// Parses the opaque part of an admin path; nil when there is no `mgm.cmd`.
    public init?(path: String) {
        let parts = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        var values: [String: String] = [:]
        for pair in parts[1].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            values[Self.percentDecoded(kv[0])] = kv.count > 1 ? Self.percentDecoded(kv[1]) : ""
        }
        guard let command = values["mgm.cmd"], !command.isEmpty else { return nil }
        var words = [command]
        if let sub = values["mgm.subcmd"], !sub.isEmpty { words.append(sub) }
        if let option = values["mgm.option"], !option.isEmpty { words.append("-" + option) }
        if let args = values["mgm.args"] { words += args.split(separator: " ").map(String.init) }
        self.words = words
    }

    /// The admin path that runs `words` (used by the console).
    public static func path(for words: [String]) -> String {
        guard let command = words.first else { return pathPrefix + "/" }
        var path = pathPrefix + "/?mgm.cmd=" + percentEncoded(command)
        if words.count > 1 { path += "&mgm.args=" + percentEncoded(words.dropFirst().joined(separator: " ")) }
        return path
    }

    static func percentDecoded<S: StringProtocol>(_ text: S) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func percentEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: ":"), UInt8(ascii: "/"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The outcome of an admin command: what the legacy console printed to stdout and stderr, and its
/// return code (0 or an errno).
public struct AdminResult: Sendable, Equatable {
    public var stdout: String
    public var stderr: String
    public var returnCode: Int32

    public init(stdout: String = "", stderr: String = "", returnCode: Int32 = 0) {
        self.stdout = stdout
        self.stderr = stderr
        self.returnCode = returnCode
    }

    public static func failure(_ code: Int32, _ message: String) -> AdminResult {
        AdminResult(stderr: "error: " + message + "\n", returnCode: code)
    }

    /// `mgm.proc.stdout=<text>&mgm.proc.stderr=<text>&mgm.proc.retc=<n>`, with `&` inside the texts
    /// sealed as `#AND#` (the legacy `XrdMqMessage::Seal`).
    public func encoded() -> String {
        "mgm.proc.stdout=" + Self.seal(stdout) + "&mgm.proc.stderr=" + Self.seal(stderr) + "&mgm.proc.retc=\(returnCode)"
    }

    /// Parses what `encoded()` produced.
    public init?(encoded text: String) {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: false) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2 else { continue }
            values[String(kv[0])] = Self.unseal(String(kv[1]))
        }
        guard let retc = values["mgm.proc.retc"].flatMap({ Int32($0) }) else { return nil }
        self.init(stdout: values["mgm.proc.stdout"] ?? "", stderr: values["mgm.proc.stderr"] ?? "", returnCode: retc)
    }

    static func seal(_ text: String) -> String { text.replacingAll("&", with: "#AND#") }
    static func unseal(_ text: String) -> String { text.replacingAll("#AND#", with: "&") }
}

extension String {
    /// Replaces every occurrence of `target` (no Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
