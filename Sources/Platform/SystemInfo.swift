import Glibc

/// Process and file facts for statistics, read from the kernel.
public enum SystemInfo {
    /// Virtual, resident and shared bytes of this process (from /proc/self/statm).
    public struct Memory: Sendable, Equatable {
        public var virtual: UInt64
        public var resident: UInt64
        public var shared: UInt64

        public init(virtual: UInt64, resident: UInt64, shared: UInt64) {
            self.virtual = virtual
            self.resident = resident
            self.shared = shared
        }
    }

    public static func memory() -> Memory {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return Memory(virtual: 0, resident: 0, shared: 0) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return Memory(virtual: 0, resident: 0, shared: 0) }
        let fields = buffer[0..<n].split(whereSeparator: { $0 == 0x20 || $0 == 0x0A })
            .map { UInt64(String(decoding: $0, as: UTF8.self)) ?? 0 }
        let page = UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 1))
        func field(_ i: Int) -> UInt64 { i < fields.count ? fields[i] * page : 0 }
        return Memory(virtual: field(0), resident: field(1), shared: field(2))
    }

    /// Threads of this process (the `Threads:` line of /proc/self/status); 0 if unreadable.
    public static func threads() -> Int {
        let fd = open("/proc/self/status", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return 0 }
        for line in buffer[0..<n].split(separator: 0x0A) where line.starts(with: Array("Threads:".utf8)) {
            let digits = line.dropFirst(8).filter { $0 >= 0x30 && $0 <= 0x39 }
            return Int(String(decoding: digits, as: UTF8.self)) ?? 0
        }
        return 0
    }
}
