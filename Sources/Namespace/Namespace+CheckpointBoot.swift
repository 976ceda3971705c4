import Changelog
import Platform

/// Boot from a checkpoint: load the newest checkpoint whose log marks match the live logs, then
/// replay only the records after those marks, applied in place like a replica's (ReplicaApply.swift).
/// Anything that does not fit (no checkpoint, a damaged or mismatched one, a tail that does not
/// decode or leaves an entry unattached on a master) ends in a full replay, never in a different
/// namespace. Exactly one line says which way boot went.
extension Namespace {
    /// What `checkpointBoot` found: a loaded state, or why the full replay runs.
    enum CheckpointBootOutcome {
        case loaded(Loaded, line: String)
        case fullReplay(line: String, warning: Bool)
    }

    func checkpointBoot() -> CheckpointBootOutcome {
        let config = configuration
        let all = CheckpointFile.list(in: config.directory)
        guard !all.isEmpty else { return .fullReplay(line: "boot: no checkpoint; full replay of the logs", warning: false) }
        var reasons: [String] = []
        for path in all {
            let start = MonotonicClock.seconds()
            do throws(CheckpointError) {
                let opened = try CheckpointFile.open(path)
                for (mark, log) in [(opened.header.files, config.filesLogPath), (opened.header.directories, config.directoriesLogPath)] {
                    if let why = Self.mismatch(of: mark, logAt: log) { throw CheckpointError(path: path, reason: why) }
                }
                var tree = try CheckpointFile.loadTree(opened)
                let loadSeconds = MonotonicClock.seconds() - start
                switch replayTail(into: &tree, header: opened.header) {
                case .success(let loaded):
                    var l = loaded
                    l.checkpointSeconds = loadSeconds
                    l.tree = tree
                    l.checkpointPath = path
                    let line = "boot: loaded checkpoint \(path) (\(tree.files.count) files, \(tree.containers.count) containers) "
                        + "in \(NamespaceStatistics.seconds(loadSeconds)) s; replayed \(l.files.records + l.containers.records) "
                        + "records after it" + (reasons.isEmpty ? "" : " (newer ones not used: \(reasons.joined(separator: "; ")))")
                    return .loaded(l, line: line)
                case .failure(let error):
                    throw error
                }
            } catch {
                reasons.append(error.description)
            }
        }
        return .fullReplay(line: "boot: checkpoint not used: \(reasons.joined(separator: "; ")); full replay of the logs", warning: true)
    }

    /// Opens both logs from the checkpoint's marks and applies the records after them to `tree`
    /// (directories first, so the files' parents are there). On failure the logs are closed again.
    private func replayTail(into tree: inout NamespaceTree, header: CheckpointHeader) -> Result<Loaded, CheckpointError> {
        let config = configuration
        var pending = PendingEntries()
        var opened: [Changelog] = []
        func fail(_ why: String) -> Result<Loaded, CheckpointError> {
            for log in opened { log.close() }
            return .failure(CheckpointError(path: config.directory, reason: why))
        }
        var outcomes: [ContentKind: (log: Changelog, records: Int, seconds: Double, warnings: [String])] = [:]
        for (kind, mark, path) in [(ContentKind.directories, header.directories, config.directoriesLogPath),
                                   (ContentKind.files, header.files, config.filesLogPath)] {
            let start = MonotonicClock.seconds()
            var records = 0
            var failure: CodecError?
            var failedAt: LogPosition?
            let log: Changelog
            do {
                log = try Changelog.open(at: path, configuration: config.changelogConfiguration(kind),
                                         resumingAt: ResumePoint(offset: mark.end, lastSequence: mark.lastSequence)) { r in
                    records += 1
                    guard failure == nil else { return }
                    do throws(CodecError) {
                        try tree.applyReplicated(r, containers: kind == .directories, pending: &pending)
                    } catch {
                        failure = error
                        failedAt = r.position
                    }
                }
            } catch {
                return fail("\(path) does not open after the checkpoint's position: \(error)")
            }
            opened.append(log)
            if let failure { return fail("\(path) at \(failedAt.map(String.init(describing:)) ?? "?"): undecodable record: \(failure)") }
            var warnings: [String] = []
            if let torn = log.openReport.tornTail { warnings.append("\(path): \(torn)") }
            for span in log.openReport.damagedSpans { warnings.append("\(path): \(span)") }
            outcomes[kind] = (log, records, MonotonicClock.seconds() - start, warnings)
        }
        tree.retryPending(&pending)
        if config.role != .slaveReadOnly {
            // A master's full replay relocates what cannot be attached: leave that to it.
            if pending.count > 0 { return fail("the records after it leave \(pending.count) entries unattached") }
            tree.pendingParentTimes = [:]
        }
        guard let f = outcomes[.files], let d = outcomes[.directories] else { return fail("a log did not open") }
        var files = LogLoader<FileRow>.Outcome()
        files.log = f.log
        files.records = f.records
        files.seconds = f.seconds
        files.warnings = f.warnings
        var containers = LogLoader<ContainerRow>.Outcome()
        containers.log = d.log
        containers.records = d.records
        containers.seconds = d.seconds
        containers.warnings = d.warnings
        var attach = AttachOutcome()
        for id in pending.containers { if let row = tree.containers.row(of: id) { attach.unattached.append(.container(row)) } }
        for id in pending.files { if let row = tree.files.row(of: id) { attach.unattached.append(.file(row)) } }
        return .success(Loaded(tree: NamespaceTree(), files: files, containers: containers, attach: attach,
                               attachSeconds: 0, recovery: []))
    }
}
