import Foundation
import Glibc
import MGM
import XRootD

/// The test process's resident memory (`VmRSS` of /proc/self/status), in bytes. The servers under test
/// run in this process, so their buffers show up here.
enum ProcessMemory {
    static func residentBytes() -> Int { statusField("VmRSS:") }

    /// The virtual size (`VmSize`): a buffer reserved for an announced length but not yet filled would
    /// show here before it shows in VmRSS.
    static func virtualBytes() -> Int { statusField("VmSize:") }

    private static func statusField(_ name: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) })
        else { return 0 }
        let kibibytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kibibytes * 1024
    }

    static func mebibytes(_ bytes: Int) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }
}

extension TestServer {
    /// Waits (polling, up to `timeout`) until the server has `count` open connections; true when it does.
    func waitForConnectionCount(_ count: Int, timeout: Duration = .seconds(5)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while server.connectionCount != count {
            if ContinuousClock.now >= deadline { return false }
            usleep(10_000)
        }
        return true
    }
}

extension RawConnection {
    /// Sends what the socket takes without blocking, retrying until everything went or nothing more was
    /// taken for `stall`; returns how many bytes were sent.
    func sendWithoutBlocking(_ bytes: [UInt8], stall: Duration = .milliseconds(500)) -> Int {
        var sent = 0
        var lastProgress = ContinuousClock.now
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if n > 0 {
                sent += n
                lastProgress = ContinuousClock.now
            } else if n < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                if ContinuousClock.now - lastProgress >= stall { break }
                usleep(2_000)
            } else {
                break
            }
        }
        return sent
    }

    /// Reads one response without keeping its body; returns its status, or nil when the connection ended.
    func skipResponse() -> ResponseStatus? {
        let header = receive(ResponseHeader.length)
        guard header.count == ResponseHeader.length, let decoded = try? ResponseHeader.decode(header[...]) else { return nil }
        var remaining = Int(decoded.bodyLength)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while remaining > 0 {
            let n = recv(fd, &buffer, min(buffer.count, remaining), 0)
            if n <= 0 { return nil }
            remaining -= n
        }
        return decoded.status
    }

    /// Makes the close (at deinit) a reset (SO_LINGER 0), as a crashed client's, rather than a FIN.
    func closeWithReset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }
}

/// A request frame with an arbitrary 32-bit length field (`dlen`), no payload.
func headerClaiming(length: UInt32, code: RequestID = .stat, stream: UInt16 = 9) -> [UInt8] {
    RequestHeader(streamID: StreamID(stream), requestCode: code.rawValue, parameters: [UInt8](repeating: 0, count: 16),
                  payloadLength: Int32(bitPattern: length)).encode()
}
