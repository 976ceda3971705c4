import ArgumentParser
import CPeers
import CompareSupport
import Changelog
import Foundation
import Glibc
import Namespace
import Platform

/// `beryl-compare [--quick]`: the same namespace workload against Beryl, RocksDB and SQLite.
@main
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beryl-compare",
        abstract: "Beryl beside RocksDB (WAL, sync off/on) and SQLite (WAL, NORMAL/FULL): bulk load, random updates, synced updates, reopen-to-ready, compaction, disk size.")
    @Flag(help: "200,000 files instead of 1,000,000 (under a minute).") var quick = false
    @Option(help: "Synced updates per thread and round in the 16-writer phase (default 25 with --quick, else 100).")
    var synced16PerThread: Int?

    func run() throws {
        let files = quick ? 200_000 : 1_000_000
        let updates = files / 2
        let synced = quick ? 500 : 2_000
        let dir = scratchDirectory("compare")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SystemRandomNumberGenerator()
        let updateIDs = (0..<updates).map { _ in Int.random(in: 0..<files, using: &rng) }
        let syncedIDs = (0..<synced).map { _ in Int.random(in: 0..<files, using: &rng) }
        let dirs = max(1, files / 1000)

        // Beryl: the namespace API, durability none (as the peers' unsynced modes), then always.
        let data = dir + "/beryl"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let ourWritesBefore = deviceWriteBytes()
        var ns = try Namespace.boot(NamespaceConfiguration(directory: data, durability: .none))
        var containers: [ContainerID] = []
        for d in 0..<dirs { containers.append(try ns.createContainer("/eos/run\(d)", missingParents: .create)) }
        var ids: [FileID] = []
        ids.reserveCapacity(files)
        let ourLoad = try measure {
            for n in 0..<files {
                let f = Workload.file(n, version: 0)
                ids.append(try ns.createFile(named: f.name, in: containers[n % dirs],
                                             attributes: CreationAttributes(uid: f.uid, gid: f.gid, layoutID: f.layoutID, xattrs: f.xattrs)))
            }
        }
        let ourUpdate = try measure { for (i, n) in updateIDs.enumerated() { try ns.setSize(ids[n], UInt64(i) * 4096) } }
        ns.close()
        var ourWrites = deviceWriteBytes() - ourWritesBefore

        // The peers' load and unsynced updates: the same records (the namespace's own FileCodec
        // encoding) keyed by id.
        struct PeerRun {
            var name: String
            var path: String
            var open: (String) throws -> Peer
            var openSynced: (String) throws -> Peer
            var records: [FileMetadata] = []
            var load = 0.0, update = 0.0, synced = 0.0, synced16 = 0.0
            /// Bytes written to the device by load + updates, then by compaction (`deviceWriteBytes`).
            var writes = 0.0
        }
        var runs: [PeerRun] = [
            PeerRun(name: "rocksdb", path: dir + "/rocksdb", open: { try RocksDBPeer(path: $0, sync: false) }, openSynced: { try RocksDBPeer(path: $0, sync: true) }),
            PeerRun(name: "sqlite", path: dir + "/sqlite", open: { try SQLitePeer(path: $0, full: false) }, openSynced: { try SQLitePeer(path: $0, full: true) }),
        ]
        for r in runs.indices {
            let writesBefore = deviceWriteBytes()
            let peer = try runs[r].open(runs[r].path)
            var records: [FileMetadata] = []
            records.reserveCapacity(files)
            runs[r].load = try measure {
                for n in 0..<files {
                    var f = Workload.file(n, version: 0)
                    f.container = containers[n % dirs]
                    f.id = ids[n]
                    records.append(f)
                    try peer.put(f.id.rawValue, FileCodec.encode(f))
                }
            }
            runs[r].update = try measure {
                for (i, n) in updateIDs.enumerated() {
                    records[n].size = UInt64(i) * 4096
                    try peer.put(records[n].id.rawValue, FileCodec.encode(records[n]))
                }
            }
            peer.close()
            runs[r].writes = deviceWriteBytes() - writesBefore
            runs[r].records = records
        }

        // Synced updates, interleaved: every engine open at once, the updates in 20 slices, each
        // slice run on each engine in turn (rotating which goes first), so that all three see the
        // same background flush latency of this shared disk (run one after the other, the ratio
        // swung from 0.5x to 5.6x between runs).
        ns = try Namespace.boot(NamespaceConfiguration(directory: data, durability: .always))
        let syncedPeers = try runs.map { try $0.openSynced($0.path) }
        Glibc.sync()   // the unsynced phases' dirty pages must not be charged to the first synced update
        var ourSynced = 0.0
        let slices = 20
        // The peers' syncs do not go through Beryl's SystemFile: the process count is Beryl's alone.
        let syncsBefore = SystemFile.processSyncCount
        for c in 0..<slices {
            let slice = (c * synced / slices)..<((c + 1) * synced / slices)
            for k in 0...runs.count {
                let e = (c + k) % (runs.count + 1)
                if e == 0 {
                    ourSynced += try measure { for i in slice { try ns.setSize(ids[syncedIDs[i]], UInt64(i) * 8192) } }
                } else {
                    let peer = syncedPeers[e - 1]
                    runs[e - 1].synced += try measure {
                        for i in slice {
                            let n = syncedIDs[i]
                            runs[e - 1].records[n].size = UInt64(i) * 8192
                            try peer.put(runs[e - 1].records[n].id.rawValue, FileCodec.encode(runs[e - 1].records[n]))
                        }
                    }
                }
            }
        }
        let ourSyncs = SystemFile.processSyncCount - syncsBefore
        for p in syncedPeers { p.close() }

        // The same synced updates from 16 threads at once (each engine's group commit).
        let shared = SharedHandles()
        shared.namespace = ns
        shared.ids = ids
        shared.rocksdb = try RocksDBPeer(path: runs[0].path, sync: true)
        shared.sqlite = try (0..<SyncedWriters.threads).map { _ in try SQLitePeer(path: runs[1].path, full: true, concurrent: true) }
        shared.records = runs.map(\.records)
        let perThread = synced16PerThread ?? (quick ? 25 : 100), rounds = 4
        let syncs16Before = SystemFile.processSyncCount
        let device = BlockDeviceCounters(directory: data)
        var devices16: [BlockDeviceCounters.Sample] = []
        var cpu16: [CPUCounters] = []
        let seconds16 = try SyncedWriters.run(engines: 3, rounds: rounds, perThreadPerRound: perThread,
                                              device: device, devices: &devices16, cpu: &cpu16) { e, t, i in
            // Disjoint files per thread (7919 is prime to the file count), so no two threads write one record.
            let n = ((i * SyncedWriters.threads + t) * 7919) % files
            let size = UInt64(i + 1) * 16_384 + UInt64(t)
            switch e {
            case 0: try shared.namespace!.setSize(shared.ids[n], size)
            case 1:
                var f = shared.records[0][n]
                f.size = size
                try shared.rocksdb!.put(f.id.rawValue, FileCodec.encode(f))
            default:
                var f = shared.records[1][n]
                f.size = size
                try shared.sqlite[t].put(f.id.rawValue, FileCodec.encode(f))
            }
        }
        let synced16 = SyncedWriters.threads * perThread * rounds
        let ourSyncs16 = SystemFile.processSyncCount - syncs16Before
        let ourSynced16 = seconds16[0]
        runs[0].synced16 = seconds16[1]
        runs[1].synced16 = seconds16[2]
        shared.rocksdb!.close()
        for p in shared.sqlite { p.close() }
        shared.namespace = nil
        shared.records = []
        // What a serving master has after its last compaction: a checkpoint (docs/CHECKPOINT.md), which
        // the reopen loads instead of replaying every record; removed before the disk sizes are taken.
        _ = try ns.writeCheckpoint()
        ns.close()
        for r in runs.indices { runs[r].records = [] }

        var ourReopen = 0.0
        releaseFreedMemory()
        ourReopen = try measure { ns = try Namespace.boot(NamespaceConfiguration(directory: data, role: .masterReadOnly)) }
        precondition(ns.fileCount == files && ns.bootReport.checkpointPath != nil)
        let reopenReport = ns.bootReport
        ns.close()
        for path in CheckpointFile.list(in: data) { try FileManager.default.removeItem(atPath: path) }
        let ourBytesBefore = diskBytes(data)
        let ourCompactWritesBefore = deviceWriteBytes()
        let ourCompact = try measure {
            for log in ["files.mdlog", "directories.mdlog"] {
                _ = try Compactor.compact(inputPath: data + "/" + log, outputPath: data + "/" + log + ".compacted")
                try FileManager.default.removeItem(atPath: data + "/" + log)
                try FileManager.default.moveItem(atPath: data + "/" + log + ".compacted", toPath: data + "/" + log)
            }
        }
        ourWrites += deviceWriteBytes() - ourCompactWritesBefore
        let ourBytes = diskBytes(data)
        var figures: [Figure] = [
            Figure(name: "beryl_bulk_load_per_s", value: Double(files) / ourLoad, unit: "ops/s", goal: .report),
            Figure(name: "beryl_random_update_per_s", value: Double(updates) / ourUpdate, unit: "ops/s", goal: .report),
            Figure(name: "beryl_synced_update_per_s", value: Double(synced) / ourSynced, unit: "ops/s", goal: .report),
            Figure(name: "beryl_synced_update16_per_s", value: Double(synced16) / ourSynced16, unit: "ops/s", goal: .report),
            Figure(name: "beryl_synced_update_fdatasyncs", value: Double(ourSyncs), unit: "syncs", goal: .report),
            Figure(name: "beryl_synced_update16_updates_per_fdatasync", value: Double(synced16) / Double(max(1, ourSyncs16)), unit: "updates", goal: .report),
            Figure(name: "beryl_device_write_bytes", value: ourWrites, unit: "bytes", goal: .report),
            Figure(name: "beryl_reopen_s", value: ourReopen, unit: "s", goal: .report),
            // Where the reopen's time goes (the boot report): checkpoint load, then the logs' tail.
            Figure(name: "beryl_reopen_checkpoint_s", value: reopenReport.checkpointSeconds, unit: "s", goal: .report),
            Figure(name: "beryl_reopen_boot_report_s", value: reopenReport.seconds, unit: "s", goal: .report),
            Figure(name: "beryl_reopen_records_replayed", value: Double(reopenReport.recordsScanned), unit: "records", goal: .report),
            Figure(name: "beryl_compaction_s", value: ourCompact, unit: "s", goal: .report),
            Figure(name: "beryl_disk_bytes_before_compaction", value: ourBytesBefore, unit: "bytes", goal: .report),
            Figure(name: "beryl_disk_bytes", value: ourBytes, unit: "bytes", goal: .report),
        ]

        // The peers' reopen (open plus a full scan decoding every record) and compaction.
        for run in runs {
            let name = run.name
            var peer: Peer? = nil
            var loaded: [FileMetadata] = []
            releaseFreedMemory()
            let reopen = try measure {
                peer = try run.open(run.path)
                loaded.reserveCapacity(files)
                try peer!.scan { bytes in if let f = try? FileCodec.decode(bytes) { loaded.append(f) } }
            }
            precondition(loaded.count == files, "\(name) scanned \(loaded.count) of \(files)")
            loaded = []
            let before = diskBytes(run.path)
            let compactWritesBefore = deviceWriteBytes()
            let compact = try measure { try peer!.compact() }
            peer!.close()
            let writes = run.writes + deviceWriteBytes() - compactWritesBefore
            let bytes = diskBytes(run.path)
            let load = run.load, update = run.update, syncedTime = run.synced
            figures += [
                Figure(name: "\(name)_bulk_load_per_s", value: Double(files) / load, unit: "ops/s", goal: .report),
                Figure(name: "bulk_load_speedup_vs_\(name)", value: load / ourLoad, unit: "x", goal: .report),
                Figure(name: "\(name)_random_update_per_s", value: Double(updates) / update, unit: "ops/s", goal: .report),
                Figure(name: "\(name)_synced_update_per_s", value: Double(synced) / syncedTime, unit: "ops/s", goal: .report),
                Figure(name: "\(name)_reopen_s", value: reopen, unit: "s", goal: .report),
                Figure(name: "\(name)_compaction_s", value: compact, unit: "s", goal: .report),
                Figure(name: "random_update_speedup_vs_\(name)", value: update / ourUpdate, unit: "x", goal: .report),
                Figure(name: "synced_update_speedup_vs_\(name)_sync", value: syncedTime / ourSynced, unit: "x", goal: .atLeast(1)),
                Figure(name: "\(name)_synced_update16_per_s", value: Double(synced16) / run.synced16, unit: "ops/s", goal: .report),
                Figure(name: "synced_update16_speedup_vs_\(name)_sync", value: run.synced16 / ourSynced16, unit: "x", goal: .atLeast(1.5)),
                Figure(name: "\(name)_device_write_bytes", value: writes, unit: "bytes", goal: .report),
                Figure(name: "write_amplification_ratio_vs_\(name)", value: writes / ourWrites, unit: "x",
                       goal: name == "rocksdb" ? .atLeast(1) : .report),
                Figure(name: "reopen_speedup_vs_\(name)", value: reopen / ourReopen, unit: "x", goal: .atLeast(5)),
                Figure(name: "compaction_speedup_vs_\(name)", value: compact / ourCompact, unit: "x", goal: .atLeast(1)),
                Figure(name: "\(name)_disk_bytes_before_compaction", value: before, unit: "bytes", goal: .report),
                Figure(name: "\(name)_disk_bytes", value: bytes, unit: "bytes", goal: .report),
                Figure(name: "disk_size_ratio_vs_\(name)", value: bytes / ourBytes, unit: "x", goal: .report),
            ]
        }
        // Where each engine's 16-writer slices spent CPU: per update, and how busy the two cores were.
        for (e, name) in ["beryl", "rocksdb", "sqlite"].enumerated() where e < cpu16.count {
            let c = cpu16[e], n = Double(synced16)
            figures += [
                Figure(name: "\(name)_synced_update16_cpu_us_per_update", value: c.processSeconds * 1e6 / n, unit: "us", goal: .report),
                Figure(name: "\(name)_synced_update16_context_switches_per_update", value: c.contextSwitches / n, unit: "switches", goal: .report),
                Figure(name: "\(name)_synced_update16_cores_busy", value: c.machineBusySeconds / max(1e-9, c.machineSeconds), unit: "fraction", goal: .report),
            ]
        }
        if device != nil {
            // What the disk did during each engine's 16-writer slices (its flushes and writes per update).
            for (e, name) in ["beryl", "rocksdb", "sqlite"].enumerated() where e < devices16.count {
                let d = devices16[e], n = Double(synced16)
                figures += [
                    Figure(name: "\(name)_synced_update16_device_flushes_per_update", value: d.flushes / n, unit: "flushes", goal: .report),
                    Figure(name: "\(name)_synced_update16_device_writes_per_update", value: d.writes / n, unit: "writes", goal: .report),
                    Figure(name: "\(name)_synced_update16_device_kib_per_update", value: d.sectors * 512 / 1024 / n, unit: "KiB", goal: .report),
                ]
            }
        }
        try report(suite: "compare", figures: figures, notes: [
            "speedup = their time / ours (above 1: Beryl faster); disk_size_ratio = their bytes / ours after compaction (above 1: Beryl smaller)",
            "\(files) files in \(dirs) directories; \(updates) random size updates; \(synced) synced updates (Beryl durability always, RocksDB sync=true, SQLite synchronous=FULL; interleaved in \(slices) slices); one operation per call on every engine",
            "synced_update16: \(synced16) synced updates from \(SyncedWriters.threads) threads at once (disjoint files; the threads started before the clock), engines interleaved in \(rounds) rounds; RocksDB one handle (its write-group leader syncs for the group), SQLite one connection per thread (WAL, FULL; a busy writer retries after sched_yield instead of sleeping)",
            "compaction: Beryl's offline compaction of both logs (every live record read, LZ4 blocks, fsync); RocksDB CompactRange over all keys with bottommost_level_compaction=kForce (every live record rewritten); SQLite wal_checkpoint(TRUNCATE) + VACUUM",
            "device_write_bytes: write_bytes of /proc/self/io over load + random updates and over compaction (every thread of the process, RocksDB's background flushes and compactions included; the synced phases are left out); write_amplification_ratio = their bytes / ours",
        ])
    }
}

/// The workload's file records (EOS-like, as in `beryl-bench ratio`).
enum Workload {
    static func file(_ n: Int, version: Int) -> FileMetadata {
        FileMetadata(id: FileID(UInt64(n + 1)), container: ContainerID(2), name: "file_\(n)_run\(n % 97).root",
                     ctime: Timestamp(seconds: 1_700_000_000 + Int64(n)), mtime: Timestamp(seconds: 1_700_000_000 + Int64(n + version)),
                     size: UInt64(version) * 65_536, uid: 1000 + UInt32(n % 7), gid: 1000, layoutID: 0x0010_0112,
                     locations: [UInt32(1 + n % 40)], xattrs: ["sys.fs.tracking": "+\(1 + n % 40)", "user.tag": "atlas.data"])
    }
}

/// Consolidates what the harness freed before a timed reopen (`malloc_trim`). Dropping the
/// millions of small records of the earlier phases leaves them in malloc's fast bins, and the
/// next large allocation consolidates them all first: 0.23 s of `malloc_consolidate` was charged to
/// Beryl's 0.1 s checkpoint boot (perf, 2026-12-05). Called before every engine's reopen.
func releaseFreedMemory() {
    _ = malloc_trim(0)
}
