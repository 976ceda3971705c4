import Testing
@testable import Changelog

@Suite struct RoundTripTests {
    static let sizeClasses = [0, 1, 7, 8, 9, 4095, 4096, 4097, 1 << 20, 16 << 20]

    @Test(arguments: [CompressionPolicy.never, .lz4(minimumBytes: 64)])
    func everySizeClassRoundTrips(compression: CompressionPolicy) throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("a.log")
        var rng = SeededRandom(seed: 1)
        var written: [[UInt8]] = []
        do {
            let log = try Changelog.open(at: path, configuration: .init(durability: .none, compression: compression))
            for (i, n) in Self.sizeClasses.enumerated() {
                // Half random (incompressible), half repetitive (compressible).
                let p = i % 2 == 0 ? rng.bytes(n) : [UInt8](repeating: UInt8(i), count: n)
                let r = try log.append(.update, payload: p)
                #expect(r.sequence == SequenceNumber(UInt64(i + 1)))
                let back = try log.read(at: r.position)
                #expect(back.payload == p && back.sequence == r.sequence)
                written.append(p)
            }
        }
        let got = try records(of: path)
        #expect(got.map(\.payload) == written)
        #expect(got.map(\.sequence) == Array(1...UInt64(written.count)))
        if compression != .never {
            // The compressible 1 MiB record must have shrunk the file.
            #expect(Surgery.size(path) < 18 << 20)
        }
    }

    @Test func sequencesStayMonotonicAcrossReopen() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("seq.log")
        var last = SequenceNumber.zero
        for round in 0..<4 {
            let log = try Changelog.open(at: path, configuration: .init(durability: .none))
            #expect(log.lastSequence == last)
            for i in 0..<10 {
                let r = try log.append(.update, payload: payload(id: UInt64(round * 10 + i)))
                #expect(r.sequence > last)
                last = r.sequence
            }
            log.close()
        }
        #expect(try records(of: path).map(\.sequence) == Array(1...40))
    }

    @Test func compressedBlocksAreAddressableBySlot() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("block.log")
        let log = try Changelog.open(at: path, configuration: .init(durability: .always))
        let batch = (0..<300).map { PendingRecord(.update, payload: payload(id: UInt64($0), extra: Array("/eos/user/file_\($0).root".utf8) + [UInt8](repeating: 0, count: 150))) }
        let results = try log.append(batch: batch, packing: .compressedBlock)
        #expect(results.count == 300)
        #expect(Set(results.map(\.position.offset)).count == 1)
        #expect(results.map(\.position.slot) == (1...300).map { UInt16($0) })
        for i in [0, 17, 299] {
            #expect(try log.read(at: results[i].position).payload == batch[i].payload)
        }
        // Compression pays on a block of similar metadata records.
        #expect(log.end.rawValue < 64 + 300 * 200 / 2)
        let tail = try log.append(.delete, payload: payload(id: 5))
        #expect(tail.sequence == SequenceNumber(301))
        log.close()
        let got = try records(of: path)
        #expect(got.count == 301)
        #expect(got.prefix(300).map(\.payload) == batch.map(\.payload))
        var index = OffsetIndex()
        _ = try Changelog.open(at: path, configuration: .readOnly) { index.apply($0) }
        #expect(index.count == 299)
        #expect(index.lookup(7)?.position == results[7].position)
        #expect(index.lookup(5) == nil)
    }

    @Test func followSeesAppendsAsTheyHappen() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try Changelog.open(at: dir.file("f.log"), configuration: .init(durability: .none))
        var seen: [UInt64] = []
        var at = LogOffset(RecordFormat.firstRecordOffset)
        for round in 0..<5 {
            for i in 0..<3 { try log.append(.update, payload: payload(id: UInt64(round * 3 + i))) }
            #expect(log.waitForAppend(after: at, timeout: 1).rawValue > at.rawValue)
            at = try log.follow(from: at) { r in
                seen.append(r.id!)
                return true
            }
        }
        #expect(seen == Array(0..<15))
        #expect(log.waitForAppend(after: at, timeout: 0.05) == at)
    }
}

@Suite struct OffsetIndexTests {
    @Test func matchesADictionaryUnderRandomUpdatesAndDeletes() {
        var rng = SeededRandom(seed: 9)
        var index = OffsetIndex(capacity: 4)
        var model: [UInt64: UInt64] = [:]
        for step in 1...60_000 {
            let id = UInt64.random(in: 0..<5000, using: &rng)
            if Bool.random(using: &rng) || step % 7 == 0 {
                index.update(id, at: LogPosition(offset: LogOffset(UInt64(64 + step * 8))), sequence: SequenceNumber(UInt64(step)))
                model[id] = UInt64(step)
            } else {
                #expect(index.remove(id) == (model.removeValue(forKey: id) != nil))
            }
        }
        #expect(index.count == model.count)
        for (id, seq) in model { #expect(index.lookup(id)?.sequence.rawValue == seq) }
        for id in 5000..<5100 { #expect(index.lookup(UInt64(id)) == nil) }
        #expect(index.largestId == 4999)
    }

    @Test func memoryPerEntryIsBounded() {
        var index = OffsetIndex()
        for id in 1...1_000_000 { index.update(UInt64(id), at: LogPosition(offset: LogOffset(64)), sequence: SequenceNumber(1)) }
        // 24 bytes per slot at 40-80% load.
        #expect(index.bytesPerEntry >= 30 && index.bytesPerEntry <= 60)
    }
}
