import Glibc
import Testing
@testable import Changelog

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
        for _ in 0..<70 {
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

/// A child process with its stdout on a pipe.
final class ChildProcess {
    let pid: pid_t
    let output: Int32
    var buffer: [UInt8] = []

    /// An executable next to the running test binary (SwiftPM puts all products in one folder).
    static func sibling(_ name: String) -> String? {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count)
        guard n > 0 else { return nil }
        let exe = String(decoding: buf[0..<n], as: UTF8.self)
        let path = FileSystem.directory(of: exe) + "/" + name
        return access(path, X_OK) == 0 ? path : nil
    }

    init(_ executable: String, _ arguments: [String]) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ChangelogError(.io, path: executable, errno: errno, detail: "pipe") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        posix_spawn_file_actions_destroy(&actions)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw ChangelogError(.io, path: executable, errno: rc, detail: "posix_spawn")
        }
        self.pid = pid
        self.output = fds[0]
    }

    /// The next line of output, or nil at end of output.
    func readLine() -> String? {
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(output, &chunk, chunk.count)
            if n <= 0 { return nil }
            buffer += chunk[0..<n]
        }
    }

    func kill() {
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(output)
    }

    deinit {}
}
