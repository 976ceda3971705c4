import BerylTestSupport
import Testing
@testable import XRootD

/// Decoders must never trap: every input ends in a value, nil (needs more bytes) or a typed error.
@Suite struct DecoderRobustnessTests {
    @Test func randomRequestStreams() {
        var random = SeededRandom(seed: 1)
        for round in 0..<2000 {
            var decoder = RequestFrameDecoder(start: round % 2 == 0 ? .handshake : .requests, maximumPayload: 4096)
            decoder.append(random.bytes(Int.random(in: 0...300, using: &random)))
            for _ in 0..<8 {
                guard case .request(let frame)? = try? decoder.next() else { break }
                _ = try? XRootDRequest(frame: frame)
            }
        }
    }

    @Test func randomBodiesForEveryRequestCode() {
        var random = SeededRandom(seed: 2)
        for id in RequestID.allCases {
            for _ in 0..<300 {
                let payload = random.bytes(Int.random(in: 0...40, using: &random))
                let header = RequestHeader(streamID: StreamID(1), requestCode: id.rawValue,
                                           parameters: random.bytes(16), payloadLength: Int32(payload.count))
                _ = try? XRootDRequest(frame: RequestFrame(header: header, payload: payload))
                let short = RequestHeader(streamID: StreamID(1), requestCode: id.rawValue,
                                          parameters: random.bytes(Int.random(in: 0...15, using: &random)),
                                          payloadLength: 0)
                #expect(throws: XRootDError.self) { try XRootDRequest(frame: RequestFrame(header: short, payload: [])) }
            }
        }
        let unknown = RequestHeader(streamID: StreamID(1), requestCode: 3999, parameters: [UInt8](repeating: 0, count: 16),
                                    payloadLength: 0)
        #expect(throws: XRootDError.unsupportedRequest(3999)) {
            try XRootDRequest(frame: RequestFrame(header: unknown, payload: []))
        }
    }

    @Test func randomResponses() {
        var random = SeededRandom(seed: 3)
        for round in 0..<3000 {
            var decoder = ResponseFrameDecoder(maximumBody: 4096)
            var bytes = random.bytes(Int.random(in: 0...200, using: &random))
            if bytes.count >= 8, round % 2 == 0 {  // plausible headers: a known status and a fitting length
                let status = ResponseStatus.allCases.randomElement(using: &random)!.rawValue
                bytes[2] = UInt8(status >> 8); bytes[3] = UInt8(status & 0xFF)
                bytes[4] = 0; bytes[5] = 0; bytes[6] = 0; bytes[7] = UInt8(bytes.count - 8)
            }
            decoder.append(bytes)
            while let frame = try? decoder.next() {
                if case .attention(let attention)? = (try? XRootDResponse(frame: frame))?.body {
                    _ = try? attention.asynchronousResponse()
                }
                _ = try? StatInfo(body: frame.body)
                _ = try? DirectoryListing(body: frame.body, options: .withStat)
                _ = try? DirectoryListing(body: frame.body, options: [])
                _ = try? OpenResponse(body: frame.body)
                _ = try? ProtocolResponse(body: frame.body)
                _ = try? LoginResponse(body: frame.body)
            }
        }
    }

    @Test func everyTruncationNeedsMoreBytes() throws {
        let requests = CodecRoundTripTests.requests
        var stream = ClientHandshake().encode()
        for (index, request) in requests.enumerated() { stream += request.encode(streamID: StreamID(UInt16(index))) }
        for cut in 0..<stream.count {
            var decoder = RequestFrameDecoder()
            decoder.append(stream[..<cut])
            var decoded = 0
            while let message = try decoder.next() {
                if case .request(let frame) = message { _ = try XRootDRequest(frame: frame) }
                decoded += 1
            }
            #expect(decoded <= requests.count)
        }
        // Byte by byte, the whole stream decodes to the handshake and every request.
        var decoder = RequestFrameDecoder()
        var decoded: [XRootDRequest] = []
        for byte in stream {
            decoder.append([byte])
            while let message = try decoder.next() {
                if case .request(let frame) = message { decoded.append(try XRootDRequest(frame: frame)) }
            }
        }
        #expect(decoded == requests)
        #expect(decoder.bufferedByteCount == 0)

        let response = XRootDResponse.error(StreamID(1), .itExists, "Unable to mkdir /a; file exists").encode()
        for cut in 0..<response.count {
            var responses = ResponseFrameDecoder()
            responses.append(response[..<cut])
            #expect(try responses.next() == nil)
        }
    }

    @Test func oversizedAndNegativeLengthsAreRefused() {
        var header = RequestHeader(streamID: StreamID(1), requestCode: RequestID.stat.rawValue,
                                   parameters: [UInt8](repeating: 0, count: 16), payloadLength: 16 * 1024 * 1024 + 1)
        var decoder = RequestFrameDecoder(start: .requests)
        decoder.append(header.encode())
        #expect(throws: XRootDError.frameTooLarge(length: 16 * 1024 * 1024 + 1, limit: 16 * 1024 * 1024)) {
            try decoder.next()
        }
        // The decoder stays failed: the connection is to be dropped.
        #expect(throws: XRootDError.self) { try decoder.next() }
        header.payloadLength = -1
        var negative = RequestFrameDecoder(start: .requests)
        negative.append(header.encode())
        #expect(throws: XRootDError.frameTooLarge(length: -1, limit: 16 * 1024 * 1024)) { try negative.next() }

        var responses = ResponseFrameDecoder(maximumBody: 1000)
        responses.append([0, 1, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: XRootDError.frameTooLarge(length: Int64(Int32.max), limit: 1000)) { try responses.next() }
    }

    @Test func badHandshakeIsMalformed() {
        var decoder = RequestFrameDecoder()
        decoder.append([UInt8](repeating: 0x47, count: 20))  // "GGGG...": an HTTP client, say
        #expect(throws: XRootDError.self) { try decoder.next() }
    }

    @Test func malformedContents() {
        let cases: [(UInt16, [UInt8])] = [
            (RequestID.mv.rawValue, Array("/onlyone".utf8)),
            (RequestID.stat.rawValue, []),
            (RequestID.rm.rawValue, [0xFF, 0xFE]),
            (RequestID.rmdir.rawValue, Array("/a\0b".utf8)),
        ]
        for (code, payload) in cases {
            let header = RequestHeader(streamID: StreamID(1), requestCode: code,
                                       parameters: [UInt8](repeating: 0, count: 16), payloadLength: Int32(payload.count))
            #expect(throws: XRootDError.self) { try XRootDRequest(frame: RequestFrame(header: header, payload: payload)) }
        }
        #expect(throws: XRootDError.self) { try StatInfo(text: "1 2 3") }
        #expect(throws: XRootDError.self) { try StatInfo(text: "a b c d") }
        #expect(throws: XRootDError.self) { try DirectoryListing(body: Array(".\n0 0 0 0\nname\0".utf8), options: .withStat) }
    }
}
