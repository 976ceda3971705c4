import Glibc
import Namespace
import Synchronization
import XRootD

/// Requests a metadata server answers without data: the data requests (refused with one message that
/// names the request; a refused upload removes the empty entry its open created), `kXR_prepare` and
/// `kXR_set` as the stock server answers them without plugins.
extension RequestExecutor {
    /// The one answer to a data request: `kXR_Unsupported`, "Unable to <request> <path>; this MGM stores
    /// metadata only: file data cannot be written or read" and, when the refused upload's entry was
    /// removed, "(the entry this upload created was removed)".
    static func metadataOnly(_ id: RequestID, path: String, removed: Bool) -> ServerError {
        ServerError(code: .unsupported, message: "Unable to \(id.name) \(path); this MGM stores metadata only: file data "
                    + "cannot be written or read" + (removed ? " (the entry this upload created was removed)" : ""))
    }

    /// The first data sent on a handle whose open created the file: refused, and the entry removed when
    /// it is still that file, still empty, at that path (the client asked for a file with data, which
    /// this server cannot hold; an open that sends no data keeps its empty file).
    func refuseUpload(_ id: RequestID, path: String, created: FileID) -> Execution {
        var removed = false
        if let file = namespace.file(created), file.size == 0, (try? namespace.fileID(at: path)) == created {
            do throws(NamespaceError) {
                try namespace.removeFile(created)
                removed = true
                logger.info("removed the empty entry of a refused upload", metadata: ["path": "\(path)", "request": "\(id.name)"])
            } catch {
                logger.warning("could not remove the empty entry of a refused upload: \(error)", metadata: ["path": "\(path)"])
            }
        }
        return .responses([.error(Self.metadataOnly(id, path: path, removed: removed))])
    }

    /// `kXR_truncate` by path: a directory is `kXR_isDirectory`, a missing path `kXR_NotFound`, a file
    /// the metadata-only answer.
    func truncate(_ r: DataRequest) throws(NamespaceError) -> Execution {
        let path = Self.plain(r.path)
        if case .container = try namespace.stat(path) { throw .isADirectory(path) }
        return .responses([.error(Self.metadataOnly(r.id, path: path, removed: false))])
    }

    /// `kXR_prepare` as the stock server without a prepare plugin: a staging request answers a request
    /// id, an eviction or a plain prepare `kXR_ok`, a cancel names an unknown request; nothing is staged
    /// (this server holds no data to bring online).
    func prepare(_ r: PrepareRequest) -> Execution {
        guard !r.items.isEmpty else { return .error(.argMissing, "Required argument not present") }
        if r.options & PrepareRequest.cancel != 0 {
            return .error(.argInvalid, "Prepare requestid owned by an unknown server")
        }
        guard r.options & PrepareRequest.stage != 0 else { return .ok() }
        return .ok(Array(PrepareIDs.next().utf8))
    }

    /// `kXR_set`: `appid ...` and `monitor ...` are accepted (and ignored, as the stock server without
    /// monitoring); anything else is `kXR_ArgInvalid`, "invalid set parameter".
    func set(_ r: SetRequest) -> Execution {
        let word = r.text.prefix { $0 != " " }
        guard r.modifier == 0, word == "appid" || word == "monitor" else {
            return .error(.argInvalid, "invalid set parameter")
        }
        return .ok()
    }
}

/// Request ids of staging prepares: the process id and start time in hex, then a counter, in the
/// stock server's three-part shape (`<origin>:<time>.<pid>:<n>`).
enum PrepareIDs {
    private static let origin = String(UInt32(truncatingIfNeeded: time(nil)), radix: 16) + "." + String(getpid(), radix: 16)
    private static let counter = Atomic<Int>(0)

    static func next() -> String {
        "beryl:\(origin):\(counter.add(1, ordering: .relaxed).newValue)"
    }
}
