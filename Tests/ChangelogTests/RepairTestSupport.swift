import Changelog
import Glibc
import Platform
import LegacyEOS

/// Files and randomness for the legacy-format and repair tests.
enum RepairTestFiles {
    /// The EOS fixtures (`EOSFixtures.directory`: `$BERYL_FIXTURES` or `../shared/fixtures/eos/`).
    static func fixturesDirectory() -> String { EOSFixtures.directory }

    /// A fresh temporary directory.
    static func temporaryDirectory() -> String {
        var template = Array("/tmp/beryl-repair-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { p in mkdtemp(p.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    static func removeDirectory(_ dir: String) {
        for name in FileSystem.list(dir) { try? FileSystem.remove(dir + "/" + name) }
        rmdir(dir)
    }

    static func readAll(_ path: String) throws -> [UInt8] {
        let f = try SystemFile.open(path, access: .readOnly, creation: .openExisting)
        return try f.read(count: Int(try f.size()), at: 0)
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        let f = try SystemFile.open(path, access: .readWrite, creation: .createNew)
        try f.write(bytes, at: 0)
    }

    /// Copies a fixture into `dir` (tests never touch the read-only originals).
    static func copyFixture(_ name: String, to dir: String) throws -> String {
        let path = dir + "/" + name
        try write(try readAll(fixturesDirectory() + name), to: path)
        return path
    }

    static func modificationTime(_ path: String) -> timespec {
        var st = stat()
        _ = stat(path, &st)
        return st.st_mtim
    }

    /// Every record of a legacy log: (offset, type, payload).
    static func legacyRecords(_ bytes: [UInt8]) -> (records: [(offset: Int, type: UInt8, payload: [UInt8])], result: LegacyScanResult) {
        var out: [(Int, UInt8, [UInt8])] = []
        let result = bytes.withUnsafeBytes { b in
            LegacyScanner(bytes: b).forEachRecord { r in
                out.append((Int(r.offset.rawValue), r.type.rawValue, Array(r.payload)))
                return true
            }
        }
        return (out.map { (offset: $0.0, type: $0.1, payload: $0.2) }, result)
    }
}

/// The shared SplitMix64 generator (Tests/Support).
typealias SeededGenerator = SeededRandom
