import Glibc

/// The one writer to standard error: file descriptor 2 directly (the C `stderr` global is not
/// concurrency-safe), all of the text in as few write(2) calls as the kernel takes, EINTR retried.
/// Use as `print(..., to: &stream)` or `StandardError.write(text)`.
public struct StandardError: TextOutputStream, Sendable {
    public init() {}

    public mutating func write(_ s: String) { Self.write(s) }

    public static func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }
}
