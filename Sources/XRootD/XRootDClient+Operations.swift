// The namespace operations of `XRootDClient`, one request each.

/// A file opened with `XRootDClient.open`; its handle is valid at `endpoint` only.
public struct RemoteFile: Hashable, Sendable {
    public var path: String
    public var handle: FileHandle
    public var endpoint: Endpoint
    public var stat: StatInfo?
}

extension XRootDClient {
    public func ping() throws(XRootDError) { _ = try send(.ping) }

    public func stat(_ path: String) throws(XRootDError) -> StatInfo {
        try StatInfo(body: send(.stat(StatRequest(path: path))).body)
    }

    /// The entries of a directory; with `.withStat` each carries its stat.
    public func dirlist(_ path: String, options: DirlistOptions = []) throws(XRootDError) -> DirectoryListing {
        try DirectoryListing(body: send(.dirlist(DirlistRequest(path: path, options: options))).body, options: options)
    }

    public func mkdir(_ path: String, options: MkdirOptions = [], mode: FileMode = 0o755) throws(XRootDError) {
        _ = try send(.mkdir(MkdirRequest(path: path, options: options, mode: mode)))
    }

    public func rmdir(_ path: String) throws(XRootDError) { _ = try send(.rmdir(path: path)) }

    public func rm(_ path: String) throws(XRootDError) { _ = try send(.rm(path: path)) }

    public func mv(_ source: String, to destination: String) throws(XRootDError) {
        _ = try send(.mv(MoveRequest(source: source, destination: destination)))
    }

    public func chmod(_ path: String, mode: FileMode) throws(XRootDError) {
        _ = try send(.chmod(ChmodRequest(path: path, mode: mode)))
    }

    /// A raw `kXR_query` answer.
    public func query(_ kind: QueryKind, arguments: String) throws(XRootDError) -> [UInt8] {
        try send(.query(QueryRequest(kind: kind, arguments: arguments))).body
    }

    /// `kXR_Qconfig`: one value per key, in order (the stock server echoes unknown keys back as their value).
    public func queryConfig(_ keys: [String]) throws(XRootDError) -> [String] {
        let text = try WireText.decode(query(.config, arguments: keys.joined(separator: " "))[...],
                                       context: "kXR_Qconfig answer")
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// `kXR_Qspace`: the `key=value&...` answer as a dictionary (`oss.space`, `oss.free`, ...).
    public func querySpace(_ path: String) throws(XRootDError) -> [String: String] {
        let text = try WireText.decode(query(.space, arguments: path)[...], context: "kXR_Qspace answer")
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            values[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return values
    }

    public func open(_ path: String, options: OpenOptions = .read, mode: FileMode = 0o644) throws(XRootDError)
        -> RemoteFile
    {
        let answer = try send(.open(OpenRequest(path: path, options: options, mode: mode)))
        let response = try OpenResponse(body: answer.body)
        return RemoteFile(path: path, handle: response.handle, endpoint: answer.endpoint, stat: response.stat)
    }

    /// Up to `length` bytes at `offset`; fewer at the end of the file.
    public func read(_ file: RemoteFile, offset: Int64, length: Int) throws(XRootDError) -> [UInt8] {
        let request = ReadRequest(handle: file.handle, offset: offset, length: Int32(clamping: length))
        return try send(.read(request), to: file.endpoint).body
    }

    public func close(_ file: RemoteFile) throws(XRootDError) { _ = try send(.close(file.handle), to: file.endpoint) }

    /// Opens `path` for reading, reads it whole (at most `maximumLength` bytes) and closes it.
    /// This is how admin commands are run: `readFile("/proc/admin/?mgm.cmd=ns")`.
    public func readFile(_ path: String, maximumLength: Int = 16 * 1024 * 1024) throws(XRootDError) -> [UInt8] {
        let file = try open(path)
        var data: [UInt8] = []
        do throws(XRootDError) {
            while data.count < maximumLength {
                let chunk = try read(file, offset: Int64(data.count), length: min(1024 * 1024, maximumLength - data.count))
                if chunk.isEmpty { break }
                data += chunk
            }
        } catch {
            try? close(file)
            throw error
        }
        try close(file)
        return data
    }

    /// `kXR_endsess` for this login session, then disconnects. The stock server answers ending the
    /// session in use by closing the connection without a response: that counts as success.
    public func endSession() throws(XRootDError) {
        let session = sessionID
        defer { disconnect() }
        do throws(XRootDError) {
            _ = try send(.endsess(sessionID: session))
        } catch .connectionClosed {
            return
        }
    }
}
