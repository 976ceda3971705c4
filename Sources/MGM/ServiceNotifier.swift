import Glibc

/// systemd's readiness protocol (`Type=notify`) without libsystemd: one datagram of `KEY=value` lines
/// to the AF_UNIX socket named by `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace).
public enum ServiceNotifier {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var socket: String
        public var errno: Int32
        public var step: String
        public var description: String { "sd_notify to \(socket): \(step): \(String(cString: strerror(errno)))" }
    }

    /// The socket systemd gave this process, if any.
    public static var socketFromEnvironment: String? {
        guard let value = getenv("NOTIFY_SOCKET") else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// Sends `state` (e.g. "READY=1\nSTATUS=serving") to `socket`. Returns false, sending nothing, when
    /// there is no socket (not started by systemd with `Type=notify`).
    @discardableResult
    public static func notify(_ state: String, socket: String? = socketFromEnvironment) throws(Failure) -> Bool {
        guard let socket else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socket.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }  // abstract namespace: a leading NUL
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !path.isEmpty, path.count < capacity else {
            throw Failure(socket: socket, errno: ENAMETOOLONG, step: "socket address")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in path.enumerated() { bytes[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (path[0] == 0 ? 0 : 1))
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(socket: socket, errno: errno, step: "socket") }
        defer { close(fd) }
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), target, length) }
            }
        }
        guard sent == message.count else { throw Failure(socket: socket, errno: sent < 0 ? errno : EMSGSIZE, step: "sendto") }
        return true
    }
}
