@_exported import BerylTestSupport
import Changelog
import Glibc

/// A fresh directory under /tmp, removed by `remove()`.
struct TemporaryDirectory {
    let path: String
    init(_ name: String = "beryl") {
        var template = Array("/tmp/\(name)-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: p!)
    }
    func file(_ name: String) -> String { path + "/" + name }
    func remove() { _ = system("rm -rf '\(path)'") }
}

/// An id-keyed payload: u64 id then `extra` bytes.
func payload(id: UInt64, extra: [UInt8] = []) -> [UInt8] {
    withUnsafeBytes(of: id.littleEndian) { Array($0) } + extra
}

/// Byte surgery on files.
enum Surgery {
    static func read(_ path: String) -> [UInt8] {
        guard let f = fopen(path, "rb") else { return [] }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }
    static func write(_ path: String, _ bytes: [UInt8]) {
        let f = fopen(path, "wb")!
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
    }
    static func flipBit(_ path: String, byte: Int, bit: Int) {
        var b = read(path)
        b[byte] ^= UInt8(1 << bit)
        write(path, b)
    }
    static func truncate(_ path: String, to length: Int) { _ = Glibc.truncate(path, off_t(length)) }
    static func size(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : -1
    }
}

/// Reads every record of a log (read-only, strict).
func records(of path: String, policy: DamagePolicy = .strict) throws(ChangelogError) -> [(type: RecordType, sequence: UInt64, payload: [UInt8])] {
    var out: [(RecordType, UInt64, [UInt8])] = []
    var config = ChangelogConfiguration.readOnly
    config.damagePolicy = policy
    _ = try Changelog.open(at: path, configuration: config) { r in
        out.append((r.type, r.sequence.rawValue, r.copyPayload()))
    }
    return out.map { (type: $0.0, sequence: $0.1, payload: $0.2) }
}
