import Glibc
import Testing
@testable import Changelog

/// Torn tails, bit flips, foreign bytes and salvage.
@Suite struct RecoveryTests {
    /// Writes `count` records of `size` extra bytes and returns the file bytes and frame offsets.
    func makeLog(_ path: String, count: Int, size: Int = 40) throws -> [UInt64] {
        let log = try Changelog.open(at: path, configuration: .init(durability: .none))
        var offsets: [UInt64] = []
        for i in 0..<count {
            offsets.append(try log.append(.update, payload: payload(id: UInt64(i), extra: [UInt8](repeating: UInt8(i), count: size))).position.offset.rawValue)
        }
        log.close()
        return offsets
    }

    @Test func tornTailAtEveryByteOfTheLastRecordIsCutAndReported() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("t.log")
        let offsets = try makeLog(path, count: 5)
        let original = Surgery.read(path)
        let lastStart = Int(offsets[4])
        for cut in (lastStart + 1)..<original.count {
            Surgery.write(path, Array(original[0..<cut]))
            let log = try Changelog.open(at: path, configuration: .init(durability: .none))
            #expect(log.openReport.tornTail?.offset.rawValue == UInt64(lastStart))
            #expect(log.openReport.records == 4)
            #expect(log.end.rawValue == UInt64(lastStart))
            #expect(Surgery.size(path) == lastStart)
            let saved = try #require(log.openReport.tornCopyPath)
            #expect(Surgery.read(saved) == trimmingTrailingZeros(Array(original[lastStart..<cut])))
            // Appending continues with the next sequence after the survivors.
            #expect(try log.append(.update, payload: payload(id: 99)).sequence == SequenceNumber(5))
            log.close()
            unlink(saved)
        }
    }

    @Test func zeroTailIsPreallocatedSpaceNotDamage() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("z.log")
        let offsets = try makeLog(path, count: 3)
        let original = Surgery.read(path)
        Surgery.write(path, original + [UInt8](repeating: 0, count: 4096))
        let log = try Changelog.open(at: path, configuration: .init(durability: .none))
        #expect(log.openReport.tornTail == nil)
        #expect(log.openReport.trailingZeroBytes == 4096)
        #expect(log.end.rawValue == UInt64(original.count))
        try log.append(.update, payload: payload(id: 3))
        log.close()
        #expect(try records(of: path).count == 4)
        // A torn record followed by zeros: only the non-zero torn bytes are saved.
        let torn = Array(original[0..<(Int(offsets[2]) + 20)]) + [UInt8](repeating: 0, count: 8192)
        Surgery.write(path, torn)
        let again = try Changelog.open(at: path, configuration: .init(durability: .none))
        #expect(again.openReport.tornTail?.offset.rawValue == offsets[2])
        #expect(Surgery.read(try #require(again.openReport.tornCopyPath)) == trimmingTrailingZeros(Array(original[Int(offsets[2])..<(Int(offsets[2]) + 20)])))
    }

    @Test func everyFlippedBitIsDetected() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("b.log")
        let offsets = try makeLog(path, count: 3, size: 12)
        let original = Surgery.read(path)
        let start = Int(offsets[1]), end = Int(offsets[2])
        for byte in start..<end {
            for bit in 0..<8 {
                var b = original
                b[byte] ^= UInt8(1 << bit)
                Surgery.write(path, b)
                let before = Surgery.read(path)
                do {
                    _ = try Changelog.open(at: path, configuration: .init(durability: .none))
                    Issue.record("flip at \(byte).\(bit) not detected")
                } catch {
                    guard case .corruption = error.code else { Issue.record("flip at \(byte).\(bit): \(error)"); continue }
                    #expect(error.offset != nil)
                }
                #expect(Surgery.read(path) == before, "a failed open must leave the file as it was")
            }
        }
    }

    @Test func bytesOfAnotherLogDoNotValidate() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let a = dir.file("a.log"), b = dir.file("b.log")
        _ = try makeLog(a, count: 4)
        _ = try makeLog(b, count: 4)
        let bytesA = Surgery.read(a), bytesB = Surgery.read(b)
        // B's header followed by A's records: none of A's records validate under B's identity.
        Surgery.write(b, Array(bytesB[0..<64]) + Array(bytesA[64...]))
        let log = try Changelog.open(at: b, configuration: .readOnly)
        #expect(log.openReport.records == 0)
        #expect(log.openReport.tornTail != nil)
        // And spliced into the middle of a valid log they are corruption, not records.
        Surgery.write(b, bytesB + Array(bytesA[64...]) + Array(bytesB[64...]))
        #expect(throws: ChangelogError.self) { try Changelog.open(at: b, configuration: .readOnly) }
    }

    @Test func salvageSkipsSmallSpansAndRefusesLargeOnes() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("s.log")
        let offsets = try makeLog(path, count: 10, size: 100)
        Surgery.flipBit(path, byte: Int(offsets[3]) + 40, bit: 2)
        Surgery.flipBit(path, byte: Int(offsets[7]) + 3, bit: 0)
        #expect(throws: ChangelogError.self) { try records(of: path) }
        let got = try records(of: path, policy: .salvage)
        #expect(got.map { $0.payload[0] } == [0, 1, 2, 4, 5, 6, 8, 9])
        var config = ChangelogConfiguration.readOnly
        config.damagePolicy = .salvage
        let log = try Changelog.open(at: path, configuration: config)
        let spans = log.openReport.damagedSpans
        try #require(spans.count == 2)
        for (span, damaged) in zip(spans, [3, 7]) {
            // A span runs from the end of the last good record to the start of the next one.
            #expect(span.offset.rawValue <= offsets[damaged] && span.offset.rawValue > offsets[damaged - 1])
            #expect(span.offset.rawValue + span.length == offsets[damaged + 1])
        }
        do {
            _ = try records(of: path, policy: .salvage(maximumSpan: 64))
            Issue.record("span over the limit accepted")
        } catch {
            guard case .damageTooLarge = error.code else { Issue.record("\(error)"); return }
        }
    }
}

func trimmingTrailingZeros(_ b: [UInt8]) -> [UInt8] {
    var n = b.count
    while n > 0 && b[n - 1] == 0 { n -= 1 }
    return Array(b[0..<n])
}
