import Changelog

/// The live namespace a pair of legacy EOS logs replays to, as EOS's boot scanners build it:
/// the last update of an id wins, a delete removes the id, compaction stamps are ignored.
/// Replay is lenient (it never throws): a damaged record ends the scan of that log and an
/// undecodable payload is skipped, each reported in `problems`.
public struct LegacyNamespace: Sendable {
    /// One thing replay could not use.
    public struct Problem: Sendable, CustomStringConvertible {
        public var path: String
        public var offset: Int
        public var reason: String
        public var description: String { "\(path) at offset \(offset): \(reason)" }
    }

    public var containers: [UInt64: LegacyContainerMD] = [:]
    public var files: [UInt64: LegacyFileMD] = [:]
    public var problems: [Problem] = []

    public init() {}

    /// Replays a files log (content flag 1) and a directories log (content flag 2).
    public static func replay(filesLog: LegacyLogFile, directoriesLog: LegacyLogFile) -> LegacyNamespace {
        var ns = LegacyNamespace()
        ns.replay(directoriesLog, as: .containers)
        ns.replay(filesLog, as: .files)
        return ns
    }

    /// What the payloads of a log are.
    public enum Content: Sendable {
        case files, containers

        /// By a legacy header's content flag (1 files, 2 containers), nil for any other flag.
        public init?(contentFlag: UInt16) {
            switch contentFlag {
            case 1: self = .files
            case 2: self = .containers
            default: return nil
            }
        }
    }

    /// Applies every valid record of `log` from the first record to the first damaged one.
    public mutating func replay(_ log: LegacyLogFile, as content: Content) {
        let result = log.withBytes { bytes in
            LegacyScanner(bytes: bytes).forEachRecord { record in
                apply(record, as: content, path: log.path)
                return true
            }
        }
        if let failure = result.failure {
            problems.append(Problem(path: log.path, offset: failure.offset, reason: failure.reason.description))
        }
    }

    /// Applies one record: an update (decoded) replaces the id's object, a delete removes it.
    public mutating func apply(_ record: LegacyRecordView, as content: Content, path: String = "") {
        switch record.type {
        case .update:
            do throws(LegacyMetadataError) {
                switch content {
                case .files:
                    let f = try LegacyFileMD.decode(record.payload)
                    files[f.id] = f
                case .containers:
                    let c = try LegacyContainerMD.decode(record.payload)
                    containers[c.id] = c
                }
            } catch {
                problems.append(Problem(path: path, offset: Int(record.offset.rawValue), reason: error.description))
            }
        case .delete:
            guard let id = record.id else {
                problems.append(Problem(path: path, offset: Int(record.offset.rawValue), reason: "delete record shorter than an id"))
                return
            }
            switch content {
            case .files: files.removeValue(forKey: id)
            case .containers: containers.removeValue(forKey: id)
            }
        default:
            break
        }
    }
}
