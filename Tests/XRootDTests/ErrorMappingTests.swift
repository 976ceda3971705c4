import Glibc
import Testing
import XRootD

@Suite struct ErrorMappingTests {
    @Test func errnoToCodeAndBack() {
        let pairs: [(Int32, XRootDErrorCode)] = [
            (ENOENT, .notFound), (EEXIST, .itExists), (EISDIR, .isDirectory), (EINVAL, .argInvalid),
            (ENAMETOOLONG, .argTooLong), (EROFS, .fsReadOnly), (ENOSPC, .noSpace), (EIO, .ioError),
            (ENOTSUP, .unsupported), (EDQUOT, .overQuota), (EBADF, .fileNotOpen), (ETIMEDOUT, .requestTimedOut),
        ]
        for (code, kxr) in pairs {
            #expect(XRootDErrorCode(errno: code) == kxr)
            #expect(XRootDErrorCode(errno: -code) == kxr)
            #expect(kxr.errno == code)
        }
        #expect(XRootDErrorCode(errno: EACCES) == .notAuthorized)
        #expect(XRootDErrorCode(errno: EPERM) == .notAuthorized)
        #expect(XRootDErrorCode.notAuthorized.errno == EACCES)
        // No kXR code of their own: kXR_FSError, as the stock server sends them.
        #expect(XRootDErrorCode(errno: ENOTEMPTY) == .fsError)
        #expect(XRootDErrorCode(errno: ENOTDIR) == .fsError)
        #expect(XRootDErrorCode(rawValue: 4999).errno == ENOMSG)
        #expect(XRootDErrorCode.notFound.description == "kXR_NotFound")
    }

    @Test func fsErrorMessagesCarryTheErrno() {
        #expect(ServerError(code: .fsError, message: "Unable to remove /a; directory not empty").errno == ENOTEMPTY)
        #expect(ServerError(code: .fsError, message: "Unable to remove /a/f1; not a directory").errno == ENOTDIR)
        #expect(ServerError(code: .fsError, message: "something else").errno == ENODEV)
        #expect(ServerError(code: .notFound, message: "directory not empty").errno == ENOENT)
    }
}
