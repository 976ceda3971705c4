import XRootD

extension FuzzBodies {
    /// The server's request path on arbitrary bytes: the frame decoder (handshake first, fed in
    /// two pieces to exercise partial input) and the typed request decoder; and the client's
    /// response path on the same bytes.
    public static func xrootdRequests(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        var decoder = RequestFrameDecoder(start: bytes.first.map { $0 & 1 == 0 } ?? true ? .handshake : .requests,
                                          maximumPayload: 1 << 16)
        decoder.append(bytes.prefix(bytes.count / 2))
        decoder.append(bytes.dropFirst(bytes.count / 2))
        var frames = 0
        while frames < 1000, let message = try? decoder.next() {
            frames += 1
            if case .request(let frame) = message { _ = try? XRootDRequest(frame: frame) }
        }
        // As the server uses it: a small limit raised after the first message (a login), and a
        // partial frame discarded, the rest of its payload skipped as it arrives.
        var limited = RequestFrameDecoder(start: .requests, maximumPayload: 64)
        limited.append(bytes.prefix(bytes.count / 3))
        _ = try? limited.next()
        limited.maximumPayload = 1 << 16
        _ = limited.pendingHeader
        _ = limited.discardPendingFrame()
        limited.append(bytes.dropFirst(bytes.count / 3))
        var limitedFrames = 0
        while limitedFrames < 1000, let message = try? limited.next() {
            limitedFrames += 1
            if case .request(let frame) = message { _ = try? XRootDRequest(frame: frame) }
        }
        var responses = ResponseFrameDecoder(maximumBody: 1 << 16)
        responses.append(bytes)
        while frames < 2000, let frame = try? responses.next() {
            frames += 1
            _ = try? XRootDResponse(frame: frame)
        }
    }
}
