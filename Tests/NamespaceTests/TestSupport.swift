import Changelog
import Glibc
@testable import Namespace

/// A fresh directory under /tmp, removed (with its files) by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/beryl-ns-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.map { UInt8(bitPattern: $0) }.prefix { $0 != 0 }, as: UTF8.self)
    }

    func remove() {
        for name in FileSystem.list(path) { try? FileSystem.remove(path + "/" + name) }
        rmdir(path)
    }

    func configuration(access: NamespaceConfiguration.Access = .readWrite) -> NamespaceConfiguration {
        NamespaceConfiguration(directory: path, durability: .none, access: access)
    }

    var logSizes: (UInt64, UInt64) {
        (SystemInfo.fileSize(path + "/" + NamespaceConfiguration.filesLogName) ?? 0,
         SystemInfo.fileSize(path + "/" + NamespaceConfiguration.directoriesLogName) ?? 0)
    }
}

/// A small deterministic generator (SplitMix64) so failures reproduce from the seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The errno of a throwing call, or nil when it succeeds.
func errnoOf(_ body: () throws -> Void) -> Int32? {
    do {
        try body()
        return nil
    } catch let error as NamespaceError {
        return error.errno
    } catch {
        return -1
    }
}

let fixedTime = Timestamp(seconds: 1_700_000_000, nanoseconds: 123)
let fixedAttributes = CreationAttributes(uid: 7, gid: 8, time: fixedTime)
