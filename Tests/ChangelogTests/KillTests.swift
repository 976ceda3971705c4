import Glibc
import Testing
@testable import Changelog
import Platform

/// Durability by killing processes: a child appends and prints each acknowledged sequence; the
/// parent SIGKILLs it at a random moment, reopens the log and checks that it holds a gap-free
/// prefix of the sequence that includes every acknowledged record.
@Suite struct KillTests {
    @Test(arguments: ["always", "batch", "none"])
    func killedWriterLosesNoAcknowledgedRecord(durability: String) throws {
        let beryl = try #require(ChildProcess.sibling("beryl"), "build the beryl executable first (swift build)")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("kill.log")
        var rng = SeededRandom(seed: UInt64(durability.utf8.count))
        var acknowledged: UInt64 = 0
        for _ in 0..<crashRounds(70) {
            let child = try ChildProcess(beryl, ["log", "workload", path, "--durability", durability])
            let stopAfter = Int.random(in: 1...150, using: &rng)
            var lines = 0
            while lines < stopAfter, let line = child.readLine() {
                guard let seq = UInt64(line) else { continue }
                #expect(seq == acknowledged + 1, "acknowledgements must be consecutive")
                acknowledged = seq
                lines += 1
            }
            child.kill()
            // Reopen for append (cuts a torn tail) and check the prefix property.
            let log = try Changelog.open(at: path, configuration: .init(durability: .none))
            var expected: UInt64 = 1
            var ok = true
            try log.scan { r in
                let seq = r.sequence.rawValue
                let body = [UInt8](repeating: UInt8(truncatingIfNeeded: seq), count: Int(seq % 300))
                if seq != expected || r.id != seq || Array(r.payload.dropFirst(8)) != body { ok = false }
                expected += 1
                return ok
            }
            #expect(ok, "log is not a gap-free prefix")
            #expect(log.lastSequence.rawValue >= acknowledged, "an acknowledged record was lost")
            acknowledged = log.lastSequence.rawValue
            log.close()
            for name in FileSystem.list(dir.path) where name.contains(".torn-") { unlink(dir.file(name)) }
        }
        #expect(acknowledged > 0)
    }
}
