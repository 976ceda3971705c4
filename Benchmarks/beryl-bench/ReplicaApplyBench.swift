import BenchSupport
import Changelog
import Foundation
import Namespace

/// The replica's apply path alone, in one process: a master data directory of `files` files (two
/// versions each) is fed to a replica namespace with `Namespace.receive` in 4 MiB chunks of whole
/// frames, as the follower does, without the network. Separates the apply cost from the protocol's.
enum ReplicaApplyBench {
    static func run(files: Int, durability: Durability, updates: Bool) throws -> (records: Int, seconds: Double) {
        let root = NSTemporaryDirectory() + "beryl-replica-apply-\(getpid())"
        let masterDir = root + "/master", replicaDir = root + "/replica"
        try FileManager.default.createDirectory(atPath: masterDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: replicaDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try ScaleSuite.generate(masterDir, files: files)
        var master = try Namespace.boot(NamespaceConfiguration(directory: masterDir, durability: .none))
        defer { master.close() }
        let config = NamespaceConfiguration(directory: replicaDir, durability: durability, role: .slaveReadOnly)
        for kind in [ContentKind.files, .directories] {
            let path = kind == .files ? config.filesLogPath : config.directoriesLogPath
            let log = try Changelog.createReplica(at: path, header: master.changelog(kind)!.headerBytes,
                                                  configuration: ChangelogConfiguration(contentKind: kind, durability: durability))
            log.close()
        }
        let replica = try Namespace.boot(config)
        defer { replica.close() }
        func ship() throws -> (Int, Double) {
            var records = 0
            let start = Date()
            for kind in [ContentKind.directories, .files] {
                let source = master.changelog(kind)!
                let end = source.end
                var offset = replica.changelog(kind)!.end
                while offset < end {
                    let chunkEnd = try source.chunkEnd(from: offset, limit: end, maximumBytes: 4 << 20)
                    let bytes = try source.withLogBytes(from: offset, to: chunkEnd) { Array($0) }
                    records += try bytes.withUnsafeBytes { try replica.receive(kind, bytes: $0, at: offset) }
                    offset = chunkEnd
                }
            }
            return (records, Date().timeIntervalSince(start))
        }
        var (records, seconds) = try ship()
        if updates {
            // The resume case: the replica holds every file; the backlog updates them (same names).
            master.close()
            try ScaleSuite.appendFileVersions(masterDir, files: files, versions: 2...3)
            master = try Namespace.boot(NamespaceConfiguration(directory: masterDir, durability: .none))
            (records, seconds) = try ship()
        }
        guard replica.fileCount == master.fileCount else { throw BenchError("replica has \(replica.fileCount) files, master \(master.fileCount)") }
        return (records, seconds)
    }
}
