import Glibc

// errno <-> kXR error code, following XProtocol::mapError / XProtocol::toErrno, with two additions
// the stock mapping lacks (ENOTEMPTY and ENOTDIR both go out as kXR_FSError there; see `errno(for:message:)`).

extension XRootDErrorCode {
    /// The code a server answers for a failed system call with `errno` (XProtocol::mapError).
    /// ENOTEMPTY and ENOTDIR map to `kXR_FSError` as in the stock server; the message carries the detail.
    public init(errno code: Int32) {
        switch abs(code) {
        case ENOENT: self = .notFound
        case EINVAL: self = .argInvalid
        case EPERM, EACCES: self = .notAuthorized
        case EIO: self = .ioError
        case ENOMEM, ENOBUFS: self = .noMemory
        case ENOSPC: self = .noSpace
        case ENAMETOOLONG: self = .argTooLong
        case ENETUNREACH: self = .noServer
        case ENOTBLK: self = .notFile
        case ENOTSUP: self = .unsupported
        case EISDIR: self = .isDirectory
        case EEXIST: self = .itExists
        case EBADRQC: self = .invalidRequest
        case ETXTBSY: self = .inProgress
        case ENODEV: self = .fsError
        case EFAULT: self = .serverError
        case EDOM: self = .checksumError
        case EDQUOT: self = .overQuota
        case EILSEQ: self = .signatureError
        case ERANGE: self = .decryptError
        case EUSERS: self = .overloaded
        case EROFS: self = .fsReadOnly
        case ENODATA: self = .attributeNotFound
        case EPROTOTYPE: self = .tlsRequired
        case EADDRNOTAVAIL: self = .noReplicas
        case EBADE: self = .authFailed
        case EIDRM: self = .impossible
        case ENOTTY: self = .conflict
        case ETOOMANYREFS: self = .tooManyErrors
        case ETIMEDOUT: self = .requestTimedOut
        case EBADF: self = .fileNotOpen
        case ECANCELED: self = .cancelled
        default: self = .fsError
        }
    }

    /// The errno a client reports for this code (XProtocol::toErrno).
    public var errno: Int32 {
        switch self {
        case .argInvalid, .argMissing, .badPayload: return EINVAL
        case .argTooLong: return ENAMETOOLONG
        case .fileLocked: return EDEADLK
        case .fileNotOpen: return EBADF
        case .fsError: return ENODEV
        case .invalidRequest: return EBADRQC
        case .ioError: return EIO
        case .noMemory: return ENOMEM
        case .noSpace: return ENOSPC
        case .notAuthorized: return EACCES
        case .notFound: return ENOENT
        case .serverError: return EFAULT
        case .unsupported: return ENOTSUP
        case .noServer: return EHOSTUNREACH
        case .notFile: return ENOTBLK
        case .isDirectory: return EISDIR
        case .cancelled: return ECANCELED
        case .itExists: return EEXIST
        case .checksumError: return EDOM
        case .inProgress: return EINPROGRESS
        case .overQuota: return EDQUOT
        case .signatureError: return EILSEQ
        case .decryptError: return ERANGE
        case .overloaded: return EUSERS
        case .fsReadOnly: return EROFS
        case .attributeNotFound: return ENODATA
        case .tlsRequired: return EPROTOTYPE
        case .noReplicas: return EADDRNOTAVAIL
        case .authFailed: return EBADE
        case .impossible: return EIDRM
        case .conflict: return ENOTTY
        case .tooManyErrors: return ETOOMANYREFS
        case .requestTimedOut: return ETIMEDOUT
        default: return ENOMSG
        }
    }

    /// The errno behind an error response. The stock server sends errors it has no kXR code for
    /// (ENOTEMPTY, ENOTDIR, ...) as `kXR_FSError` with the `strerror` text at the end of the message
    /// ("Unable to remove /a; directory not empty"), so for `kXR_FSError` the message is consulted first.
    public static func errno(for code: XRootDErrorCode, message: String) -> Int32 {
        if code == .fsError {
            let lowered = message.lowercased()
            for candidate in messageErrnos where lowered.hasSuffix(errnoText(candidate)) {
                return candidate
            }
        }
        return code.errno
    }

    /// Errnos recognised from a `kXR_FSError` message, most specific first.
    static let messageErrnos: [Int32] = [ENOTEMPTY, ENOTDIR, EXDEV, EMLINK, ELOOP, EBUSY]

    /// `strerror` in lower case, as XRootD appends it to messages.
    static func errnoText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text).lowercased()
    }
}
