import Changelog
import Platform

extension Namespace {
    /// Boots the namespace in `configuration.directory` and returns it booted.
    public static func boot(_ configuration: NamespaceConfiguration) throws(NamespaceError) -> Namespace {
        let ns = Namespace(configuration: configuration)
        try ns.boot()
        return ns
    }

    /// Boots `configuration`, closes the namespace again and returns what the boot measured
    /// (seconds per phase, records scanned): the entry point for boot benchmarks.
    public static func measureBoot(_ configuration: NamespaceConfiguration) throws(NamespaceError) -> BootReport {
        let ns = try boot(configuration)
        defer { ns.close() }
        return ns.bootReport
    }

    /// A namespace in state `down`; call `boot()` to load it (statistics show `booting` meanwhile).
    public convenience init(_ configuration: NamespaceConfiguration) {
        self.init(configuration: configuration)
    }

    /// Loads both logs (one verifying scan each, concurrently on two threads), decodes every
    /// record straight from the mapping into the compact tables, then attaches entries to their
    /// parents, re-attaching broken ones under /lost+found. In read-write mode the repairs (and
    /// a missing root) are written to the logs as update records.
    @discardableResult
    public func boot() throws(NamespaceError) -> BootReport {
        try lock.withWriteLock { () throws(NamespaceError) in
            guard state == .down || state == .failed else { throw .invalidArgument("namespace is \(state.rawValue)") }
            guard configuration.role.mode == configuration.role else {
                throw .invalidArgument("a namespace cannot boot as \(configuration.role.rawValue)")
            }
            state = .booting
            bootTime = Timestamp.now()
            bootStarted = MonotonicClock.seconds()
        }
        let start = lock.withReadLock { bootStarted }
        do throws(NamespaceError) {
            let outcome = try loadAndAttach()
            let report = try mutate { () throws(NamespaceError) -> BootReport in
                try install(outcome, start: start)
            }
            return report
        } catch {
            lock.withWriteLock {
                filesLog = nil
                directoriesLog = nil
                tree = NamespaceTree()
                state = .failed
            }
            throw error
        }
    }

    struct Loaded {
        var tree: NamespaceTree
        var files: LogLoader<FileRow>.Outcome
        var containers: LogLoader<ContainerRow>.Outcome
        var attach: AttachOutcome
        var attachSeconds: Double
        var recovery: [String]
        /// The checkpoint boot loaded (nil: full replay), and the seconds its load took.
        var checkpointPath: String? = nil
        var checkpointSeconds = 0.0
        /// The one line that says which way boot went (checkpoint or full replay, and why).
        var pathLine = ""
        var pathLineIsWarning = false
    }

    private func loadAndAttach() throws(NamespaceError) -> Loaded {
        let config = configuration
        var recovery: [String] = []
        if !config.opensLogsReadOnly {
            do { try FileSystem.createDirectory(config.directory) } catch { throw .log(ChangelogError(error)) }
            // A compaction killed mid-way: remove an unfinished `.oc`, or finish a swap that fell
            // between its two renames, before anything opens the live logs.
            for path in [config.filesLogPath, config.directoriesLogPath] {
                do {
                    if let done = try Compactor.recoverInterruptedSwap(livePath: path) { recovery.append(done) }
                } catch {
                    throw .log(error)
                }
            }
            // A checkpoint write cut short: never under a checkpoint's name, so only the temporary goes.
            let unfinished = config.directory + "/" + CheckpointFile.temporaryName
            if FileSystem.entryExists(unfinished) {
                try? FileSystem.remove(unfinished)
                recovery.append("removed unfinished checkpoint \(unfinished)")
            }
        }
        // Before anything opens (and so creates) a log: a lost log is refused, not repaired.
        if config.role != .slaveReadOnly && !config.allowMissingLog, let finding = LogPairCheck.check(config) {
            throw .incompleteLogPair(finding)
        }
        let fullReplayLine: String
        let fullReplayWarning: Bool
        switch checkpointBoot() {
        case .loaded(var loaded, let line):
            loaded.recovery = recovery
            loaded.pathLine = line
            return loaded
        case .fullReplay(let line, let warning):
            fullReplayLine = line
            fullReplayWarning = warning
        }
        let containerLoader = LogLoader<ContainerRow>(path: config.directoriesLogPath,
                                                      configuration: config.changelogConfiguration(.directories),
                                                      bytesPerRecordGuess: 96)
        let fileLoader = LogLoader<FileRow>(path: config.filesLogPath, configuration: config.changelogConfiguration(.files),
                                            bytesPerRecordGuess: 96)
        let background = BackgroundThread.startOrRunInline { containerLoader.load() }
        var files = fileLoader.load()
        var containers = background.join()
        if let error = containers.error ?? files.error { throw error }
        var tree = NamespaceTree()
        tree.files = files.table
        tree.containers = containers.table
        files.table = RowTable()
        containers.table = RowTable()
        // After both logs: the order in which they are read does not matter (ParentTimes.swift).
        tree.applyParentEffects(files.effects, pendingUntilArrival: config.role == .slaveReadOnly)
        tree.applyParentEffects(containers.effects, pendingUntilArrival: config.role == .slaveReadOnly)
        let attachStart = MonotonicClock.seconds()
        let attach = tree.attachAll(now: Timestamp.now(), relocating: config.role != .slaveReadOnly)
        return Loaded(tree: tree, files: files, containers: containers, attach: attach,
                      attachSeconds: MonotonicClock.seconds() - attachStart, recovery: recovery,
                      pathLine: fullReplayLine, pathLineIsWarning: fullReplayWarning)
    }

    /// Lock held: makes the loaded state current and persists repairs.
    private func install(_ loaded: Loaded, start: Double) throws(NamespaceError) -> BootReport {
        tree = loaded.tree
        // Serving: no mutation may copy a whole arena under the write lock (see `ArenaReclaim`).
        tree.files.reclaim = .incremental
        tree.containers.reclaim = .incremental
        filesLog = loaded.files.log
        directoriesLog = loaded.containers.log
        var r = BootReport()
        r.fileRecords = loaded.files.records
        r.containerRecords = loaded.containers.records
        r.fileSeconds = loaded.files.seconds
        r.containerSeconds = loaded.containers.seconds
        r.attachSeconds = loaded.attachSeconds
        r.repairs = loaded.attach.repairs
        r.logWarnings = loaded.files.warnings + loaded.containers.warnings
        r.compactionRecovery = loaded.recovery
        for line in loaded.recovery { masterLog.log(.warning, "boot: \(line)") }
        masterLog.log(loaded.pathLineIsWarning ? .warning : .info, loaded.pathLine)
        r.checkpointPath = loaded.checkpointPath
        r.checkpointSeconds = loaded.checkpointSeconds
        r.path = loaded.pathLine
        pendingEntries = PendingEntries()
        for ref in loaded.attach.unattached {
            if ref.isContainer { pendingEntries.containers.insert(tree.id(ref)) } else { pendingEntries.files.insert(tree.id(ref)) }
        }
        if !loaded.attach.repairs.isEmpty {
            // Said before anything is written, so the operator learns why the tree changed.
            let orphans = loaded.attach.repairs.filter { $0.reason == .orphan }.count
            let records = loaded.attach.touchedContainers.count + loaded.attach.touchedFiles.count
            let what = "\(loaded.attach.repairs.count) entries to /lost+found (\(orphans) whose parent is missing or not "
                + "reachable from the root, \(loaded.attach.repairs.count - orphans) name conflicts)"
            masterLog.log(.warning, configuration.role == .masterReadWrite
                ? "boot: moving \(what); writing \(records) repair records to the logs"
                : "boot: placing \(what) in memory only (read-only boot)")
        }
        if configuration.role == .masterReadWrite {
            // Parents before children, so a crash mid-repair never leaves a record naming a
            // container that has no record yet.
            for row in loaded.attach.touchedContainers.sorted(by: { tree.containers.rows[$0].id < tree.containers.rows[$1].id }) {
                try appendContainer(tree.containers.rows[row], extrasOf: row)
            }
            for row in loaded.attach.touchedFiles.sorted() {
                try appendFile(tree.files.rows[row], extrasOf: row)
            }
            r.repairsPersisted = !(loaded.attach.touchedContainers.isEmpty && loaded.attach.touchedFiles.isEmpty)
        }
        r.files = tree.files.count
        r.containers = tree.containers.count
        firstFileIDAtBoot = tree.files.largestID + 1
        firstContainerIDAtBoot = tree.containers.largestID + 1
        r.seconds = MonotonicClock.seconds() - start
        report = r
        state = .booted
        return r
    }
}
