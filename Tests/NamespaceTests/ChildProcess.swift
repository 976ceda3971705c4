import Changelog
import Glibc

/// A child process with its stdout on a pipe (a copy of the helper in ChangelogTests/KillTests,
/// plus `drain` to read what the child wrote before it died).
final class ChildProcess {
    let pid: pid_t
    let output: Int32
    var buffer: [UInt8] = []
    private var reaped = false

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

    /// SIGKILL and reap; the pipe stays open so `readLine` returns what is left, then nil.
    func kill() {
        guard !reaped else { return }
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        reaped = true
    }

    deinit {
        kill()
        close(output)
    }
}
