import Glibc
import Testing
@testable import Changelog
import Platform
import LegacyEOS

/// Torn writes and faults at boot and repair (the reliability harness's byte-level part).
@Suite struct TornWriteTests {
    func makeLog(_ path: String, count: Int) throws -> [UInt64] {
        let log = try Changelog.open(at: path, configuration: .init(durability: .none))
        var offsets: [UInt64] = []
        for i in 0..<count {
            let extra = [UInt8](repeating: UInt8(i & 0xFF), count: 20 + (i * 37) % 90)
            offsets.append(try log.append(.update, payload: payload(id: UInt64(i), extra: extra)).position.offset.rawValue)
        }
        log.close()
        return offsets
    }

    @Test func truncatedOrZeroFilledAtEveryByteOfTheLastRecordsKeepsThePrefix() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("t.log")
        let offsets = try makeLog(path, count: 40)
        let original = Surgery.read(path)
        for cut in Int(offsets[37])..<original.count {
            // Records whose frame ends at or before the cut must all survive; no other may.
            let ends = offsets.indices.map { i in offsets[i] + 32 + UInt64(RecordFormat.padded(8 + 20 + (i * 37) % 90)) }
            for zeroFill in [false, true] {
                // Zero-filling bytes that were already zero changes nothing: damage starts at the
                // first byte that really changed.
                let damage = zeroFill ? (original[cut...].firstIndex { $0 != 0 } ?? original.count) : cut
                let survivors = ends.filter { $0 <= UInt64(damage) }.count
                var bytes = Array(original[0..<cut])
                if zeroFill { bytes += [UInt8](repeating: 0, count: original.count - cut) }
                Surgery.write(path, bytes)
                let log = try Changelog.open(at: path, configuration: .init(durability: .none))
                #expect(log.openReport.records == survivors, "cut \(cut) zero \(zeroFill)")
                #expect(log.end.rawValue <= UInt64(damage))
                if survivors < offsets.count && damage > Int(offsets[survivors]) {
                    #expect(log.openReport.tornTail != nil, "cut \(cut) zero \(zeroFill): torn tail not reported")
                }
                log.close()
                for name in FileSystem.list(dir.path) where name.contains(".torn-") { unlink(dir.file(name)) }
            }
        }
    }

    @Test func aScrambledSectorInTheMiddleFailsLoudlyUnlessSalvaging() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("s.log")
        let offsets = try makeLog(path, count: 200)
        var bytes = Surgery.read(path)
        let sector = (bytes.count / 2) & ~511
        var rng = SeededRandom(seed: 77)
        for i in sector..<(sector + 512) { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        Surgery.write(path, bytes)
        do {
            _ = try Changelog.open(at: path, configuration: .init(durability: .none))
            Issue.record("mid-log damage opened")
        } catch {
            guard case .corruption = error.code else { Issue.record("\(error)"); return }
            #expect(error.offset != nil)
        }
        #expect(Surgery.read(path) == bytes, "a failed open must not touch the file")
        let got = try records(of: path, policy: .salvage)
        // Every record wholly outside the scrambled sector is recovered.
        let intact = offsets.indices.filter { i in
            let start = Int(offsets[i]), end = i + 1 < offsets.count ? Int(offsets[i + 1]) : bytes.count
            return end <= sector || start >= sector + 512
        }
        #expect(got.count >= intact.count)
        let ids = Set(got.map { $0.payload.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } })
        for i in intact { #expect(ids.contains(UInt64(i))) }
    }

    @Test func faultsAtBootAndRepairAreTypedAndLeaveNothingBehind() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("f.log")
        _ = try makeLog(path, count: 50)
        let before = Surgery.read(path)
        for (op, fault) in [(FaultInjection.Operation.map, Int32(ENOMEM)), (.read, EIO), (.open, EMFILE)] {
            FaultInjection.install(.init(op, nth: 1, fault: .error(fault)), under: dir.path)
            do {
                _ = try Changelog.open(at: path, configuration: .init(durability: .none))
                Issue.record("open survived an injected \(op) fault")
            } catch {
                #expect(error.errno == fault, "\(error)")
            }
            FaultInjection.clear(under: dir.path)
            #expect(Surgery.read(path) == before)
            #expect(try Changelog.open(at: path, configuration: .readOnly).openReport.records == 50)
        }
        // Repair whose output hits a full disk: a typed error, no output left, input untouched.
        FaultInjection.install(.init(.write, nth: 1, fault: .error(ENOSPC), persistent: true), under: dir.path)
        #expect(throws: ChangelogError.self) { try LogRepair.repair(path, to: dir.file("out.log")) }
        FaultInjection.clear(under: dir.path)
        #expect(!FileSystem.exists(dir.file("out.log")))
        #expect(Surgery.read(path) == before)
        let report = try LogRepair.repair(path, to: dir.file("out.log"))
        #expect(report.healthy == 50)
    }
}
