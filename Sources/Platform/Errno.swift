import Glibc

/// errno values this project names in messages, and by name where code compares or reports one
/// (never as a literal number).
public enum Errno {
    public static let alreadyExists: Int32 = EEXIST
    public static let fileTooLarge: Int32 = EFBIG
    public static let noSpace: Int32 = ENOSPC

    public static func name(_ e: Int32) -> String {
        switch e {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case EIO: "EIO"
        case EBADF: "EBADF"
        case EAGAIN: "EAGAIN"
        case EACCES: "EACCES"
        case EEXIST: "EEXIST"
        case ENOTDIR: "ENOTDIR"
        case EISDIR: "EISDIR"
        case EINVAL: "EINVAL"
        case EFBIG: "EFBIG"
        case ENOSPC: "ENOSPC"
        case EROFS: "EROFS"
        case ENAMETOOLONG: "ENAMETOOLONG"
        case ENOTEMPTY: "ENOTEMPTY"
        case EDQUOT: "EDQUOT"
        default: "errno \(e)"
        }
    }
}
