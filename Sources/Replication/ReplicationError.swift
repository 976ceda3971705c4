import Changelog
import Glibc
import Namespace
import Platform

/// Everything that can go wrong in the sync protocol: the secret file, bytes that break the
/// protocol, authentication, the transport, and refusals by the peer. A failure of the layers below
/// (the namespace, a changelog, a system call; a thread's start) keeps that typed error as its `Cause`.
public enum ReplicationError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The typed error underneath a replication failure, kept so callers can tell corruption from a
    /// full disk, or read the errno, without parsing text.
    public enum Cause: Error, Sendable, Equatable, CustomStringConvertible {
        case namespace(NamespaceError)
        case log(ChangelogError)
        case system(SystemError)

        public var description: String {
            switch self {
            case .namespace(let error): return "\(error)"
            case .log(let error): return "\(error)"
            case .system(let error): return "\(error)"
            }
        }

        /// The errno of the system call that failed, if one did.
        public var errno: Int32? {
            switch self {
            case .namespace(.log(let error)), .log(let error): return error.errno
            case .system(let error): return error.errno
            case .namespace: return nil
            }
        }
    }

    /// The shared secret file at `path` cannot be used (missing, wrong type or permissions, empty, too long).
    case secretFile(path: String, reason: String)
    /// Bytes or a message sequence that the protocol does not allow; the reason names the field and length.
    case protocolViolation(String)
    /// The peer's proof does not match the shared secret (or it could not prove anything).
    case authenticationFailed(String)
    /// Connecting, sending or receiving failed, or the peer closed the connection (with the errno text).
    case connection(String)
    /// Nothing, or not enough, arrived in the time allowed.
    case timedOut(String)
    /// The peer refused: a `refused` message with its reason.
    case refused(String)
    /// The peer's epoch shows that this side (or the peer) is stale: a newer master exists.
    case epochFenced(String)
    /// A local file operation failed (role tag, replica logs).
    case io(String)
    /// A local step failed (`what` says which: role tag, replica logs, adopting a log) because
    /// of `cause`; the text is `<what>: <cause>` (the cause alone when `what` is empty).
    case failed(String, cause: Cause)
    /// A system call failed with `errno` (a named value such as `ENOSPC`, never a number) while doing
    /// `what`; the text is `<what>: <strerror(errno)>`.
    case systemCall(String, errno: Int32)
    /// Bytes from the master that this replica refused (they do not verify, or applying them failed)
    /// because of `cause`: a protocol violation, `sync protocol violation: <what>: <cause>`.
    case rejected(String, cause: Cause)
    /// The pair's configuration is inconsistent (`--listen` is neither master).
    case configuration(String)
    /// The process could not start a thread the operation needs; `consequence` says what that ended.
    case resources(ThreadStartError, consequence: String? = nil)

    public var description: String {
        switch self {
        case .secretFile(let path, let reason): return "sync secret \(path): \(reason)"
        case .protocolViolation(let reason): return "sync protocol violation: \(reason)"
        case .authenticationFailed(let reason): return "sync authentication failed: \(reason)"
        case .connection(let reason): return "sync connection: \(reason)"
        case .timedOut(let what): return "sync timed out: \(what)"
        case .refused(let reason): return "sync refused by peer: \(reason)"
        case .epochFenced(let reason): return "sync epoch fenced: \(reason)"
        case .io(let what): return what
        case .failed(let what, let cause): return what.isEmpty ? "\(cause)" : "\(what): \(cause)"
        case .systemCall(let what, let errno): return "\(what): \(String(cString: strerror(errno)))"
        case .rejected(let what, let cause): return "sync protocol violation: \(what): \(cause)"
        case .configuration(let what): return "replication configuration: \(what)"
        case .resources(let error, let consequence): return "\(error)" + (consequence.map { "; \($0)" } ?? "")
        }
    }
}
