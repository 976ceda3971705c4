/// One etcd member's client address (`--listen-client-urls`), reached over plain HTTP.
public struct EtcdEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `HOST:PORT`, an IPv6 host in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses `etcd://HOST:PORT[,HOST:PORT...]` (IPv6 hosts in brackets; no path, user or query).
    public static func parseList(_ url: String) throws(EtcdError) -> [EtcdEndpoint] {
        let scheme = "etcd://"
        guard url.hasPrefix(scheme) else { throw .invalidURL(url, reason: "it does not start with \(scheme)") }
        let rest = url.dropFirst(scheme.count)
        guard !rest.isEmpty else { throw .invalidURL(url, reason: "no HOST:PORT after \(scheme)") }
        var endpoints: [EtcdEndpoint] = []
        for item in rest.split(separator: ",", omittingEmptySubsequences: false) {
            guard let endpoint = parse(String(item)) else {
                throw .invalidURL(url, reason: "\"\(item)\" is not HOST:PORT with a port in 1...65535")
            }
            guard !endpoints.contains(endpoint) else { throw .invalidURL(url, reason: "\(endpoint) is listed twice") }
            endpoints.append(endpoint)
        }
        return endpoints
    }

    /// `HOST:PORT` or `[V6]:PORT`, or nil.
    public static func parse(_ text: String) -> EtcdEndpoint? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            guard after.hasPrefix(":") else { return nil }
            portText = after.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { return nil }
        }
        guard !host.isEmpty, !host.contains("/"), !host.contains("@"), !host.contains(" "),
              let port = Int(portText), (1...65535).contains(port) else { return nil }
        return EtcdEndpoint(host: String(host), port: port)
    }
}
