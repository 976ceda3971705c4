import BenchSupport
import Changelog
import Foundation
import Glibc
import Namespace
import Synchronization
import Platform

/// Suite `namespace`: a generated namespace of 1,000 directories and 1,000,000 files (each file
/// created, then updated three times: size, locations, mtime; 10 % removed), built through the
/// namespace API under durability `none` (the mutation rate), then booted from its two logs (boot
/// rate and time, against a raw verified scan of the same logs in the same run), and booted once
/// more in a child process that reports its anonymous resident memory before and after (memory
/// per file, beyond the name bytes).
struct NamespaceSuite {
    let quick: Bool
    /// False: no compaction under a writer (`beryl-bench boot` needs only generation, boot and memory).
    var compactionUnderWriter = true

    static let directories = 1_000

    func run() throws -> (figures: [Figure], notes: [String]) {
        let dir = scratchDirectory("namespace")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = quick ? 100_000 : 1_000_000
        let generated = try Self.generate(in: dir, files: files)
        let config = NamespaceConfiguration(directory: dir, durability: .none, role: .masterReadOnly)

        // Boot and raw scan alternate, three rounds each, warm page cache.
        var bootSeconds: [Double] = [], bootRates: [Double] = [], scanSeconds: [Double] = []
        var records = 0
        for _ in 0..<3 {
            let report = try Namespace.measureBoot(config)
            bootSeconds.append(report.seconds)
            bootRates.append(report.recordsPerSecond)
            records = report.recordsScanned
            scanSeconds.append(try measure { records = try Self.rawScan(dir) })
        }
        let scanRate = Double(records) / median(scanSeconds)
        let memory = try Self.memoryInChild(dir)
        let perFile = (memory.anonymousAfter - memory.anonymousBefore - Double(memory.nameBytes)) / Double(memory.files)
        let notes = ["files log \(FileSystem.size(dir + "/files.mdlog") ?? 0) bytes, directories log "
                     + "\(FileSystem.size(dir + "/directories.mdlog") ?? 0) bytes before compaction"]

        let figures: [Figure] = [
            Figure(name: "boot_records_per_s", value: median(bootRates), unit: "records/s", goal: .atLeast(5_000_000)),
            Figure(name: "boot_seconds_1m_files", value: median(bootSeconds) * 1_000_000 / Double(generated.liveFiles),
                   unit: "s", goal: .atMost(1)),
            Figure(name: "boot_seconds_measured", value: median(bootSeconds), unit: "s", goal: .report),
            Figure(name: "boot_records", value: Double(records), unit: "records", goal: .report),
            Figure(name: "baseline_raw_scan_records_per_s", value: scanRate, unit: "records/s", goal: .report),
            Figure(name: "boot_vs_raw_scan_ratio", value: median(bootRates) / scanRate, unit: "x", goal: .report),
            Figure(name: "resident_bytes_per_file", value: perFile, unit: "B/file", goal: .atMost(200)),
            Figure(name: "footprint_bytes_per_file", value: memory.footprintPerFile, unit: "B/file", goal: .report),
            Figure(name: "name_bytes_per_file", value: Double(memory.nameBytes) / Double(memory.files), unit: "B/file", goal: .report),
            Figure(name: "live_files", value: Double(generated.liveFiles), unit: "files", goal: .report),
            Figure(name: "mutations_per_s", value: generated.mutationsPerSecond, unit: "ops/s", goal: .atLeast(200_000)),
            Figure(name: "creates_per_s", value: generated.createsPerSecond, unit: "ops/s", goal: .report),
            Figure(name: "updates_per_s", value: generated.updatesPerSecond, unit: "ops/s", goal: .report),
            Figure(name: "slowest_extras_update_ms", value: generated.slowestExtrasUpdateSeconds * 1000, unit: "ms", goal: .report),
            Figure(name: "baseline_raw_append_per_s", value: generated.rawAppendsPerSecond, unit: "records/s", goal: .report),
            Figure(name: "mutations_vs_raw_append_ratio", value: generated.mutationsPerSecond / generated.rawAppendsPerSecond,
                   unit: "x", goal: .report),
        ]
        // Checkpoints last: they compact the logs, which the compaction-under-writer runs must find as generated.
        guard compactionUnderWriter else { return (figures + (try CheckpointBench.namespaceFigures(dir: dir)), notes) }
        let steady = try CompactionUnderWriter(directory: dir, files: files, rate: 50_000).run()
        let saturating = try CompactionUnderWriter(directory: dir, files: files, rate: nil).run()
        let checkpoint = try CheckpointBench.namespaceFigures(dir: dir)
        return (figures + checkpoint + steady.figures(suffix: "") + saturating.figures(suffix: "_saturating_writer"), notes)
    }

    struct Generated {
        var liveFiles = 0
        var mutationsPerSecond = 0.0
        var createsPerSecond = 0.0
        var updatesPerSecond = 0.0
        var rawAppendsPerSecond = 0.0
        /// The slowest `addLocation` (a mutation that rewrites a file's variable section, so the
        /// arena's garbage grows and its reclaims run inside such mutations).
        var slowestExtrasUpdateSeconds = 0.0
    }

    /// Builds the namespace through the public API (durability `none`) and times the mutations.
    static func generate(in dir: String, files: Int) throws -> Generated {
        let ns = try Namespace.boot(NamespaceConfiguration(directory: dir, durability: .none))
        defer { ns.close() }
        var out = Generated()
        var containers: [ContainerID] = []
        var ids: [FileID] = []
        ids.reserveCapacity(files)
        let attributes = CreationAttributes(uid: 1000, gid: 1000, time: Timestamp(seconds: 1_700_000_000), layoutID: 0x0010_0002)
        let createSeconds = try measure {
            for d in 0..<directories {
                containers.append(try ns.createContainer("/eos/data/dir-\(d)", attributes: attributes, missingParents: .create))
            }
            for f in 0..<files {
                ids.append(try ns.createFile(named: "file-\(f).root", in: containers[f % directories], attributes: attributes))
            }
        }
        var slowestExtrasUpdate: UInt64 = 0
        let updateSeconds = try measure {
            for (i, id) in ids.enumerated() {
                try ns.setSize(id, UInt64(i) * 4096 + 17)
                let before = DispatchTime.now().uptimeNanoseconds
                try ns.addLocation(UInt32(i % 40) + 1, to: id)
                slowestExtrasUpdate = max(slowestExtrasUpdate, DispatchTime.now().uptimeNanoseconds - before)
                try ns.setTimes(id, mtime: Timestamp(seconds: 1_700_000_100 + Int64(i % 1000)))
            }
            for i in stride(from: 0, to: ids.count, by: 10) { try ns.removeFile(ids[i]) }
        }
        let creates = directories + files
        let updates = files * 3 + (files + 9) / 10
        out.createsPerSecond = Double(creates) / createSeconds
        out.updatesPerSecond = Double(updates) / updateSeconds
        out.mutationsPerSecond = Double(creates + updates) / (createSeconds + updateSeconds)
        out.slowestExtrasUpdateSeconds = Double(slowestExtrasUpdate) / 1e9
        out.liveFiles = ns.fileCount
        out.rawAppendsPerSecond = try rawAppendRate(dir: dir, count: min(files, 200_000))
        return out
    }

    /// Baseline: one `Changelog.append` per record of a typical file record's size, no namespace.
    static func rawAppendRate(dir: String, count: Int) throws -> Double {
        let path = dir + "/raw-append.log"
        let log = try Changelog.open(at: path, configuration: .init(contentKind: .files, durability: .none))
        defer {
            log.close()
            unlink(path)
        }
        var payload = [UInt8](repeating: 0x5A, count: 96)
        let seconds = try measure {
            for i in 0..<count {
                payload.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(i + 1).littleEndian, toByteOffset: 0, as: UInt64.self) }
                try log.append(.update, payload: payload)
            }
        }
        return Double(count) / seconds
    }

    /// Baseline: the verified scan both logs' opens do, without decoding anything.
    static func rawScan(_ dir: String) throws -> Int {
        var n = 0
        for name in [NamespaceConfiguration.filesLogName, NamespaceConfiguration.directoriesLogName] {
            let log = try Changelog.open(at: dir + "/" + name, configuration: .readOnly) { _ in n += 1 }
            log.close()
        }
        return n
    }

    struct Memory {
        var anonymousBefore = 0.0
        var anonymousAfter = 0.0
        /// Resident bytes (anonymous and file-backed, e.g. a checkpoint's or a log's mapped pages).
        var residentBefore = 0.0
        var residentAfter = 0.0
        /// Whether the child's boot loaded a checkpoint.
        var usedCheckpoint = false
        var files = 1
        var nameBytes = 0
        var footprintPerFile = 0.0
    }

    /// Runs `beryl-bench namespace-boot DIR` (this executable) and parses its line.
    static func memoryInChild(_ dir: String) throws -> Memory {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let line = shell("'\(exe)' namespace-boot '\(dir)'")
        let fields = Dictionary(uniqueKeysWithValues: line.split(separator: " ").compactMap { pair -> (String, Double)? in
            let kv = pair.split(separator: "=")
            guard kv.count == 2, let v = Double(kv[1]) else { return nil }
            return (String(kv[0]), v)
        })
        guard let before = fields["anon_before"], let after = fields["anon_after"], let files = fields["files"],
              let names = fields["name_bytes"], let footprint = fields["footprint_per_file"] else {
            throw BenchError("namespace child failed: \(line)")
        }
        return Memory(anonymousBefore: before, anonymousAfter: after, residentBefore: fields["res_before"] ?? .nan,
                      residentAfter: fields["res_after"] ?? .nan, usedCheckpoint: fields["checkpoint"] == 1,
                      files: Int(files), nameBytes: Int(names), footprintPerFile: footprint)
    }

    /// The child's side: boot read-only and print anonymous resident bytes (resident minus
    /// file-backed shared pages, so the logs' mappings are excluded) before and after.
    static func bootAndReportMemory(_ dir: String) throws {
        let before = SystemInfo.memory()
        let ns = try Namespace.boot(NamespaceConfiguration(directory: dir, durability: .none, role: .masterReadOnly))
        let after = SystemInfo.memory()
        var nameBytes = 0
        for d in 0..<directories {
            for entry in try ns.list("/eos/data/dir-\(d)") { nameBytes += entry.name.utf8.count }
        }
        let footprint = ns.footprint()
        print("anon_before=\(before.resident - before.shared) anon_after=\(after.resident - after.shared) files=\(ns.fileCount) "
              + "name_bytes=\(nameBytes) footprint_per_file=\(footprint.bytesPerFile) res_before=\(before.resident) "
              + "res_after=\(after.resident) checkpoint=\(ns.bootReport.checkpointPath == nil ? 0 : 1)")
        ns.close()
    }
}

