import Glibc
import Testing
@testable import Changelog
import Platform

/// Group commit by killing processes: a child appends from 16 threads at once and prints each
/// acknowledged record (`<sequence> <thread> <i>`); the parent SIGKILLs it at a random moment,
/// reopens the log and checks that it is a gap-free prefix of sequence numbers holding every
/// acknowledged record with the payload its thread wrote.
@Suite struct GroupCommitKillTests {
    @Test(arguments: ["always", "batch"])
    func killedConcurrentWritersLoseNoAcknowledgedRecord(durability: String) throws {
        let beryl = try #require(ChildProcess.sibling("beryl"), "build the beryl executable first (swift build)")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("kill16.log")
        var rng = SeededRandom(seed: 16 + UInt64(durability.utf8.count))
        var acknowledged: [UInt64: (thread: UInt64, i: UInt64)] = [:]
        for _ in 0..<crashRounds(12) {
            let child = try ChildProcess(beryl, ["log", "workload", path, "--durability", durability, "--threads", "16"])
            let stopAfter = Int.random(in: 16...400, using: &rng)
            var lines = 0
            while lines < stopAfter, let line = child.readLine() {
                let fields = line.split(separator: " ").compactMap { UInt64($0) }
                guard fields.count == 3 else { continue }
                #expect(acknowledged[fields[0]] == nil, "sequence \(fields[0]) acknowledged twice")
                acknowledged[fields[0]] = (fields[1], fields[2])
                lines += 1
            }
            child.kill()
            let log = try Changelog.open(at: path, configuration: .init(durability: .none))
            var expected: UInt64 = 1
            var found: [UInt64: (UInt64, UInt64)] = [:]
            try log.scan { r in
                let seq = r.sequence.rawValue
                #expect(seq == expected, "gap: \(seq) where \(expected) was due")
                expected = seq + 1
                if r.payload.count == 16 {
                    let c = ByteCursor(r.payload)
                    found[seq] = (c.u64(0), c.u64(8))
                }
                return true
            }
            for (seq, written) in acknowledged {
                guard let f = found[seq] else {
                    Issue.record("acknowledged sequence \(seq) was lost")
                    continue
                }
                #expect(f == written, "sequence \(seq) holds another record")
            }
            log.close()
            for name in FileSystem.list(dir.path) where name.contains(".torn-") { unlink(dir.file(name)) }
        }
        #expect(!acknowledged.isEmpty)
    }

    /// Under `always` too, 16 appenders share fdatasyncs (each covered by one that started after
    /// its write), and every append is durable when it returns.
    @Test func sixteenAlwaysAppendersShareSyncs() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try Changelog.open(at: dir.file("g.log"), configuration: .init(durability: .always))
        defer { log.close() }
        let threads = 16, perThread = 50
        let before = log.syncCount
        let workers = (0..<threads).map { t in
            BackgroundThread.startOrRunInline { () -> [UInt64] in
                var durableAtReturn: [UInt64] = []
                for i in 0..<perThread {
                    guard let r = try? log.append(.update, payload: ByteCursor.bytes(of: UInt64(t)) + ByteCursor.bytes(of: UInt64(i))) else { break }
                    // The acknowledgement point: the record's end is within the synced range.
                    if log.durableEnd.rawValue > r.position.offset.rawValue { durableAtReturn.append(r.sequence.rawValue) }
                }
                return durableAtReturn
            }
        }
        let durable = workers.flatMap { $0.join() }
        let syncs = log.syncCount - before
        #expect(durable.count == threads * perThread, "every append returns durable")
        #expect(syncs < threads * perThread, "\(syncs) fdatasyncs for \(threads * perThread) appends: no group commit")
    }
}
