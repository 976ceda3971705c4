import Glibc
import Testing
@testable import Changelog
import Platform

@Suite struct CompactionTests {
    /// Latest payload per id, as a model of what a log holds.
    static func liveSet(of path: String) throws -> [UInt64: [UInt8]] {
        var live: [UInt64: [UInt8]] = [:]
        for r in try records(of: path) where r.payload.count >= 8 {
            let id = r.payload.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            switch r.type {
            case .update: live[id] = r.payload
            case .delete: live.removeValue(forKey: id)
            default: break
            }
        }
        return live
    }

    @Test func offlineCompactionKeepsExactlyTheLiveSet() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let input = dir.file("in.log"), output = dir.file("out.log")
        let log = try Changelog.open(at: input, configuration: .init(contentKind: .files, durability: .none))
        var rng = SeededRandom(seed: 4)
        for i in 0..<5000 {
            let id = UInt64.random(in: 1...500, using: &rng)
            if i % 10 == 9 { try log.append(.delete, payload: payload(id: id)) }
            else { try log.append(.update, payload: payload(id: id, extra: Array("size=\(i)".utf8) + rng.bytes(50))) }
        }
        log.close()
        let figures = try Compactor.compact(inputPath: input, outputPath: output)
        #expect(figures.recordsTotal == 5000 && figures.recordsDeleted == 500 && figures.recordsUpdated == 4500)
        #expect(figures.recordsKept == figures.recordsWritten)
        #expect(figures.ratio > 5)
        #expect(try Self.liveSet(of: output) == Self.liveSet(of: input))
        let out = try Changelog.open(at: output, configuration: .readOnly)
        #expect(out.header.flags.contains(.compacted))
        #expect(out.header.contentKind == .files)
        let seqs = try records(of: output).map(\.sequence)
        #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
        #expect(try records(of: output).last?.type == .compactionStamp)
        // The output is never overwritten.
        #expect(throws: ChangelogError.self) { try Compactor.compact(inputPath: input, outputPath: output) }
    }

    @Test func onlineCompactionUnderAConcurrentWriter() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("files.mdlog")
        let log = try Changelog.open(at: path, configuration: .init(contentKind: .files, durability: .none))
        var index = OffsetIndex()
        for i in 0..<20_000 {
            let id = UInt64(i % 2000)
            let r = try log.append(.update, payload: payload(id: id, extra: Array("v\(i)".utf8)))
            index.update(id, at: r.position, sequence: r.sequence)
        }
        // The "namespace" lock: the writer appends and updates the index under it.
        let shared = SharedIndex(index)
        let stop = ErrorBox()
        let writer = WriterThread(log: log, shared: shared, stop: stop)
        writer.start()
        // Prepare under the lock, copy and catch up without it, commit under it.
        let session = try shared.withLock { _ in try CompactionSession(source: log) }
        try session.copy()
        for _ in 0..<3 { try session.catchUp() }
        let commit = try shared.withLock { idx throws(ChangelogError) -> CompactionSession.Commit in
            let c = try session.commit()
            idx.remap(c)
            writer.log = c.log
            return c
        }
        session.finish()
        usleep(20_000)
        writer.stopAndJoin()
        #expect(writer.appends > 0)
        let newLog = commit.log
        // Every id in the index resolves in the new log to its latest payload.
        let model = try Self.liveSet(of: path)
        shared.withLock { idx in
            #expect(idx.index.count == model.count)
            idx.index.forEach { id, e in
                let got = try? newLog.read(at: e.position).payload
                #expect(got == model[id], "id \(id)")
            }
        }
        newLog.close()
        // Rebooting from disk gives the same live set, and the archive is kept.
        #expect(try Self.liveSet(of: path) == model)
        #expect(FileSystem.exists(commit.archivePath))
        #expect(!FileSystem.exists(path + ".oc"))
        #expect(commit.figures.ratio > 2)
    }

    @Test func archivesArePrunedAndInterruptedSwapsRecovered() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("directories.mdlog")
        for t in [100, 200, 300, 400] { Surgery.write("\(path).\(t)", [1]) }
        Compactor.pruneArchives(of: path, keep: 2)
        #expect(FileSystem.list(dir.path) == ["directories.mdlog.300", "directories.mdlog.400"])
        // A crash between the two renames: only the finished copy is there.
        let log = try Changelog.open(at: path + ".oc", configuration: .init(durability: .always))
        try log.append(.update, payload: payload(id: 1))
        log.close()
        #expect(try Compactor.recoverInterruptedSwap(livePath: path) != nil)
        #expect(FileSystem.exists(path) && !FileSystem.exists(path + ".oc"))
        // A crash during the copy: the live log stays, the partial copy goes.
        Surgery.write(path + ".oc", [1, 2, 3])
        #expect(try Compactor.recoverInterruptedSwap(livePath: path) != nil)
        #expect(!FileSystem.exists(path + ".oc"))
        #expect(try records(of: path).count == 1)
    }
}

/// An index behind a lock, standing in for the namespace.
final class SharedIndex: @unchecked Sendable {
    struct State {
        var index: OffsetIndex
        mutating func remap(_ c: CompactionSession.Commit) {
            // The session's index must agree with ours on every id before we swap it in.
            var agree = c.index.count == index.count
            index.forEach { id, e in if c.index.lookup(id)?.sequence != e.sequence { agree = false } }
            #expect(agree, "the compacted index differs from the live one")
            index = c.index
        }
    }
    let lock = ConditionLock()
    var state: State
    init(_ index: OffsetIndex) { state = State(index: index) }
    func withLock<R, E: Error>(_ body: (inout State) throws(E) -> R) throws(E) -> R {
        try lock.withLock { () throws(E) -> R in try body(&state) }
    }
}

/// Appends updates and deletes under the shared lock until stopped.
final class WriterThread: @unchecked Sendable {
    var log: Changelog
    let shared: SharedIndex
    let stop: ErrorBox
    var appends = 0
    var done = false
    var thread = pthread_t()
    init(log: Changelog, shared: SharedIndex, stop: ErrorBox) {
        self.log = log
        self.shared = shared
        self.stop = stop
    }
    func start() {
        let me = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { arg in
            let w = Unmanaged<WriterThread>.fromOpaque(arg!).takeRetainedValue()
            var i = 0
            while true {
                let finished = w.shared.withLock { idx -> Bool in
                    if w.done { return true }
                    let id = UInt64(i % 2500)
                    if i % 7 == 0 {
                        _ = try? w.log.append(.delete, payload: payload(id: id))
                        idx.index.remove(id)
                    } else if let r = try? w.log.append(.update, payload: payload(id: id, extra: Array("w\(i)".utf8))) {
                        idx.index.update(id, at: r.position, sequence: r.sequence)
                    }
                    w.appends += 1
                    return false
                }
                if finished { break }
                i += 1
                if i % 64 == 0 { usleep(100) }
            }
            return nil
        }, me)
    }
    func stopAndJoin() {
        shared.withLock { _ in done = true }
        pthread_join(thread, nil)
    }
}
