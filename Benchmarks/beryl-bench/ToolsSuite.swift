import BenchSupport
import BerylTestSupport
import Changelog
import Foundation
import Glibc
import Platform
import LegacyEOS

/// Suite `tools`: the offline tools on damaged logs. A native log of 200-byte records (1 GiB, or
/// 256 MiB with `--quick`) and a legacy EOS log of the same records (a quarter of that size) get
/// random damage regions; `beryl log verify` (`Verifier` / `LegacyVerifier`) and `log-repair`
/// (`LogRepair.repair`, output written and fsynced) are timed over warm page cache, beside two
/// baselines measured in the same run: a plain sequential read of the file (the floor for verify)
/// and a plain copy of it with fsync (the floor for repair).
struct ToolsSuite {
    let quick: Bool
    let payloadSize = 200

    /// One damaged log and what was done to it.
    struct DamagedLog {
        var path: String
        var bytes: Int
        var records: Int
        var regions: Int
    }

    func run() throws -> [Figure] {
        let dir = scratchDirectory("tools")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let nativeBytes = quick ? 256 << 20 : 1 << 30
        let rounds = quick ? 3 : 5
        var rng = SeededRandom(seed: 0x7007_5EED)

        let native = try buildNative(path: "\(dir)/native.mdlog", bytes: nativeBytes, rng: &rng)
        let legacy = try buildLegacy(path: "\(dir)/legacy.mdlog", bytes: nativeBytes / 4, rng: &rng)

        var figures: [Figure] = []
        var notes: [String] = []
        for (log, format) in [(native, LogFormat.beryl), (legacy, LogFormat.eos)] {
            let prefix = format == .beryl ? "" : "legacy_"
            var verifyRates: [Double] = []
            var readRates: [Double] = []
            var crcRates: [Double] = []
            var findings = 0
            for _ in 0..<rounds {
                let t = measure {
                    findings = format == .beryl ? Verifier.verify(path: log.path).findings.count
                                                : LegacyVerifier.verify(path: log.path).findings.count
                }
                verifyRates.append(Double(log.bytes) / t / 1e9)
                readRates.append(Double(log.bytes) / rawRead(log.path) / 1e9)
                if format == .eos { crcRates.append(Double(log.bytes) / rawCRC(log.path) / 1e9) }
            }
            var repairRates: [Double] = []
            var copyRates: [Double] = []
            var report: RepairReport?
            for _ in 0..<max(3, rounds - 2) {
                let out = "\(dir)/repaired.mdlog"
                unlink(out)
                let t = try measure { report = try LogRepair.repair(log.path, to: out) }
                unlink(out)
                repairRates.append(Double(log.bytes) / t / 1e6)
                copyRates.append(Double(log.bytes) / rawCopy(log.path, to: out) / 1e6)
                unlink(out)
            }
            guard let report, findings > 0, report.notFixed > 0 else {
                throw ValidationErrorText("the damaged \(format) log did not look damaged to the tools")
            }
            let verify = median(verifyRates), read = median(readRates)
            let repair = median(repairRates), copy = median(copyRates)
            figures += [
                Figure(name: "\(prefix)verify_gb_per_s", value: verify, unit: "GB/s", goal: format == .beryl ? .atLeast(1) : .report),
                Figure(name: "\(prefix)baseline_raw_read_gb_per_s", value: read, unit: "GB/s", goal: .report),
                Figure(name: "\(prefix)verify_vs_raw_read_ratio", value: verify / read, unit: "x", goal: .report),
            ]
            if format == .eos {
                figures.append(Figure(name: "legacy_baseline_raw_crc32_gb_per_s", value: median(crcRates), unit: "GB/s", goal: .report))
                figures.append(Figure(name: "legacy_verify_vs_raw_crc32_ratio", value: verify / median(crcRates), unit: "x", goal: .report))
            }
            figures += [
                Figure(name: "\(prefix)repair_mb_per_s", value: repair, unit: "MB/s", goal: format == .beryl ? .atLeast(500) : .report),
                Figure(name: "\(prefix)baseline_raw_copy_mb_per_s", value: copy, unit: "MB/s", goal: .report),
                Figure(name: "\(prefix)repair_vs_raw_copy_ratio", value: repair / copy, unit: "x", goal: .report),
            ]
            notes.append("\(format): \(log.bytes) bytes, \(log.records) records, \(log.regions) damage regions; verify findings \(findings); repair healthy \(report.healthy), not fixed \(report.notFixed), discarded \(report.bytesDiscarded) bytes")
        }
        for n in notes { print(n) }
        return figures
    }

    /// A native log of `bytes` bytes of 200-byte updates (ids cycling over 1 M), then damaged.
    func buildNative(path: String, bytes: Int, rng: inout SeededRandom) throws -> DamagedLog {
        let log = try Changelog.open(at: path, configuration: .init(contentKind: .files, durability: .none))
        var body = (0..<payloadSize).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var records = 0
        while Int(log.end.rawValue) < bytes {
            body.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(records % 1_000_000 + 1).littleEndian, toByteOffset: 0, as: UInt64.self) }
            try log.append(.update, payload: body)
            records += 1
        }
        log.close()
        let regions = damage(path, rng: &rng, skip: RecordFormat.fileHeaderSize)
        return DamagedLog(path: path, bytes: FileSystem.size(path).map(Int.init) ?? 0, records: records, regions: regions)
    }

    /// A legacy EOS log (content flag 0, as EOS's own fsck test) of the same records, then damaged.
    func buildLegacy(path: String, bytes: Int, rng: inout SeededRandom) throws -> DamagedLog {
        let writer = try LegacyLogWriter.create(at: path, header: LegacyHeader(contentFlag: 0))
        var body = (0..<payloadSize).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var records = 0
        while Int(writer.end.rawValue) < bytes {
            body.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(records % 1_000_000 + 1).littleEndian, toByteOffset: 0, as: UInt64.self) }
            try writer.append(.update, payload: body)
            records += 1
        }
        try writer.close()
        let regions = damage(path, rng: &rng, skip: LegacyFormat.headerSize)
        return DamagedLog(path: path, bytes: FileSystem.size(path).map(Int.init) ?? 0, records: records, regions: regions)
    }

    /// Overwrites one region per MiB past the header, at random offsets: nine in ten are 1 to
    /// 16 random bytes (bit rot, `break-file.py`), one in ten 512 to 4096 zero bytes (a lost
    /// block). Returns the number of regions.
    func damage(_ path: String, rng: inout SeededRandom, skip: Int) -> Int {
        let fd = open(path, O_RDWR)
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        let size = Int(st.st_size)
        let regions = max(1, size >> 20)
        for i in 0..<regions {
            let zeroed = i % 10 == 9
            let length = zeroed ? Int.random(in: 512...4096, using: &rng) : Int.random(in: 1...16, using: &rng)
            let at = Int.random(in: skip..<(size - length), using: &rng)
            let bytes = zeroed ? [UInt8](repeating: 0, count: length) : rng.bytes(length)
            _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, length, off_t(at)) }
        }
        return regions
    }

    /// Seconds to read the whole file sequentially with 1 MiB `pread`s (the verify floor).
    func rawRead(_ path: String) -> Double {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var sink: UInt8 = 0
        let t = measure {
            buffer.withUnsafeMutableBytes { b in
                var offset = 0
                while true {
                    let n = pread(fd, b.baseAddress, b.count, off_t(offset))
                    if n <= 0 { break }
                    sink ^= b[n - 1]
                    offset += n
                }
            }
        }
        if sink == 0x5A && t < 0 { print("") }
        return t
    }

    /// Seconds for one zlib CRC-32 call over the whole mapped file (the legacy checksum floor).
    func rawCRC(_ path: String) -> Double {
        timeOverMappedFile(path) { LegacyFormat.crc32($0) }
    }

    /// Seconds to copy the file into a new one with 1 MiB `pread`/`write` and `fsync` (the repair floor).
    func rawCopy(_ path: String, to output: String) -> Double {
        let input = open(path, O_RDONLY)
        defer { close(input) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        return measure {
            let out = open(output, O_CREAT | O_EXCL | O_WRONLY, 0o644)
            defer { close(out) }
            buffer.withUnsafeMutableBytes { b in
                var offset = 0
                while true {
                    let n = pread(input, b.baseAddress, b.count, off_t(offset))
                    if n <= 0 { break }
                    _ = write(out, b.baseAddress, n)
                    offset += n
                }
            }
            fsync(out)
        }
    }
}

struct ValidationErrorText: Error, CustomStringConvertible {
    var description: String
    init(_ s: String) { description = s }
}
