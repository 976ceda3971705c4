import Testing
@testable import XRootD

/// `UTF8Text.validated` accepts exactly what `String(validating:as:)` accepts, on the request path's
/// fast route (ASCII without comparison, the rest compared after `String(decoding:)`).
@Suite struct UTF8TextTests {
    static let samples: [[UInt8]] = [
        [], Array("/eos/user/a".utf8), Array("user.n".utf8), Array("é/ü/€/𝄞".utf8),
        [0xEF, 0xBF, 0xBD],              // U+FFFD itself: valid
        [0x61, 0xC3],                    // truncated 2-byte sequence
        [0xE2, 0x82],                    // truncated 3-byte sequence
        [0x80],                          // lone continuation byte
        [0xC0, 0xAF],                    // overlong '/'
        [0xE0, 0x80, 0x80],              // overlong NUL
        [0xED, 0xA0, 0x80],              // UTF-16 surrogate
        [0xF4, 0x90, 0x80, 0x80],        // past U+10FFFF
        [0x61, 0xFF, 0x62],              // byte never valid
        [0xEF, 0xBF, 0xBD, 0xFE],        // a valid U+FFFD, then an invalid byte
    ]

    @Test func agreesWithTheStandardLibrary() {
        for bytes in Self.samples {
            let expected = String(validating: bytes, as: UTF8.self)
            #expect(UTF8Text.validated(bytes) == expected, "\(bytes)")
            #expect(UTF8Text.validated(bytes[...]) == expected, "\(bytes) as a slice")
        }
    }

    @Test func sliceInTheMiddleOfAnArray() {
        let bytes: [UInt8] = [0xFF] + Array("päth".utf8) + [0xFF]
        #expect(UTF8Text.validated(bytes[1..<(bytes.count - 1)]) == "päth")
        #expect(UTF8Text.validated(bytes) == nil)
    }

    @Test func invalidRequestPathIsRefused() throws {
        #expect(throws: XRootDError.self) { try WireText.decode([0x2F, 0xC3, 0x28][...], context: "path") }
        #expect(try WireText.decode(Array("/a/b\0\0".utf8)[...], context: "path") == "/a/b")
    }
}
