import Changelog
import Glibc
@testable import Namespace
import Platform

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

    func configuration(role: Role = .masterReadWrite) -> NamespaceConfiguration {
        NamespaceConfiguration(directory: path, durability: .none, role: role)
    }

    var logSizes: (UInt64, UInt64) {
        (FileSystem.size(path + "/" + NamespaceConfiguration.filesLogName) ?? 0,
         FileSystem.size(path + "/" + NamespaceConfiguration.directoriesLogName) ?? 0)
    }
}

/// The shared SplitMix64 generator (Tests/Support).
typealias SeededGenerator = SeededRandom

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
