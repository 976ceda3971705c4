import BenchSupport
import Changelog
import Foundation
import Glibc

/// Suite `core`: appends, group commit, verified scans and index builds of 200-byte records,
/// beside raw pwrite and raw XXH3 baselines measured in the same run.
struct CoreSuite {
    let quick: Bool
    /// False: only the append figures (`beryl-bench append`), no scan or index build.
    var scanAndIndex = true
    let payloadSize = 200

    func run() throws -> [Figure] {
        let dir = scratchDirectory("core")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let count = quick ? 200_000 : 1_000_000
        let rounds = quick ? 3 : 5
        var rng = SystemRandomNumberGenerator()
        let payloads: [[UInt8]] = (0..<1024).map { i in
            withUnsafeBytes(of: UInt64(i).littleEndian) { Array($0) } + (0..<(payloadSize - 8)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }

        // Unsynced appends, one thread.
        var appendRates: [Double] = []
        var rawRates: [Double] = []
        let path = "\(dir)/core.log"
        for _ in 0..<rounds {
            unlink(path)
            let log = try Changelog.open(at: path, configuration: .init(durability: .none))
            let t = try measure {
                for i in 0..<count {
                    var p = payloads[i & 1023]
                    withUnsafeBytes(of: UInt64(i).littleEndian) { p.replaceSubrange(0..<8, with: $0) }
                    try log.append(.update, payload: p)
                }
            }
            appendRates.append(Double(count) / t)
            log.close()
            rawRates.append(Double(count) / rawPwrite(path: "\(dir)/raw.bin", count: count, recordBytes: 232))
        }

        // Group commit with 8 appenders.
        let batchPerThread = quick ? 500 : 2000
        var batchRates: [Double] = []
        var syncs: [Double] = []
        for round in 0..<3 {
            let bpath = "\(dir)/batch\(round).log"
            let log = try Changelog.open(at: bpath, configuration: .init(durability: .batch))
            let before = log.syncCount
            let t = measure {
                let group = DispatchGroup()
                for th in 0..<8 {
                    group.enter()
                    let thread = Thread {
                        for i in 0..<batchPerThread { _ = try? log.append(.update, payload: payloads[(th * 131 + i) & 1023]) }
                        group.leave()
                    }
                    thread.start()
                }
                group.wait()
            }
            batchRates.append(Double(8 * batchPerThread) / t)
            syncs.append(Double(log.syncCount - before))
            log.close()
        }
        let alwaysLog = try Changelog.open(at: "\(dir)/always.log", configuration: .init(durability: .always))
        let alwaysN = quick ? 300 : 1000
        let alwaysT = try measure { for i in 0..<alwaysN { try alwaysLog.append(.update, payload: payloads[i & 1023]) } }
        alwaysLog.close()
        let appendFigures = [
            Figure(name: "append_unsynced_records_per_s", value: median(appendRates), unit: "records/s", goal: .atLeast(1_000_000)),
            Figure(name: "baseline_raw_pwrite_records_per_s", value: median(rawRates), unit: "records/s", goal: .report),
            Figure(name: "append_unsynced_vs_raw_pwrite_ratio", value: median(appendRates) / median(rawRates), unit: "x", goal: .report),
            Figure(name: "append_batch8_records_per_s", value: median(batchRates), unit: "records/s", goal: .report),
            Figure(name: "append_batch8_fdatasyncs", value: median(syncs), unit: "syncs", goal: .report),
            Figure(name: "append_batch8_records_per_fdatasync", value: Double(8 * batchPerThread) / median(syncs), unit: "records", goal: .report),
            Figure(name: "append_always_records_per_s", value: Double(alwaysN) / alwaysT, unit: "records/s", goal: .report),
        ] + (try SyncedPathBench(quick: quick).run(in: dir, payloads: payloads))
        guard scanAndIndex else { return appendFigures }

        // Verified scan and index build over the unsynced log (warm page cache).
        let log = try Changelog.open(at: path, configuration: .readOnly)
        let bytes = Double(log.end.rawValue)
        var scanRates: [Double] = []
        var hashRates: [Double] = []
        var indexRates: [Double] = []
        var bytesPerEntry = 0.0
        var visited = 0
        for _ in 0..<rounds {
            let t = try measure {
                visited = try log.scan { _ in true }.records
            }
            scanRates.append(bytes / t / 1e9)
            hashRates.append(bytes / rawHash(path: path) / 1e9)
            var index = OffsetIndex(capacity: count)
            let ti = try measure {
                try log.scan { r in
                    index.apply(r)
                    return true
                }
            }
            indexRates.append(Double(visited) / ti)
            bytesPerEntry = index.bytesPerEntry
        }
        precondition(visited == count, "scan visited \(visited) of \(count)")
        return appendFigures + [
            Figure(name: "scan_verify_gb_per_s", value: median(scanRates), unit: "GB/s", goal: .atLeast(2)),
            Figure(name: "baseline_raw_xxh3_gb_per_s", value: median(hashRates), unit: "GB/s", goal: .report),
            Figure(name: "index_build_records_per_s", value: median(indexRates), unit: "records/s", goal: .atLeast(10_000_000)),
            Figure(name: "index_bytes_per_entry", value: bytesPerEntry, unit: "bytes", goal: .report),
        ]
    }

    /// The physical floor for unsynced appends: one pwrite per record, nothing else.
    func rawPwrite(path: String, count: Int, recordBytes: Int) -> Double {
        unlink(path)
        let fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0o644)
        defer { close(fd); unlink(path) }
        let buffer = [UInt8](repeating: 0x5A, count: recordBytes)
        return measure {
            var offset = 0
            buffer.withUnsafeBytes { b in
                for _ in 0..<count {
                    _ = pwrite(fd, b.baseAddress, recordBytes, off_t(offset))
                    offset += recordBytes
                }
            }
        }
    }

    /// The physical floor for a verified scan: XXH3 over the whole mapped file in one call.
    func rawHash(path: String) -> Double {
        timeOverMappedFile(path) { RecordFormat.xxh3($0) }
    }
}
