import Changelog
import Namespace
import Replication

/// Why the server could not start (or a role could not be written). Failures of the layers below
/// keep their typed error (`NamespaceError`, `ReplicationError`, `IdentityMapError`) as the cause.
public enum MGMError: Error, Sendable, CustomStringConvertible {
    /// Another process (a second server, or a writer tool) holds the data directory's changelogs.
    case dataDirectoryLocked(String)
    /// Replication could not start (configuration, secret file, sync listener).
    case replication(ReplicationError)
    /// The `--idmap` file at `path` does not parse.
    case identityMap(path: String, IdentityMapError)
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
        case .replication(let error):
            return "replication: \(error)"
        case .identityMap(let path, let error): return "--idmap \(path): \(error)"
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
