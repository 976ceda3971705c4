import Changelog
import Platform
import LegacyEOS

/// A legacy EOS namespace this project writes itself (`LegacyLogWriter` and the FileMD /
/// ContainerMD encoders), for the tests that must run without the EOS fixtures: a directories log
/// (content flag 2) and a files log (content flag 1) with everything the fixtures hold: nested
/// containers with xattrs and mtimes, quota nodes, superseded updates and deletes in both logs,
/// symlinks (`name//target`), unlinked files (container 0 with unlinked locations), checksums,
/// and a compaction stamp with the COMPACTED flag on the files log.
public struct LegacyCorpus {
    /// One record as written.
    public struct Record: Sendable {
        public var offset: Int
        /// Header, padded payload and trailing CRC.
        public var length: Int
        public var type: RecordType
        public var payload: [UInt8]
    }

    /// What one log holds.
    public struct Log: Sendable {
        public var path: String
        public var records: [Record] = []
        public var updates: Int { records.filter { $0.type == .update }.count }
        public var deletes: Int { records.filter { $0.type == .delete }.count }
        public var stamps: Int { records.filter { $0.type == .compactionStamp }.count }
    }

    public var filesLog: Log
    public var directoriesLog: Log
    /// What the logs replay to: the last update of every id not deleted afterwards.
    public var files: [UInt64: LegacyFileMD] = [:]
    public var containers: [UInt64: LegacyContainerMD] = [:]

    /// Writes `files.mdlog` and `directories.mdlog` into `directory` (which must not hold them).
    public static func write(in directory: String, files fileCount: Int = 600, containers containerCount: Int = 80,
                             seed: UInt64 = 1) throws -> LegacyCorpus {
        var rng = SeededRandom(seed: seed)
        var corpus = LegacyCorpus(filesLog: Log(path: directory + "/files.mdlog"),
                                  directoriesLog: Log(path: directory + "/directories.mdlog"))
        let dirs = try LegacyLogWriter.create(at: corpus.directoriesLog.path, header: LegacyHeader(contentFlag: 2))
        func time(_ base: Int64) -> LegacyTimestamp {
            LegacyTimestamp(seconds: 1_600_000_000 + base, nanoseconds: Int64.random(in: 0..<1_000_000_000, using: &rng))
        }
        func put(_ writer: LegacyLogWriter, _ log: inout Log, _ type: RecordType, _ payload: [UInt8]) throws {
            let offset = try writer.append(type, payload: payload)
            log.records.append(Record(offset: Int(offset.rawValue), length: LegacyFormat.padded(payload.count) + LegacyFormat.recordOverhead,
                                      type: type, payload: payload))
        }
        func id(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

        // Containers: the root, a tree under it, some renamed (updated twice), some temporary ones deleted.
        var root = LegacyContainerMD(id: 1, parentId: 1, ctime: time(0), mode: 0o40755, name: "")
        root.mtime = time(1)
        corpus.containers[1] = root
        try put(dirs, &corpus.directoriesLog, .update, root.encoded())
        var parents: [UInt64] = [1]
        for i in 2...UInt64(max(2, containerCount)) {
            var c = LegacyContainerMD(id: i, parentId: parents.randomElement(using: &rng)!, ctime: time(Int64(i)),
                                      uid: UInt32(i % 7), gid: UInt32(i % 3), mode: i % 5 == 0 ? 0o42775 : 0o40755,
                                      name: "dir\(i)")
            c.mtime = time(Int64(i) + 100)
            if i % 4 == 0 { c.extendedAttributes = [LegacyExtendedAttribute(key: "user.tag", value: "v\(i)"),
                                                    LegacyExtendedAttribute(key: "sys.acl", value: "u:\(i):rwx")] }
            if i % 11 == 0 { c.flags = LegacyContainerMD.quotaNodeFlag }
            try put(dirs, &corpus.directoriesLog, .update, c.encoded())
            if i % 9 == 0 {
                c.name = "renamed\(i)"
                c.mtime = time(Int64(i) + 500)
                try put(dirs, &corpus.directoriesLog, .update, c.encoded())
            }
            corpus.containers[i] = c
            parents.append(i)
        }
        var nextContainer = UInt64(max(2, containerCount)) + 1
        for _ in 0..<5 {
            let temporary = LegacyContainerMD(id: nextContainer, parentId: 1, ctime: time(9_000), name: "tmp\(nextContainer)")
            try put(dirs, &corpus.directoriesLog, .update, temporary.encoded())
            try put(dirs, &corpus.directoriesLog, .delete, id(nextContainer))
            nextContainer += 1
        }
        try dirs.close()

        // Files: regular files with locations, checksums and xattrs; symlinks; unlinked files;
        // updates that supersede earlier ones; deleted files; then a compaction stamp.
        let filesWriter = try LegacyLogWriter.create(at: corpus.filesLog.path, header: LegacyHeader(contentFlag: 1))
        for i in 1...UInt64(max(1, fileCount)) {
            var f = LegacyFileMD(id: i, ctime: time(Int64(i)), mtime: time(Int64(i) + 50),
                                 size: UInt64.random(in: 0...(1 << 40), using: &rng),
                                 flags: [0, 0o644, 0o600, 0o755][Int(i % 4)],
                                 containerId: parents.randomElement(using: &rng)!, name: "file\(i).root",
                                 locations: (0..<Int(i % 3 + 1)).map { UInt32($0 + 1) },
                                 uid: UInt32(i % 13), gid: UInt32(i % 5), layoutId: 0x0010_0002,
                                 checksum: (0..<(i % 2 == 0 ? 4 : 20)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            if i % 6 == 0 { f.extendedAttributes = [LegacyExtendedAttribute(key: "user.run", value: "\(i)")] }
            if i % 37 == 0 {
                f.name = "link\(i)"
                f.linkTarget = "../file\(i - 1).root"
                f.locations = []
            }
            if i % 50 == 0 {
                f.unlinkedLocations = f.locations
                f.locations = []
                f.containerId = 0
            }
            try put(filesWriter, &corpus.filesLog, .update, f.encoded())
            if i % 10 == 3 {
                f.size += 4096
                f.mtime = time(Int64(i) + 900)
                try put(filesWriter, &corpus.filesLog, .update, f.encoded())
            }
            if i % 23 == 0 {
                try put(filesWriter, &corpus.filesLog, .delete, id(i))
            } else {
                corpus.files[i] = f
            }
        }
        let offset = try filesWriter.addCompactionMark()
        corpus.filesLog.records.append(Record(offset: Int(offset.rawValue), length: 8 + LegacyFormat.recordOverhead,
                                              type: .compactionStamp, payload: Array("DUMMY\0\0\0".utf8)))
        try filesWriter.close()
        return corpus
    }

    /// Writes a compacted copy of `log` as `eos-log-compact` lays it out (header, the last update
    /// of every live id in offset order, one stamp) and returns its size in bytes.
    public static func writeCompacted(_ log: Log, contentFlag: UInt16, to path: String) throws -> Int {
        var last: [UInt64: Int] = [:]
        var deleted = Set<UInt64>()
        for (index, r) in log.records.enumerated() {
            let id = r.payload.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            switch r.type {
            case .update: last[id] = index; deleted.remove(id)
            case .delete: last[id] = nil; deleted.insert(id)
            default: break
            }
        }
        let writer = try LegacyLogWriter.create(at: path, header: LegacyHeader(contentFlag: contentFlag))
        for index in last.values.sorted() { try writer.append(.update, payload: log.records[index].payload) }
        try writer.addCompactionMark()
        try writer.close()
        return Int(FileSystem.size(path) ?? 0)
    }
}
