import Glibc
import Testing
@testable import Changelog
import Platform

@Suite struct WriterTests {
    @Test func aSecondWriterIsRefused() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("w.log")
        let first = try Changelog.open(at: path)
        do {
            _ = try Changelog.open(at: path)
            Issue.record("second writer opened")
        } catch {
            #expect(error.code == .locked)
        }
        // Readers are fine while a writer holds the log.
        _ = try Changelog.open(at: path, configuration: .readOnly)
        first.close()
    }

    @Test func batchDurabilitySharesSyncsAmongConcurrentAppenders() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try Changelog.open(at: dir.file("g.log"), configuration: .init(durability: .batch))
        let perThread = 200
        let threads = 8
        let errors = ErrorBox()
        runConcurrently(threads) { t in
            for i in 0..<perThread {
                do {
                    let r = try log.append(.update, payload: payload(id: UInt64(t * perThread + i)))
                    // Acknowledged means durable: the durable end covers this record.
                    if log.durableEnd.rawValue <= r.position.offset.rawValue { errors.add("acknowledged before sync") }
                } catch { errors.add("\(error)") }
            }
        }
        #expect(errors.messages.isEmpty)
        let appends = threads * perThread
        #expect(log.syncCount >= 1)
        #expect(log.syncCount <= appends)
        #expect(log.lastSequence == SequenceNumber(UInt64(appends)))
        log.close()
        #expect(try records(of: dir.file("g.log")).count == appends)
    }

    @Test func alwaysSyncsEveryAppendAndNoneNever() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let always = try Changelog.open(at: dir.file("a.log"), configuration: .init(durability: .always))
        let base = always.syncCount
        for i in 0..<10 { try always.append(.update, payload: payload(id: UInt64(i))) }
        #expect(always.syncCount - base == 10)
        let none = try Changelog.open(at: dir.file("n.log"), configuration: .init(durability: .none))
        let base2 = none.syncCount
        for i in 0..<10 { try none.append(.update, payload: payload(id: UInt64(i))) }
        #expect(none.syncCount == base2)
    }

    @Test func badInputsGiveTypedErrorsAndLeaveFilesAlone() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        func expectCode(_ path: String, _ config: ChangelogConfiguration, _ check: (ChangelogError.Code) -> Bool) {
            let before = Surgery.read(path)
            do {
                _ = try Changelog.open(at: path, configuration: config)
                Issue.record("\(path) opened")
            } catch {
                #expect(check(error.code), "\(error)")
                #expect(error.path == path)
            }
            #expect(Surgery.read(path) == before)
        }
        let text = dir.file("text")
        Surgery.write(text, Array("hello, this is not a changelog at all, just text\n".utf8))
        expectCode(text, .init()) { $0 == .notAChangelog }
        let empty = dir.file("empty")
        Surgery.write(empty, [])
        expectCode(empty, .init()) { $0 == .notAChangelog }
        let good = dir.file("good.log")
        let log = try Changelog.open(at: good, configuration: .init(contentKind: .files))
        try log.append(.update, payload: payload(id: 1))
        log.close()
        let bytes = Surgery.read(good)
        let short = dir.file("short")
        Surgery.write(short, Array(bytes[0..<30]))
        expectCode(short, .init()) { $0 == .notAChangelog }
        expectCode(good, .init(contentKind: .directories)) {
            if case .contentKindMismatch = $0 { return true } else { return false }
        }
        // A future version: patch the version field and re-checksum the header.
        var future = FileHeader(contentKind: .files).encoded()
        future[8] = 2
        let sum = Array(future[0..<56]).withUnsafeBytes { RecordFormat.xxh3($0) }
        withUnsafeBytes(of: sum.littleEndian) { future.replaceSubrange(56..<64, with: $0) }
        let v2 = dir.file("v2.log")
        Surgery.write(v2, future)
        expectCode(v2, .init()) { $0 == .unsupportedVersion(2) }
        do {
            _ = try Changelog.open(at: dir.path, configuration: .init())
            Issue.record("directory opened")
        } catch { #expect(error.code == .notARegularFile) }
        do {
            _ = try Changelog.open(at: dir.file("missing"), configuration: .readOnly)
            Issue.record("missing file opened")
        } catch { #expect(error.errno == ENOENT) }
        // A read-only file cannot be opened for append (refused by its permission bits, even as root).
        chmod(good, 0o444)
        expectCode(good, .init()) { $0 == .io }
        #expect(throws: Never.self) { try Changelog.open(at: good, configuration: .readOnly) }
        chmod(good, 0o644)
        // A read-only handle refuses appends.
        let ro = try Changelog.open(at: good, configuration: .readOnly)
        do {
            try ro.append(.update, payload: payload(id: 2))
            Issue.record("append on read-only log")
        } catch { #expect(error.code == .readOnly) }
        #expect(Surgery.read(good) == bytes)
    }

    @Test func fullDiskLosesNothingAcknowledged() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("full.log")
        let log = try Changelog.open(at: path, configuration: .init(durability: .always))
        var acknowledged: [UInt64] = []
        for i in 0..<20 {
            try log.append(.update, payload: payload(id: UInt64(i)))
            acknowledged.append(UInt64(i))
        }
        // The next write is short and then the disk is full.
        FaultInjection.install(.init(.write, nth: 1, fault: .short(10)), under: dir.path)
        // (Plans count only the calls they see after earlier plans in the list have passed.)
        FaultInjection.install(.init(.write, nth: 1, fault: .error(ENOSPC), persistent: true), under: dir.path)
        for i in 20..<25 {
            do {
                try log.append(.update, payload: payload(id: UInt64(i)))
                Issue.record("append \(i) succeeded on a full disk")
            } catch {
                #expect(error.errno == ENOSPC)
            }
        }
        #expect(FaultInjection.clear(under: dir.path) >= 2)
        // Space is back: appending continues, and the log reads back without a gap.
        try log.append(.update, payload: payload(id: 100))
        log.close()
        let ids = try records(of: path).map { $0.payload.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } }
        #expect(ids == acknowledged + [100])
    }

    @Test func failedSyncPoisonsTheLog() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try Changelog.open(at: dir.file("p.log"), configuration: .init(durability: .batch))
        try log.append(.update, payload: payload(id: 1))
        FaultInjection.install(.init(.sync, nth: 1, fault: .error(EIO)), under: dir.path)
        #expect(throws: ChangelogError.self) { try log.append(.update, payload: payload(id: 2)) }
        FaultInjection.clear(under: dir.path)
        do {
            try log.append(.update, payload: payload(id: 3))
            Issue.record("append after failed fsync")
        } catch { #expect(error.code == .poisoned) }
        log.close()
        // Reopening recovers: record 1 is there.
        #expect(try records(of: dir.file("p.log")).count >= 1)
    }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = ConditionLock()
    private var list: [String] = []
    func add(_ s: String) { lock.withLock { list.append(s) } }
    var messages: [String] { lock.withLock { list } }
}

/// Runs `body(i)` for i in 0..<n on n threads and waits for all.
func runConcurrently(_ n: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable (Int) -> Void
        let index: Int
        init(_ body: @escaping @Sendable (Int) -> Void, _ index: Int) { self.body = body; self.index = index }
    }
    var threads: [pthread_t] = []
    for i in 0..<n {
        var t = pthread_t()
        let box = Unmanaged.passRetained(Box(body, i)).toOpaque()
        pthread_create(&t, nil, { arg in
            let b = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            b.body(b.index)
            return nil
        }, box)
        threads.append(t)
    }
    for t in threads { pthread_join(t, nil) }
}
