import Foundation
import Glibc
import MGM
import Testing
import XRootD

extension MGMNode {
    /// A single master (`--master1` = `--master2` = itself) in its own process, tagged and started,
    /// with `arguments` added to `serve` and `environment` added to its environment.
    /// `prepare` runs on the empty data directory first (to mount a small file system on it).
    static func singleMaster(arguments: [String] = [], environment: [String: String] = [:], durability: String = "batch",
                             prepare: (String) throws -> Void = { _ in }) throws -> MGMNode {
        let node = try MGMNode(secretFile: "")
        try prepare(node.directory)
        node.secretFile = node.directory + "/sync.secret"
        try "single-secret\n".write(toFile: node.secretFile, atomically: true, encoding: .utf8)
        chmod(node.secretFile, 0o600)
        node.peers = (node.endpoint, node.endpoint)
        node.extraArguments = arguments
        node.environment = environment
        node.durability = durability
        try node.tag("master")
        try node.start()
        return node
    }

    var processID: pid_t? { process?.processIdentifier }

    /// The child's resident memory (`VmRSS` of /proc/PID/status), in bytes; 0 when unknown.
    var residentBytes: Int {
        guard let pid = processID,
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (line.split(separator: " ").compactMap { Int($0) }.first ?? 0) * 1024
    }

    /// SIGTERM, then waits up to `timeout` for the process to exit on its own; the seconds it took,
    /// or nil when it did not exit (it is then killed).
    func terminateTimed(timeout: Duration = .seconds(10)) -> (seconds: Double, status: Int32)? {
        guard let p = process else { return nil }
        let start = ContinuousClock.now
        kill(p.processIdentifier, SIGTERM)
        while p.isRunning, ContinuousClock.now - start < timeout { usleep(10_000) }
        let elapsed = ContinuousClock.now - start
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            process = nil
            return nil
        }
        p.waitUntilExit()
        process = nil
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (seconds, p.terminationStatus)
    }

    /// The lines of `ns master --log` (the master log) that contain `text`.
    func masterLogLines(containing text: String) throws -> [String] {
        try admin(["ns", "master", "--log"]).stdout.split(separator: "\n").map(String.init).filter { $0.contains(text) }
    }

    /// The service log (`serve`'s standard error) so far.
    var serviceLog: String { (try? String(contentsOfFile: directory + "/serve.log", encoding: .utf8)) ?? "" }
}

/// The server error carried by a failed client call (nil when it succeeded or failed otherwise).
func serverErrorOf(_ body: () throws -> Void) -> ServerError? {
    do {
        try body()
        return nil
    } catch let error as XRootDError {
        return error.serverError
    } catch {
        return nil
    }
}
