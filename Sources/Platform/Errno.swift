import Glibc

/// errno values this project names in messages, and by name where code compares or reports one
/// (never as a literal number).
public enum Errno {
    public static let alreadyExists: Int32 = EEXIST
    public static let fileTooLarge: Int32 = EFBIG
    public static let noSpace: Int32 = ENOSPC

    public static func name(_ e: Int32) -> String {
        switch e {
        case 1: "EPERM"
        case 2: "ENOENT"
        case 5: "EIO"
        case 9: "EBADF"
        case 11: "EAGAIN"
        case 13: "EACCES"
        case 17: "EEXIST"
        case 20: "ENOTDIR"
        case 21: "EISDIR"
        case 22: "EINVAL"
        case 27: "EFBIG"
        case 28: "ENOSPC"
        case 30: "EROFS"
        case 36: "ENAMETOOLONG"
        case 39: "ENOTEMPTY"
        case 122: "EDQUOT"
        default: "errno \(e)"
        }
    }
}
