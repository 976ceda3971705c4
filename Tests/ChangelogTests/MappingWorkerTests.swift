import Glibc
import Testing
@testable import Changelog
import Platform

/// The mapping worker maps a writer's preallocated pages ahead of its appends: the writer's own
/// thread then takes (almost) no page faults, and the bytes on disk are the same as without it.
@Suite struct MappingWorkerTests {
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

    /// Appends 4 MiB of 1 KiB records, letting the mapping worker catch up every 64 KiB; returns the
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
            if i % 64 == 63 { MappingWorker.shared.waitUntilIdle() }
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
        // 4 MiB of fresh pages: one write fault each without prefaulting; with it, only the
        // pages written right after the mapping grows (before the worker's next window).
        #expect(off.faults >= 900, "faults without prefaulting: \(off.faults)")
        #expect(ahead.faults * 4 < off.faults, "faults with prefaulting: \(ahead.faults), without: \(off.faults)")
    }

    @Test func prefaultingUnderBatchKeepsEveryRecord() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let batch = try Self.appendFourMiB(in: dir, prefault: .ahead, durability: .batch)
        #expect(batch.records == 4096)
        #expect(MappingWorker.shared.counts.finished > 0)
    }

    @Test func outgrownMappingsAreReleasedByTheWorker() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("grow.log")
        let first = try Changelog.open(at: path, configuration: .init(contentKind: .files, durability: .none))
        let body = [UInt8](repeating: 7, count: 4000)
        for i in 0..<25 { try first.append(.update, payload: payload(id: UInt64(i + 1), extra: body)) }
        first.close()
        // Reopened, the writable mapping covers exactly the file; a reader takes a lease on it.
        let log = try Changelog.open(at: path, configuration: .init(contentKind: .files, durability: .none))
        let (lease, leasedEnd) = try log.lease()
        let released = MappingWorker.shared.counts.released
        // The next append outgrows the mapping: a larger one replaces it, the old one goes to the worker.
        try log.append(.update, payload: payload(id: 26, extra: body))
        MappingWorker.shared.waitUntilIdle()
        #expect(MappingWorker.shared.counts.released > released)
        // The retired mapping stays readable through the lease until the reader lets go.
        var scan = LogScan(path: path, bytes: lease!.bytes(count: leasedEnd), identity: log.identity, policy: .strict)
        var seen = 0
        _ = try scan.run(from: RecordFormat.fileHeaderSize, after: log.header.baseSequence) { _ in seen += 1; return true }
        #expect(seen == 25)
        log.close()
        #expect(try records(of: path).count == 26)
    }

    /// When the larger mapping cannot be made (address space short), growth maps just the
    /// allocated size instead of failing the append.
    @Test func growthFallsBackToTheAllocatedSizeWhenTheLargerMappingFails() throws {
        let dir = TemporaryDirectory()
        defer {
            FaultInjection.clear(under: dir.path)
            dir.remove()
        }
        let path = dir.file("fallback.log")
        let log = try Changelog.open(at: path, configuration: .init(contentKind: .files, durability: .none))
        FaultInjection.install(.init(.map, nth: 1, fault: .error(ENOMEM)), under: dir.path)
        try log.append(.update, payload: payload(id: 1))
        #expect(FaultInjection.clear(under: dir.path) == 1)
        for i in 2...300 { try log.append(.update, payload: payload(id: UInt64(i), extra: [UInt8](repeating: 3, count: 4000))) }
        log.close()
        #expect(try records(of: path).count == 300)
    }
}
