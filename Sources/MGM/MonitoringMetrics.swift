import Changelog
import Namespace
import Prometheus
import Synchronization
import Platform

/// One `ns stat -m` figure as a Prometheus metric.
struct MonitoringMetric: Sendable {
    enum Kind: Sendable {
        /// The number, times `scale` (milliseconds to seconds: 0.001).
        case gauge(scale: Double)
        /// A number that only grows while the server runs: the counter advances by its increase.
        case counter
        /// A word out of `values`: one series per value, `{<label>="<value>"}`, 1 for the current one.
        case state(label: String, values: [String])
    }

    /// The `ns stat -m` key, e.g. `ns.total.files`.
    let key: String
    let name: String
    let help: String
    let labels: [(String, String)]
    let kind: Kind

    /// A plain gauge.
    init(_ key: String, _ name: String, _ help: String) {
        self.init(key, name, [], .gauge(scale: 1), help)
    }

    init(_ key: String, _ name: String, _ labels: [(String, String)], _ kind: Kind, _ help: String) {
        self.key = key
        self.name = name
        self.labels = labels
        self.kind = kind
        self.help = help
    }
}

/// Every `ns stat -m` figure (the namespace's and the replication node's) and its metric. A key
/// missing here would be missing from /metrics: `MetricsTests` checks that none is.
enum MonitoringMetrics {
    static let files = [("log", "files")]
    static let directories = [("log", "directories")]

    static let table: [MonitoringMetric] = [
        .init("ns.total.files", "beryl_namespace_files", "Files in the namespace."),
        .init("ns.total.directories", "beryl_namespace_directories", "Directories (containers) in the namespace."),
        .init("ns.current.fid", "beryl_namespace_current_file_id", "The largest file id in use."),
        .init("ns.current.cid", "beryl_namespace_current_container_id", "The largest container id in use."),
        .init("ns.generated.fid", "beryl_namespace_files_created_total", [], .counter, "File ids handed out since boot."),
        .init("ns.generated.cid", "beryl_namespace_directories_created_total", [], .counter, "Container ids handed out since boot."),
        .init("ns.total.files.changelog.size", "beryl_changelog_bytes", files, .gauge(scale: 1),
              "Bytes of records in a changelog (not its preallocated file size)."),
        .init("ns.total.directories.changelog.size", "beryl_changelog_bytes", directories, .gauge(scale: 1),
              "Bytes of records in a changelog (not its preallocated file size)."),
        .init("ns.total.files.changelog.avg_entry_size", "beryl_changelog_entry_bytes", files, .gauge(scale: 1),
              "Changelog bytes per live entry (dead records included)."),
        .init("ns.total.directories.changelog.avg_entry_size", "beryl_changelog_entry_bytes", directories, .gauge(scale: 1),
              "Changelog bytes per live entry (dead records included)."),
        .init("ns.boot.status", "beryl_namespace_boot_state", [], .state(label: "state", values: ["down", "booting", "booted", "failed", "compacting"]),
              "The namespace's boot state (1 for the current one)."),
        .init("ns.boot.time", "beryl_namespace_boot_seconds", "Seconds the last boot took (whole seconds, as ns stat -m)."),
        .init("ns.boot.file.time", "beryl_namespace_boot_files_seconds", "Seconds the last boot spent on the files log."),
        .init("ns.memory.virtual", "beryl_memory_virtual_bytes", "Virtual memory of the server process."),
        .init("ns.memory.resident", "beryl_memory_resident_bytes", "Resident memory of the server process."),
        .init("ns.memory.share", "beryl_memory_shared_bytes", "Shared (file-backed) resident memory of the server process."),
        .init("ns.memory.growth", "beryl_memory_growth_bytes", "Virtual memory grown since the server started (0 when it shrank)."),
        .init("ns.stat.threads", "beryl_threads", "Threads of the server process."),
        .init("ns.compaction.status", "beryl_compaction_state", [],
              .state(label: "state", values: ["off", "wait", "starting", "compacting", "blocked", "failed"]),
              "Online compaction status (1 for the current one)."),
        .init("ns.compaction.waitstart", "beryl_compaction_wait_seconds", "Seconds until the next scheduled compaction."),
        .init("ns.compaction.interval", "beryl_compaction_interval_seconds", "Seconds between scheduled compactions (0: once)."),
        .init("ns.compaction.ratio.file", "beryl_compaction_ratio", files, .gauge(scale: 1),
              "Old size / new size of a log's last compaction (0 before the first)."),
        .init("ns.compaction.ratio.dir", "beryl_compaction_ratio", directories, .gauge(scale: 1),
              "Old size / new size of a log's last compaction (0 before the first)."),
        .init("ns.master.mode", "beryl_replication_mode", [], .state(label: "mode", values: Role.modes.map(\.rawValue)),
              "Whether this node serves read-write (master-rw), is a read-only master (master-ro) or a slave (slave-ro)."),
        .init("ns.master.sync_replication", "beryl_replication_sync_mode", [],
              .state(label: "mode", values: ["required", "preferred", "off"]),
              "What a mutation's acknowledgement waits for (--sync-replication; 1 for the current one)."),
        .init("ns.master.degraded", "beryl_replication_degraded",
              "1 while a preferred-mode master answers writes without its slave (they may be lost in a failover)."),
        .init("ns.master.fenced_by", "beryl_replication_fenced_by_epoch",
              "The newer epoch that fenced this node (0: not fenced); a fenced node accepts no writes."),
        .init("ns.sync.listening", "beryl_replication_sync_listening",
              "1 when this node has a sync listener (a pair member; a single master has none)."),
        .init("ns.master.state", "beryl_replication_state", [],
              .state(label: "state", values: Role.allCases.map(\.rawValue)),
              "The replication role state (1 for the current one)."),
        .init("ns.master.epoch", "beryl_replication_epoch", "The fencing epoch of this node's role."),
        .init("ns.latency.files", "beryl_replication_lag_bytes", files, .gauge(scale: 1),
              "Bytes of the master's log this slave has not applied yet (0 on a master)."),
        .init("ns.latency.dirs", "beryl_replication_lag_bytes", directories, .gauge(scale: 1),
              "Bytes of the master's log this slave has not applied yet (0 on a master)."),
        .init("ns.latency.files.records", "beryl_replication_lag_records", files, .gauge(scale: 1),
              "Records of the master's log this slave has not applied yet (0 on a master)."),
        .init("ns.latency.dirs.records", "beryl_replication_lag_records", directories, .gauge(scale: 1),
              "Records of the master's log this slave has not applied yet (0 on a master)."),
        .init("ns.latency.age_ms", "beryl_replication_lag_seconds", [], .gauge(scale: 0.001),
              "Age of the oldest change this slave has not applied yet (0 on a master)."),
        .init("ns.latency.pending", "beryl_replication_pending_updates",
              "Entries received by this slave and not yet visible in its namespace."),
        .init("ns.sync.connected", "beryl_replication_sync_connected", "1 while this slave's sync connection to its master is up."),
        .init("ns.sync.reconnects", "beryl_replication_sync_reconnects_total", [], .counter,
              "Sync connections this slave opened again after losing one."),
        .init("ns.sync.corrupt_chunks", "beryl_replication_sync_corrupt_chunks_total", [], .counter,
              "Sync chunks this slave refused (bad checksum or framing)."),
    ]
}

/// Samples the `ns stat -m` figures into the registry when /metrics is scraped, plus the figures
/// that `ns stat -m` does not print: completed compactions and fdatasyncs.
final class MonitoringSampler: Sendable {
    private enum Series: Sendable {
        case gauge(Gauge, scale: Double)
        case counter(Counter)
        case state([(value: String, gauge: Gauge)])
    }

    private let state: ServerState
    private let series: [String: Series]
    /// The last value a counter was advanced to, by key.
    private let counted = Mutex<[String: Double]>([:])
    private let compactions: Counter
    private let syncs: Counter
    private let counterBase = Mutex<(compactions: Int, syncs: Int)>((0, 0))

    init(registry: PrometheusCollectorRegistry, state: ServerState) {
        self.state = state
        var series: [String: Series] = [:]
        for metric in MonitoringMetrics.table {
            switch metric.kind {
            case .gauge(let scale):
                let gauge = registry.makeGauge(descriptor: .beryl(metric.name, metric.help), labels: metric.labels)
                series[metric.key] = .gauge(gauge, scale: scale)
            case .counter:
                let counter = registry.makeCounter(descriptor: .beryl(metric.name, metric.help), labels: metric.labels)
                series[metric.key] = .counter(counter)
            case .state(let label, let values):
                series[metric.key] = .state(values.map {
                    (value: $0, gauge: registry.makeGauge(descriptor: .beryl(metric.name, metric.help),
                                                          labels: metric.labels + [(label, $0)]))
                })
            }
        }
        self.series = series
        compactions = registry.makeCounter(
            descriptor: .beryl("beryl_compaction_runs_total", "Online compactions completed since the server started."))
        syncs = registry.makeCounter(
            descriptor: .beryl("beryl_fdatasync_total",
                               "fdatasync/fsync calls on the changelogs and the data directory since the process started."))
        let info = registry.makeGauge(descriptor: .beryl("beryl_build_info", "The server's version (always 1)."),
                                      labels: [("version", MGMVersion.string)])
        info.set(1.0)
    }

    /// The figures of `ns stat -m` now, into the registry.
    func sample() {
        let statistics = state.namespace.statistics()
        var pairs: [String: String] = [:]
        for (key, value) in statistics.monitoringPairs() { pairs[key] = value }
        for (key, value) in state.replication?.monitoringPairs ?? [] { pairs[key] = value }
        for metric in MonitoringMetrics.table {
            guard let target = series[metric.key] else { continue }
            // A figure this node does not print (a master has no replication lag) reads 0.
            let text = pairs[metric.key]
            switch target {
            case .gauge(let gauge, let scale):
                gauge.set((text.flatMap(Double.init) ?? 0) * scale)
            case .counter(let counter):
                guard let value = text.flatMap(Double.init) else { continue }
                advance(counter, key: metric.key, to: value)
            case .state(let values):
                for entry in values { entry.gauge.set(entry.value == text ? 1.0 : 0.0) }
            }
        }
        let (completed, synced) = (statistics.compaction.completedRuns, SystemFile.processSyncCount)
        let (compactionDelta, syncDelta) = counterBase.withLock { base -> (Int, Int) in
            let deltas = (max(0, completed - base.compactions), max(0, synced - base.syncs))
            base = (max(base.compactions, completed), max(base.syncs, synced))
            return deltas
        }
        if compactionDelta > 0 { compactions.increment(by: Int64(compactionDelta)) }
        if syncDelta > 0 { syncs.increment(by: Int64(syncDelta)) }
    }

    /// Counters only grow: a figure that went down (a follower restarted its count) is taken as the new base.
    private func advance(_ counter: Counter, key: String, to value: Double) {
        let delta = counted.withLock { last -> Double in
            let before = last[key] ?? 0
            last[key] = value
            return value > before ? value - before : 0
        }
        if delta > 0 { counter.increment(by: delta) }
    }
}
