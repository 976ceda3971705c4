import Glibc
import Logging
import Namespace
import Replication
import XRootD

/// Runs admin commands (`ns`, `ns stat [-m]`, `ns master ...`, `access ls|set|rm ...`, `chown`) against the
/// server state. Authorization is checked by the caller.
struct AdminCommands {
    let state: ServerState
    var logger = Logger(label: "beryl.mgm")

    func run(_ request: AdminRequest) -> AdminResult {
        var words = request.words[...]
        switch words.popFirst() {
        case "ns": return ns(Array(words))
        case "access": return access(Array(words))
        case "chown": return chown(Array(words))
        case "fileinfo": return fileinfo(Array(words))
        case let other:
            return .failure(EINVAL, "unknown admin command '\(other ?? "")' (known: ns, access, chown, fileinfo)")
        }
    }

    // MARK: ns

    private func ns(_ words: [String]) -> AdminResult {
        let monitoring = words.contains("-m")
        let rest = words.filter { $0 != "-m" }
        switch rest.first {
        case nil, "stat":
            if rest.count > 1, rest[1] != "-a" { return .failure(EINVAL, "usage: ns [stat] [-m]") }
            return AdminResult(stdout: statistics(monitoring: monitoring))
        case "master":
            return master(Array(rest.dropFirst()))
        case "compact":
            return compact(Array(rest.dropFirst()))
        case let other:
            return .failure(EINVAL, "unknown ns subcommand '\(other!)' (known: stat, master, compact)")
        }
    }

    func statistics(monitoring: Bool) -> String {
        let stats = state.namespace.statistics()
        if monitoring {
            let pairs = state.replication?.monitoringPairs ?? []
            return stats.monitoringFormatted() + pairs.map { "\($0.0)=\($0.1)\n" }.joined()
        }
        // The Replication line (and a slave's latency lines) in their legacy group, after Compactification.
        return stats.formatted(replication: [("Replication", state.replicationStatus)] + (state.replication?.slaveLines ?? []))
    }

    /// `ns compact off` / `ns compact on <delay> [<interval>] [<type>]`, the legacy interface.
    private func compact(_ words: [String]) -> AdminResult {
        guard let scheduler = state.compactionScheduler else {
            return .failure(EIO, "ns compact: the compaction scheduler could not be started (see the server log)")
        }
        do throws(NamespaceError) {
            let schedule = try scheduler.execute(words.joined(separator: " "))
            guard let schedule else {
                state.masterLog.append("compaction schedule: off")
                return AdminResult(stdout: "success: disabled online compacting\n")
            }
            let delay = max(0, schedule.start - Timestamp.now().seconds)
            state.masterLog.append("compaction schedule: \(schedule)")
            var text = "success: configured online compacting to run in \(delay) seconds from now (might be delayed up to 60 seconds)"
            if schedule.interval > 0 { text += " (re-compact every \(schedule.interval) seconds)" }
            return AdminResult(stdout: text + "\n")
        } catch {
            return .failure(error.errno, "ns compact: \(error) (types: files, directories, all, files-repair, directories-repair, all-repair)")
        }
    }

    private func master(_ words: [String]) -> AdminResult {
        switch words.first {
        case nil, "--log":
            return AdminResult(stdout: state.masterLog.text)
        case "--log-clear":
            state.masterLog.clear()
            return AdminResult(stdout: "success: cleared the master log\n")
        case "--enable", "--disable":
            let enable = words[0] == "--enable"
            guard let node = state.replication else { return .failure(EIO, "ns master: replication is not running") }
            node.supervisorIsEnabled = enable
            return AdminResult(stdout: "success: remote master check \(enable ? "enabled" : "disabled")"
                               + (node.remote == nil ? " (no remote master is configured)" : "") + "\n")
        case "--sync":
            guard words.count == 2, let mode = SyncReplicationMode(rawValue: words[1]) else {
                return .failure(EINVAL, "usage: ns master --sync required|preferred|off")
            }
            guard let node = state.replication else { return .failure(EIO, "ns master: replication is not running") }
            return Self.answer(node.setSyncMode(mode))
        case let target?:
            let usage = "usage: ns master <host:port> [--force] [--discard-divergent]"
            guard let endpoint = Endpoint(parsing: target) else { return .failure(EINVAL, usage) }
            var options = RoleChangeOptions()
            for word in words.dropFirst() {
                switch word {
                case "--force": options.force = true
                case "--discard-divergent": options.discardDivergent = true
                default: return .failure(EINVAL, "ns master: unexpected '\(word)'; \(usage)")
                }
            }
            guard let node = state.replication else { return .failure(EIO, "ns master: replication is not running") }
            return Self.answer(node.changeMaster(to: endpoint, options: options))
        }
    }

    private static func answer(_ result: RoleChangeResult) -> AdminResult {
        switch result {
        case .success(let text): return AdminResult(stdout: text)
        case .failure(let code, let message): return .failure(code, message)
        }
    }

    // MARK: access

    private func access(_ words: [String]) -> AdminResult {
        let usage = "usage: access ls | access set redirect <host:port> [r|w|ENOENT] | access set stall <seconds> [r|w|ENOENT]"
            + " | access rm redirect|stall [r|w|ENOENT]"
        switch (words.first, words.count > 1 ? words[1] : nil) {
        case (nil, _), ("ls", _):
            return AdminResult(stdout: state.access.rules.listing())
        case ("set", "redirect"):
            guard words.count >= 3, let target = Endpoint(parsing: words[2]),
                  let scope = AccessScope(commandWord: words.count > 3 ? words[3] : nil) else {
                return .failure(EINVAL, usage)
            }
            state.access.setRedirect(scope, to: target)
            state.masterLog.append("access set redirect \(scope.rawValue) => \(target)")
            return AdminResult(stdout: "success: redirect \(scope.rawValue) => \(target)\n")
        case ("set", "stall"):
            guard words.count >= 3, let seconds = Int(words[2]), seconds >= 0,
                  let scope = AccessScope(commandWord: words.count > 3 ? words[3] : nil), scope != .notFound else {
                return .failure(EINVAL, usage)
            }
            state.access.setStall(scope, seconds: seconds)
            state.masterLog.append("access set stall \(scope.rawValue) => \(seconds)")
            return AdminResult(stdout: "success: stall \(scope.rawValue) => \(seconds)\n")
        case ("rm", let kind?) where kind == "redirect" || kind == "stall":
            guard let scope = AccessScope(commandWord: words.count > 2 ? words[2] : nil) else {
                return .failure(EINVAL, usage)
            }
            if kind == "redirect" { state.access.removeRedirect(scope) } else { state.access.removeStall(scope) }
            state.masterLog.append("access rm \(kind) \(scope.rawValue)")
            return AdminResult(stdout: "success: removed \(kind) \(scope.rawValue)\n")
        default:
            return .failure(EINVAL, usage)
        }
    }
}
