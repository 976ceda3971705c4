import BenchSupport
import Changelog
import Foundation
import Namespace
import Platform

/// Suite `ratio`: what compaction buys, over a grid of workloads. Each cell writes a files log of
/// realistic file records (created, then updated `u` times: size commit, location add, mtime;
/// then a fraction `d` deleted), compacts it offline with LZ4 blocks and with plain frames, and
/// reports log size, live size and the ratios.
struct RatioSuite {
    let quick: Bool

    struct Cell {
        var updates: Int
        var deleteFraction: Double
        var logBytes: UInt64 = 0
        var liveRecords = 0
        var compactedLZ4: UInt64 = 0
        var compactedPlain: UInt64 = 0
    }

    /// One realistic file record (an EOS-like FileMD) after `version` updates.
    static func file(_ n: Int, version: Int) -> FileMetadata {
        let dir = UInt64(2 + n / 1000)
        var f = FileMetadata(id: FileID(UInt64(n + 1)), container: ContainerID(dir), name: "file_\(n)_run\(n % 97).root",
                             ctime: Timestamp(seconds: 1_700_000_000 + Int64(n)), mtime: Timestamp(seconds: 1_700_000_000 + Int64(n + version)),
                             size: UInt64(version) * 65_536 + UInt64(n % 4096), uid: 1000 + UInt32(n % 7), gid: 1000,
                             layoutID: 0x0010_0112, checksum: withUnsafeBytes(of: UInt32(truncatingIfNeeded: n &* 2_654_435_761).bigEndian) { Array($0) },
                             locations: Array((0..<min(version + 1, 3)).map { UInt32(1 + (n + $0) % 40) }),
                             xattrs: ["sys.fs.tracking": "+\(1 + n % 40)", "user.tag": "atlas.data"])
        if version == 0 { f.size = 0 }
        return f
    }

    /// The real EOS namespace of the shared fixtures: converted to the native format and
    /// compacted here, beside what EOS's own `eos-log-compact` wrote for the same log.
    func legacyFixtureComparison(_ dir: String) throws -> [Figure] {
        let fixtures = ProcessInfo.processInfo.environment["BERYL_FIXTURES"] ?? "../shared/fixtures/eos"
        var figures: [Figure] = []
        for name in ["files", "directories"] {
            let legacy = "\(fixtures)/\(name).mdlog", legacyCompacted = "\(fixtures)/\(name).compacted.mdlog"
            guard let legacyBytes = FileSystem.size(legacy), let eosBytes = FileSystem.size(legacyCompacted) else {
                print("note: \(legacy) not found (set BERYL_FIXTURES); skipping the EOS comparison")
                return []
            }
            let native = "\(dir)/\(name).native.mdlog"
            let converted = try LegacyConversion.convert(legacyPath: legacy, to: native)
            let ours = try Compactor.compact(inputPath: native, outputPath: native + ".c")
            figures.append(Figure(name: "eos_fixture_\(name)_records", value: Double(converted.records), unit: "records", goal: .report))
            figures.append(Figure(name: "eos_fixture_\(name)_live_records", value: Double(ours.recordsKept), unit: "records", goal: .report))
            figures.append(Figure(name: "eos_fixture_\(name)_legacy_bytes", value: Double(legacyBytes), unit: "bytes", goal: .report))
            figures.append(Figure(name: "eos_fixture_\(name)_eos_log_compact_bytes", value: Double(eosBytes), unit: "bytes", goal: .report))
            figures.append(Figure(name: "eos_fixture_\(name)_beryl_bytes", value: Double(ours.newBytes), unit: "bytes", goal: .report))
            figures.append(Figure(name: "eos_fixture_\(name)_ratio_eos_log_compact", value: Double(legacyBytes) / Double(eosBytes), unit: "x", goal: .report))
            figures.append(Figure(name: "eos_fixture_\(name)_ratio_beryl", value: Double(legacyBytes) / Double(ours.newBytes), unit: "x", goal: .report))
            figures.append(Figure(name: "eos_fixture_\(name)_size_ratio_vs_eos_log_compact", value: Double(eosBytes) / Double(ours.newBytes), unit: "x", goal: .report))
            unlink(native)
            unlink(native + ".c")
        }
        return figures
    }

    func run() throws -> [Figure] {
        let dir = scratchDirectory("ratio")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = quick ? 5_000 : 50_000
        var figures: [Figure] = []
        var table: [String] = []
        for u in [1, 3, 10, 30] {
            for d in [0.0, 0.1, 0.5] {
                var cell = Cell(updates: u, deleteFraction: d)
                let path = "\(dir)/files-\(u)-\(Int(d * 100)).mdlog"
                let log = try Changelog.open(at: path, configuration: .init(contentKind: .files, durability: .none))
                var batch: [PendingRecord] = []
                for version in 0...u {
                    for n in 0..<files {
                        batch.append(PendingRecord(.update, payload: try FileCodec.encode(Self.file(n, version: version))))
                        if batch.count == 4096 { try log.append(batch: batch); batch.removeAll(keepingCapacity: true) }
                    }
                }
                let deletes = Int(Double(files) * d)
                for n in stride(from: 0, to: files, by: max(1, files / max(deletes, 1))).prefix(deletes) {
                    batch.append(PendingRecord(.delete, payload: withUnsafeBytes(of: UInt64(n + 1).littleEndian) { Array($0) }))
                }
                if !batch.isEmpty { try log.append(batch: batch) }
                cell.logBytes = log.end.rawValue
                log.close()
                let lz4 = try Compactor.compact(inputPath: path, outputPath: path + ".lz4")
                let plain = try Compactor.compact(inputPath: path, outputPath: path + ".plain", packing: .frames)
                cell.liveRecords = lz4.recordsKept
                cell.compactedLZ4 = lz4.newBytes
                cell.compactedPlain = plain.newBytes
                for p in [path, path + ".lz4", path + ".plain"] { unlink(p) }
                let tag = "u\(u)_d\(Int(d * 100))"
                figures.append(Figure(name: "ratio_\(tag)_lz4", value: Double(cell.logBytes) / Double(cell.compactedLZ4), unit: "x", goal: .report))
                figures.append(Figure(name: "ratio_\(tag)_plain", value: Double(cell.logBytes) / Double(cell.compactedPlain), unit: "x", goal: .report))
                figures.append(Figure(name: "log_bytes_\(tag)", value: Double(cell.logBytes), unit: "bytes", goal: .report))
                figures.append(Figure(name: "live_records_\(tag)", value: Double(cell.liveRecords), unit: "records", goal: .report))
                figures.append(Figure(name: "compacted_bytes_\(tag)_plain", value: Double(cell.compactedPlain), unit: "bytes", goal: .report))
                figures.append(Figure(name: "compacted_bytes_\(tag)_lz4", value: Double(cell.compactedLZ4), unit: "bytes", goal: .report))
                table.append("| \(u) | \(Int(d * 100)) % | \(cell.logBytes) | \(cell.liveRecords) | \(cell.compactedPlain) | \(cell.compactedLZ4) | "
                             + String(format: "%.1f | %.1f |", Double(cell.logBytes) / Double(cell.compactedPlain), Double(cell.logBytes) / Double(cell.compactedLZ4)))
            }
        }
        figures += try legacyFixtureComparison(dir)
        print("\n| updates per file | deleted | log bytes | live records | compacted, plain frames | compacted, LZ4 blocks | ratio plain | ratio LZ4 |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for row in table { print(row) }
        return figures
    }
}
