import Glibc
import Testing
@testable import Changelog

/// The page prefaulter maps a writer's preallocated pages ahead of its appends: the writer's own
/// thread then takes (almost) no page faults, and the bytes on disk are the same as without it.
@Suite struct PrefaultTests {
    /// Minor page faults taken so far by the calling thread (field 10 of /proc/thread-self/stat).
    static func minorFaultsOfThisThread() -> Int {
        let fd = open("/proc/thread-self/stat", O_RDONLY)
        guard fd >= 0 else { return -1 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 1024) }
        guard n > 0 else { return -1 }
        let text = String(decoding: buffer[0..<n], as: UTF8.self)
        // The command name (field 2) may hold spaces; fields after its closing parenthesis are plain.
        guard let paren = text.lastIndex(of: ")") else { return -1 }
        let fields = text[text.index(after: paren)...].split(separator: " ")
        return fields.count > 7 ? Int(fields[7]) ?? -1 : -1  // state is field 3; minflt is field 10
    }

    /// Appends 4 MiB of 1 KiB records, letting the prefaulter catch up every 64 KiB; returns the
    /// writer thread's minor faults and the records read back after reopening.
    static func appendFourMiB(in dir: TemporaryDirectory, prefault: PrefaultPolicy, durability: Durability) throws -> (faults: Int, records: Int) {
        var configuration = ChangelogConfiguration(contentKind: .files, durability: durability)
        configuration.prefault = prefault
        let path = dir.file("\(prefault)-\(durability).log")
        let log = try Changelog.open(at: path, configuration: configuration)
        var body = [UInt8](repeating: 0x5a, count: 1000)
        let before = minorFaultsOfThisThread()
        for i in 0..<4096 {
            body.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(i), toByteOffset: 0, as: UInt64.self) }
            try log.append(.update, payload: body)
            if i % 64 == 63 { PagePrefaulter.shared.waitUntilIdle() }
        }
        let faults = minorFaultsOfThisThread() - before
        log.close()
        let back = try records(of: path)
        for (i, r) in back.enumerated() {
            #expect(r.payload.withUnsafeBytes { $0.load(as: UInt64.self) } == UInt64(i))
        }
        return (faults, back.count)
    }

    @Test func writerTakesFewPageFaultsWithPrefaulting() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let off = try Self.appendFourMiB(in: dir, prefault: .off, durability: .none)
        let ahead = try Self.appendFourMiB(in: dir, prefault: .ahead, durability: .none)
        #expect(off.records == 4096 && ahead.records == 4096)
        // 4 MiB of fresh pages: one write fault each without the prefaulter; with it, only the
        // pages written right after the mapping grows (before the prefaulter's next window).
        #expect(off.faults >= 900, "faults without prefaulting: \(off.faults)")
        #expect(ahead.faults * 4 < off.faults, "faults with prefaulting: \(ahead.faults), without: \(off.faults)")
    }

    @Test func prefaultingUnderBatchKeepsEveryRecord() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let batch = try Self.appendFourMiB(in: dir, prefault: .ahead, durability: .batch)
        #expect(batch.records == 4096)
        #expect(PagePrefaulter.shared.counts.finished > 0)
    }
}
