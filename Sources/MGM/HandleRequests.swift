import Namespace
import XRootD

/// Requests that name an open file of the connection (`kXR_sync`, the data requests, `kXR_fattr` on a
/// handle): resolved against the connection's open files into an immediate answer, a request on the
/// file's path for the executor, or work for the thread pool (removing the entry of a refused upload).
enum HandleResolution {
    case answer(ResponseBody)
    case execute(XRootDRequest)
    case work(@Sendable () -> Execution)

    /// Nil for requests that do not name a handle (they go to the executor as they are).
    static func resolve(_ request: XRootDRequest, files: [UInt32: OpenedFile], executor: RequestExecutor,
                        client: ClientIdentity) -> HandleResolution? {
        switch request {
        case .sync(let handle):
            // Nothing is buffered here: every open handle is in sync, read-only ones too (as the stock server).
            return .answer(files[handle.value] == nil ? notOpen(handle) : .ok([]))
        case .data(let r) where r.handle != .zero || r.path.isEmpty:
            guard let file = files[r.handle.value] else { return .answer(notOpen(r.handle)) }
            guard case .metadata(let path, _, let writable, let created) = file else {
                return .answer(.error(ServerError(code: .notAuthorized, message: "admin paths are read-only")))
            }
            if r.isWrite, !writable {
                // As the stock server for a write on a handle opened for reading.
                return .answer(.error(ServerError(code: .fileNotOpen, message: "Unable to write \(path); bad file descriptor")))
            }
            guard r.isWrite, let created else {
                return .answer(.error(RequestExecutor.metadataOnly(r.id, path: path, removed: false)))
            }
            return .work { executor.refuseUpload(r.id, path: path, created: created) }
        case .fattr(let r) where r.path.isEmpty && r.handle != .zero:
            guard let file = files[r.handle.value] else { return .answer(notOpen(r.handle)) }
            guard case .metadata(let path, _, let writable, _) = file else {
                return .answer(.error(ServerError(code: .argInvalid, message: "fattr: admin paths have no attributes")))
            }
            if !writable, r.kind == .set || r.kind == .delete {
                return .answer(.error(ServerError(code: .invalidRequest, message: "fattr request modifies a file open for reading")))
            }
            var onPath = r
            onPath.path = path
            return .execute(.fattr(onPath))
        default:
            return nil
        }
    }

    static func notOpen(_ handle: FileHandle) -> ResponseBody {
        .error(ServerError(code: .fileNotOpen, message: "file handle \(handle.value) is not open"))
    }
}
