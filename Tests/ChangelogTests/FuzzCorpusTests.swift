import FuzzHarness
import Glibc
import Testing
@testable import Changelog
import Platform

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
        // A small native log as the repair seed.
        let repairSeed = FileSystem.directory(of: Self.corpusDirectory) + "/repair/beryl-log"
        if !FileSystem.exists(repairSeed) {
            let dir = TemporaryDirectory()
            defer { dir.remove() }
            let log = try Changelog.open(at: dir.file("seed.log"), configuration: .init(contentKind: .files, durability: .none))
            for i in 0..<12 { try log.append(i % 4 == 3 ? .delete : .update, payload: payload(id: UInt64(i % 5), extra: Array("seed\(i)".utf8))) }
            try log.append(batch: (0..<8).map { PendingRecord(.update, payload: payload(id: UInt64($0), extra: [UInt8](repeating: 7, count: 30))) }, packing: .compressedBlock)
            log.close()
            Surgery.write(repairSeed, Surgery.read(dir.file("seed.log")))
        }
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

    @Test func syncMessageSeedsAreValidMessages() {
        let dir = FileSystem.directory(of: Self.corpusDirectory) + "/syncmessage"
        for name in FileSystem.list(dir) where name != "stream" {
            #expect(Surgery.read(dir + "/" + name).withUnsafeBytes { FuzzBodies.syncMessageDecodes($0) }, "\(name)")
        }
    }

    static var bodies: [(corpus: String, body: (UnsafeRawBufferPointer) -> Void, step: Int)] {
        [("scanner", FuzzBodies.scanner, 7), ("legacyscanner", FuzzBodies.legacyScanner, 13),
         ("repair", FuzzBodies.repair, 509), ("namespacedecoders", FuzzBodies.namespaceDecoders, 1),
         ("xrootd", FuzzBodies.xrootdRequests, 1),
         ("syncmessage", FuzzBodies.syncMessages, 1)]
    }

    @Test(arguments: 0..<6)
    func corpusReplaysWithoutTrapping(target: Int) {
        let (corpus, body, step) = Self.bodies[target]
        let dir = FileSystem.directory(of: Self.corpusDirectory) + "/" + corpus
        let files = FileSystem.list(dir)
        #expect(!files.isEmpty, "empty corpus \(dir)")
        for name in files {
            let bytes = Surgery.read(dir + "/" + name)
            bytes.withUnsafeBytes { body($0) }
            // Truncations of each seed as well.
            for cut in stride(from: 0, to: bytes.count, by: step) {
                Array(bytes[0..<cut]).withUnsafeBytes { body($0) }
            }
        }
    }
}
