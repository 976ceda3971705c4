import Testing
@testable import XRootD

/// The request decoder's limits as the server uses them: a small limit before login raised after it,
/// and a partial frame discarded without buffering the rest of its payload.
@Suite struct FrameDiscardTests {
    private func frame(_ stream: UInt16, payload: [UInt8]) -> [UInt8] {
        RequestHeader(streamID: StreamID(stream), requestCode: RequestID.mkdir.rawValue,
                      parameters: [UInt8](repeating: 0, count: 16), payloadLength: Int32(payload.count)).encode() + payload
    }

    @Test func aFrameOverThePreLoginLimitFailsOnItsHeaderAlone() {
        var decoder = RequestFrameDecoder(start: .requests, maximumPayload: 8192)
        decoder.append(frame(1, payload: [UInt8](repeating: 0x2F, count: 100)))
        guard case .request(let small)? = try? decoder.next() else {
            Issue.record("a 100-byte frame was not decoded")
            return
        }
        #expect(small.payload.count == 100)
        // Raised (as at login): a 64 KiB frame is accepted.
        decoder.maximumPayload = 1 << 20
        decoder.append(frame(2, payload: [UInt8](repeating: 0x41, count: 65536)))
        guard case .request(let big)? = try? decoder.next() else {
            Issue.record("a 64 KiB frame was not decoded after the limit was raised")
            return
        }
        #expect(big.payload.count == 65536)
        // Lowered: only the 24-byte header is needed to refuse.
        var fresh = RequestFrameDecoder(start: .requests, maximumPayload: 8192)
        fresh.append(Array(frame(3, payload: [UInt8](repeating: 0, count: 16 << 20)).prefix(RequestHeader.length)))
        #expect(throws: XRootDError.frameTooLarge(length: 16 << 20, limit: 8192)) { try fresh.next() }
    }

    @Test func aDiscardedPartialFrameIsSkippedAsItArrives() throws {
        var decoder = RequestFrameDecoder(start: .requests, maximumPayload: 1 << 20)
        let big = frame(7, payload: [UInt8](repeating: 0x41, count: 300_000))
        let next = frame(8, payload: Array("/after".utf8))
        decoder.append(big.prefix(100_000))
        #expect(try decoder.next() == nil)
        #expect(decoder.pendingHeader?.streamID == StreamID(7))
        let discarded = decoder.discardPendingFrame()
        #expect(discarded?.payloadLength == 300_000)
        #expect(decoder.bufferedByteCount == 0)
        #expect(decoder.pendingHeader == nil)
        // The rest of the discarded frame, in pieces, then a whole frame in the same piece as its end.
        decoder.append(big[100_000..<250_000])
        #expect(decoder.bufferedByteCount == 0)
        decoder.append(Array(big[250_000...]) + next)
        guard case .request(let after)? = try decoder.next() else {
            Issue.record("the frame after the discarded one was not decoded")
            return
        }
        #expect(after.header.streamID == StreamID(8))
        #expect(after.payload == Array("/after".utf8))
        #expect(decoder.bufferedByteCount == 0)
        // Nothing pending, nothing to discard.
        #expect(decoder.discardPendingFrame() == nil)
    }
}
