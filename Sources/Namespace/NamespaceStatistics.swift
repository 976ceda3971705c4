import Platform

/// The figures of the legacy `ns` / `ns stat` command, gathered in one place so every front end
/// (CLI, XRootD admin command, monitoring) prints exactly the same text.
public struct NamespaceStatistics: Sendable, Equatable {
    public var state: BootState
    public var files: Int
    public var directories: Int
    /// Seconds: the whole boot, and the files log's scan (live while booting).
    public var bootSeconds: Double
    public var fileBootSeconds: Double
    public var filesChangelogBytes: UInt64
    public var directoriesChangelogBytes: UInt64
    public var currentFileID: UInt64
    public var currentContainerID: UInt64
    public var filesCreatedSinceBoot: UInt64
    public var containersCreatedSinceBoot: UInt64
    public var memory: SystemInfo.Memory
    /// Virtual memory grown since the namespace object was made (at server start), as the legacy
    /// `memory growths` (0 when it shrank: the legacy unsigned difference would wrap).
    public var memoryGrowth: UInt64
    /// Threads of the process.
    public var threads: Int
    public var compaction: CompactionStatus

    /// Log size per live entry (dead records included, as in the legacy output).
    public var averageFileEntryBytes: Double { files > 0 ? Double(filesChangelogBytes) / Double(files) : 0 }
    public var averageDirectoryEntryBytes: Double {
        directories > 0 ? Double(directoriesChangelogBytes) / Double(directories) : 0
    }

    public init(state: BootState, files: Int, directories: Int, bootSeconds: Double, fileBootSeconds: Double,
                filesChangelogBytes: UInt64, directoriesChangelogBytes: UInt64, currentFileID: UInt64,
                currentContainerID: UInt64, filesCreatedSinceBoot: UInt64 = 0, containersCreatedSinceBoot: UInt64 = 0,
                memory: SystemInfo.Memory, memoryGrowth: UInt64 = 0, threads: Int = 0,
                compaction: CompactionStatus = CompactionStatus()) {
        self.state = state
        self.files = files
        self.directories = directories
        self.bootSeconds = bootSeconds
        self.fileBootSeconds = fileBootSeconds
        self.filesChangelogBytes = filesChangelogBytes
        self.directoriesChangelogBytes = directoriesChangelogBytes
        self.currentFileID = currentFileID
        self.currentContainerID = currentContainerID
        self.filesCreatedSinceBoot = filesCreatedSinceBoot
        self.containersCreatedSinceBoot = containersCreatedSinceBoot
        self.memory = memory
        self.memoryGrowth = memoryGrowth
        self.threads = threads
        self.compaction = compaction
    }

    /// The human-readable form, the legacy layout line for line: the `# ----` header, "ALL" and a
    /// label padded so every value starts at byte 42 (0-based), groups separated by `# ....` lines.
    /// `replication` (label, value) lines (the server's `Replication` line and a slave's latency
    /// lines) go in their own group after `Compactification`, where the legacy MGM printed them; the
    /// console's local `ns` has none and prints no such group.
    public func formatted(replication: [(label: String, value: String)] = []) -> String {
        var lines = [Self.rule, "# Namespace Statistic", Self.rule]
        func line(_ label: String, _ value: String) {
            lines.append(Self.pad("ALL      " + label, to: Self.valueColumn) + value)
        }
        line("Files", "\(files) [\(state.rawValue)] (\(Self.seconds(fileBootSeconds))s)")
        line("Directories", "\(directories)")
        line("Total boot time", "\(Self.seconds(bootSeconds)) s")
        lines.append(Self.dots)
        line("Compactification", compactionText)
        lines.append(Self.dots)
        if !replication.isEmpty {
            for (label, value) in replication { line(label, value) }
            lines.append(Self.dots)
        }
        line("File Changelog Size", Self.readableSize(filesChangelogBytes))
        line("Dir  Changelog Size", Self.readableSize(directoriesChangelogBytes))
        lines.append(Self.dots)
        line("avg. File Entry Size", Self.readableSize(UInt64(averageFileEntryBytes)))
        line("avg. Dir  Entry Size", Self.readableSize(UInt64(averageDirectoryEntryBytes)))
        lines.append(Self.rule)
        line("files created since boot", "\(filesCreatedSinceBoot)")
        line("container created since boot", "\(containersCreatedSinceBoot)")
        line("current file id", "\(currentFileID)")
        line("current container id", "\(currentContainerID)")
        lines.append(Self.rule)
        line("memory virtual", Self.readableSize(memory.virtual))
        line("memory resident", Self.readableSize(memory.resident))
        line("memory share", Self.readableSize(memory.shared))
        line("memory growths", Self.readableSize(memoryGrowth))
        line("threads", "\(threads)")
        lines.append(Self.rule)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The legacy decoration lines: `# ` and 84 dashes or dots.
    public static let rule = "# " + String(repeating: "-", count: 84)
    public static let dots = "# " + String(repeating: ".", count: 84)

    /// The value of the `Compactification` line.
    public var compactionText: String {
        "status=\(compaction.state.rawValue) waitstart=\(compaction.secondsUntilStart) interval=\(compaction.interval) "
            + "ratio-file=\(Self.ratio(compaction.filesRatio)):1 ratio-dir=\(Self.ratio(compaction.directoriesRatio)):1"
    }

    /// The monitoring form (`ns -m`): one `key=value` pair per line, raw numbers.
    public func monitoringPairs() -> [(key: String, value: String)] {
        [
            ("ns.total.files", "\(files)"),
            ("ns.total.directories", "\(directories)"),
            ("ns.current.fid", "\(currentFileID)"),
            ("ns.current.cid", "\(currentContainerID)"),
            ("ns.generated.fid", "\(filesCreatedSinceBoot)"),
            ("ns.generated.cid", "\(containersCreatedSinceBoot)"),
            ("ns.total.files.changelog.size", "\(filesChangelogBytes)"),
            ("ns.total.directories.changelog.size", "\(directoriesChangelogBytes)"),
            ("ns.total.files.changelog.avg_entry_size", "\(UInt64(averageFileEntryBytes))"),
            ("ns.total.directories.changelog.avg_entry_size", "\(UInt64(averageDirectoryEntryBytes))"),
            ("ns.boot.status", state.rawValue),
            ("ns.boot.time", "\(Int(bootSeconds.rounded()))"),
            ("ns.boot.file.time", "\(Int(fileBootSeconds.rounded()))"),
            ("ns.memory.virtual", "\(memory.virtual)"),
            ("ns.memory.resident", "\(memory.resident)"),
            ("ns.memory.share", "\(memory.shared)"),
            ("ns.memory.growth", "\(memoryGrowth)"),
            ("ns.stat.threads", "\(threads)"),
            ("ns.compaction.status", compaction.state.rawValue),
            ("ns.compaction.waitstart", "\(compaction.secondsUntilStart)"),
            ("ns.compaction.interval", "\(compaction.interval)"),
            ("ns.compaction.ratio.file", Self.ratio(compaction.filesRatio)),
            ("ns.compaction.ratio.dir", Self.ratio(compaction.directoriesRatio)),
        ]
    }

    public func monitoringFormatted() -> String {
        monitoringPairs().map { "\($0.key)=\($0.value)" }.joined(separator: "\n") + "\n"
    }

    // MARK: Formatting helpers

    /// Byte column where values start (0-based).
    public static let valueColumn = 42

    static func pad(_ s: String, to width: Int) -> String {
        let n = s.utf8.count
        return n >= width ? s + " " : s + String(repeating: " ", count: width - n)
    }

    /// Seconds with two decimals (no Foundation).
    static func seconds(_ s: Double) -> String {
        let hundredths = Int((max(s, 0) * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// One decimal (no Foundation): "4.2".
    static func ratio(_ x: Double) -> String {
        let tenths = Int((max(x.isFinite ? x : 0, 0) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// Decimal units as the legacy `GetReadableSizeString`: "512 B", "79.85 kB", "1.23 MB".
    public static func readableSize(_ bytes: UInt64) -> String {
        let units = ["kB", "MB", "GB", "TB", "PB", "EB"]
        guard bytes >= 1000 else { return "\(bytes) B" }
        var value = Double(bytes) / 1000
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return "\(seconds(value)) \(units[unit])"
    }
}

extension Namespace {
    /// The current statistics (times are live while booting).
    public func statistics() -> NamespaceStatistics {
        let config = configuration
        let (state, report, files, dirs, fid, cid, genF, genC, started) = lock.withReadLock {
            (self.state, self.report, tree.files.count, tree.containers.count, tree.files.largestID,
             tree.containers.largestID, tree.files.largestID + 1 - min(firstFileIDAtBoot, tree.files.largestID + 1),
             tree.containers.largestID + 1 - min(firstContainerIDAtBoot, tree.containers.largestID + 1), bootStarted)
        }
        // The bytes of records, not the file's size, which includes space preallocated for appends.
        let (filesEnd, dirsEnd) = lock.withReadLock { (filesLog?.end.rawValue, directoriesLog?.end.rawValue) }
        let live = state == .booting ? MonotonicClock.seconds() - started : nil
        let memory = SystemInfo.memory()
        return NamespaceStatistics(state: state, files: files, directories: dirs,
                                   bootSeconds: live ?? report.seconds, fileBootSeconds: live ?? report.fileSeconds,
                                   filesChangelogBytes: filesEnd ?? FileSystem.size(config.filesLogPath) ?? 0,
                                   directoriesChangelogBytes: dirsEnd ?? FileSystem.size(config.directoriesLogPath) ?? 0,
                                   currentFileID: fid, currentContainerID: cid, filesCreatedSinceBoot: genF,
                                   containersCreatedSinceBoot: genC, memory: memory,
                                   memoryGrowth: memory.virtual > startupVirtualMemory ? memory.virtual - startupVirtualMemory : 0,
                                   threads: SystemInfo.threads(), compaction: compactionStatus)
    }
}
