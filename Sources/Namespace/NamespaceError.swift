import Changelog
import Glibc

/// An error of a namespace operation. Each maps to a POSIX errno (`errno`), so a front end
/// (FUSE, XRootD) can answer with the code its protocol expects.
public enum NamespaceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A path component does not exist (ENOENT).
    case notFound(String)
    /// The target name is taken (EEXIST).
    case exists(String)
    /// A path component that must be a directory is a file (ENOTDIR).
    case notADirectory(String)
    /// A directory where a file was expected (EISDIR).
    case isADirectory(String)
    /// A directory to remove still has entries (ENOTEMPTY).
    case notEmpty(String)
    /// A malformed name or path, or an impossible move (EINVAL).
    case invalidArgument(String)
    /// A name longer than 255 bytes or a path longer than 4096 bytes (ENAMETOOLONG).
    case nameTooLong(String)
    /// The namespace is open read-only (EROFS).
    case readOnly
    /// The namespace is not booted (or was closed) (EIO).
    case notBooted(BootState)
    /// A changelog operation failed; nothing changed in memory (EIO, or the errno of the failing call).
    case log(ChangelogError)
    /// A checksummed record of a log does not decode (EIO). Boot refuses to guess.
    case badRecord(log: String, position: LogPosition, reason: CodecError)
    /// Exclusive background work is already running, e.g. a compaction (EBUSY).
    case busy(String)
    /// Boot refused: one log of the pair is missing or empty while the other holds records, so
    /// booting would move every entry whose parent is lost to /lost+found (EIO). `allowMissingLog`
    /// boots anyway.
    case incompleteLogPair(LogPairCheck.Finding)

    /// The POSIX errno this error maps to.
    public var errno: Int32 {
        switch self {
        case .notFound: ENOENT
        case .exists: EEXIST
        case .notADirectory: ENOTDIR
        case .isADirectory: EISDIR
        case .notEmpty: ENOTEMPTY
        case .invalidArgument: EINVAL
        case .nameTooLong: ENAMETOOLONG
        case .readOnly: EROFS
        case .notBooted: EIO
        case .log(let e): e.errno ?? EIO
        case .badRecord: EIO
        case .busy: EBUSY
        case .incompleteLogPair: EIO
        }
    }

    public var description: String {
        switch self {
        case .notFound(let p): "\(p): no such file or directory"
        case .exists(let p): "\(p): file exists"
        case .notADirectory(let p): "\(p): not a directory"
        case .isADirectory(let p): "\(p): is a directory"
        case .notEmpty(let p): "\(p): directory not empty"
        case .invalidArgument(let why): "invalid argument: \(why)"
        case .nameTooLong(let p): "\(p): name too long"
        case .readOnly: "namespace is read-only"
        case .notBooted(let s): "namespace is not booted (state \(s))"
        case .log(let e): "changelog: \(e)"
        case .badRecord(let log, let position, let reason): "\(log) at \(position): undecodable record: \(reason)"
        case .busy(let what): "busy: \(what)"
        case .incompleteLogPair(let finding): finding.description
        }
    }

    public static func == (a: NamespaceError, b: NamespaceError) -> Bool {
        a.description == b.description
    }
}
