import Changelog
import Namespace

/// Why the server could not start (or a role could not be written).
public enum MGMError: Error, Sendable, CustomStringConvertible {
    /// Another process (a second server, or a writer tool) holds the data directory's changelogs.
    case dataDirectoryLocked(String)
    /// Replication could not start (configuration, secret file, sync listener).
    case replication(String)
    case namespace(NamespaceError)
    case bind(String)
    case io(String)
    /// Client security (`--auth`, `--keytab`, `--krb5-keytab`, `--krb5-principal`, `--tls-cert`, `--tls-key`)
    /// cannot be set up as configured.
    case security(String)

    public var description: String {
        switch self {
        case .dataDirectoryLocked(let directory):
            return "data directory \(directory) is in use: its changelogs are locked by another process "
                + "(a second beryl-mgm on the same directory is refused)"
        case .replication(let what):
            return "replication: \(what)"
        case .namespace(let error): return "namespace: \(error)"
        case .bind(let what): return "cannot listen: \(what)"
        case .io(let what): return what
        case .security(let what): return "security: \(what)"
        }
    }

    /// Classifies a boot failure (the changelogs' flock turns into `dataDirectoryLocked`).
    static func boot(_ error: NamespaceError, directory: String) -> MGMError {
        if case .log(let log) = error, case .locked = log.code { return .dataDirectoryLocked(directory) }
        return .namespace(error)
    }
}
