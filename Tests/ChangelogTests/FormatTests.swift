import Testing
@testable import Changelog

@Suite struct FormatTests {
    @Test func sizesArePinned() {
        #expect(RecordFormat.fileHeaderSize == 64)
        #expect(RecordFormat.frameHeaderSize == 32)
        #expect(FileHeader(contentKind: .files).encoded().count == 64)
        #expect(RecordFormat.maximumPayload >= 16 << 20)
    }

    @Test func headersNeverStraddleASector() {
        var o: UInt64 = 64
        for n in 0..<5000 {
            let start = RecordFormat.recordStart(after: o)
            #expect(start % 8 == 0)
            #expect(start % 512 + 32 <= 512)
            o = start + 32 + UInt64(RecordFormat.padded(n % 700))
        }
    }

    @Test func fileHeaderRoundTrip() throws {
        let h = FileHeader(contentKind: .directories, flags: .compacted, baseSequence: SequenceNumber(42),
                           createdNanoseconds: 7, predecessor: 9)
        let bytes = h.encoded()
        let d = try bytes.withUnsafeBytes { try FileHeader.decode($0, path: "x") }
        #expect(d == h)
        #expect(Array(bytes[0..<8]) == Array("BERYLLOG".utf8))
    }

    @Test func fileHeaderRejectsDamage() {
        let bytes = FileHeader(contentKind: .files).encoded()
        for i in 0..<bytes.count {
            var b = bytes
            b[i] ^= 0x10
            #expect(throws: ChangelogError.self) { try b.withUnsafeBytes { try FileHeader.decode($0, path: "x") } }
        }
        #expect(throws: ChangelogError.self) { try bytes.withUnsafeBytes { try FileHeader.decode($0, path: "x", expected: .directories) } }
        for n in 0..<64 {
            #expect(throws: ChangelogError.self) { try Array(bytes[0..<n]).withUnsafeBytes { try FileHeader.decode($0, path: "x") } }
        }
    }

    @Test func xxh3KnownAnswer() {
        let h = Array("hello".utf8).withUnsafeBytes { RecordFormat.xxh3($0) }
        #expect(h == 0x9555_e855_5c62_dcfd)
    }

    @Test func lz4RoundTrip() {
        let input = [UInt8](repeating: 7, count: 10_000) + Array("metadata".utf8)
        let c = input.withUnsafeBytes { LZ4.compress($0) }!
        #expect(c.count < input.count / 10)
        var out = [UInt8](repeating: 0, count: input.count)
        let ok = c.withUnsafeBytes { src in out.withUnsafeMutableBytes { LZ4.decompress(src, into: $0) } }
        #expect(ok && out == input)
        var bad = c
        bad[bad.count / 2] ^= 0xFF
        var out2 = [UInt8](repeating: 0, count: input.count)
        _ = bad.withUnsafeBytes { src in out2.withUnsafeMutableBytes { LZ4.decompress(src, into: $0) } }
    }
}
