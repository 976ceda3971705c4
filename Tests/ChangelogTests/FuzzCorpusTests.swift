import FuzzHarness
import Glibc
import Testing
@testable import Changelog

/// Replays the fuzz seed corpus (and any crash regressions) through the fuzz bodies in every
/// `swift test`, and checks the seeds are real frames so the fuzzer starts from valid input.
@Suite struct FuzzCorpusTests {
    static var corpusDirectory: String {
        let here = "\(#filePath)"
        let root = FileSystem.directory(of: FileSystem.directory(of: FileSystem.directory(of: here)))
        return root + "/Fuzz/corpus/scanner"
    }

    /// Frames under the fuzz identity, as the seeds hold them.
    static func seedFrames(_ count: Int, compressedBlock: Bool) -> [UInt8] {
        var buffer: [UInt8] = []
        var seq = SequenceNumber(1)
        for i in 0..<count {
            let p = payload(id: UInt64(i), extra: Array("/eos/seed/file\(i)".utf8))
            _ = p.withUnsafeBytes {
                Changelog.encodeFrame(into: &buffer, at: 0, type: i % 3 == 2 ? .delete : .update, flags: [], stored: $0,
                                      rawLength: $0.count, sequence: seq, identity: FuzzBodies.identity)
            }
            seq = seq.next
        }
        if compressedBlock {
            let raw = BlockLayout.encode((0..<20).map { (.update, payload(id: UInt64($0), extra: [UInt8](repeating: 1, count: 40)), SequenceNumber(UInt64(100 + $0))) })
            let c = raw.withUnsafeBytes { LZ4.compress($0)! }
            _ = c.withUnsafeBytes {
                Changelog.encodeFrame(into: &buffer, at: 0, type: .block, flags: .lz4, stored: $0, rawLength: raw.count,
                                      sequence: SequenceNumber(119), identity: FuzzBodies.identity)
            }
        }
        return buffer
    }

    @Test func seedsAreValidFrames() throws {
        for (name, bytes) in [("seed-frames", Self.seedFrames(6, compressedBlock: false)),
                              ("seed-block", Self.seedFrames(2, compressedBlock: true))] {
            let path = Self.corpusDirectory + "/" + name
            if !FileSystem.exists(path) { Surgery.write(path, bytes) }
            let onDisk = Surgery.read(path)
            var n = 0
            let summary = try onDisk.withUnsafeBytes { b in
                try BufferScanner.scan(b, identity: FuzzBodies.identity, after: .zero) { _ in
                    n += 1
                    return true
                }
            }
            #expect(n > 0 && summary.tornTail == nil, "\(name) is not a valid frame sequence")
        }
    }

    @Test func corpusReplaysWithoutTrapping() {
        let files = FileSystem.list(Self.corpusDirectory)
        #expect(!files.isEmpty)
        for name in files {
            let bytes = Surgery.read(Self.corpusDirectory + "/" + name)
            bytes.withUnsafeBytes { FuzzBodies.scanner($0) }
            // Every truncation of a seed as well.
            for cut in stride(from: 0, to: bytes.count, by: 7) {
                Array(bytes[0..<cut]).withUnsafeBytes { FuzzBodies.scanner($0) }
            }
        }
    }
}
