import Glibc

/// The names, sizes and contents (FNV-1a 64) of every regular file in a directory (not recursive):
/// equal snapshots taken before and after a refused operation show it changed nothing on disk.
public struct DirectorySnapshot: Equatable, CustomStringConvertible {
    public var files: [String: (size: Int, hash: UInt64)]

    public init(_ directory: String) {
        files = [:]
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            let path = directory + "/" + name
            var st = stat()
            guard stat(path, &st) == 0 else { continue }
            guard st.st_mode & S_IFMT == S_IFREG else {
                files[name] = (-1, 0)
                continue
            }
            files[name] = (Int(st.st_size), Self.hash(path))
        }
    }

    public static func == (a: DirectorySnapshot, b: DirectorySnapshot) -> Bool {
        a.files.count == b.files.count && a.files.allSatisfy { name, v in b.files[name].map { $0 == v } ?? false }
    }

    public var description: String {
        files.keys.sorted().map { "\($0) (\(files[$0]!.size) bytes, \(String(files[$0]!.hash, radix: 16)))" }.joined(separator: ", ")
    }

    static func hash(_ path: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            for b in buffer[0..<n] { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        return h
    }
}
