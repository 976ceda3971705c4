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
        var responses = ResponseFrameDecoder(maximumBody: 1 << 16)
        responses.append(bytes)
        while frames < 2000, let frame = try? responses.next() {
            frames += 1
            _ = try? XRootDResponse(frame: frame)
        }
    }
}
