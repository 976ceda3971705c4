import BenchSupport
import Changelog
import Foundation
import Namespace

/// Suite `scale`: boot time, resident memory per entry and compaction time of a namespace at
/// 10^4 ... 10^7 files (10^6 with `--quick`), with the fitted growth exponent. Each boot is
/// measured in a fresh child process (`beryl-bench scale-point`) so memory figures are not
/// polluted by earlier points.
struct ScaleSuite {
    let quick: Bool

    /// Writes a data directory of `files` files in `files / 1000` directories, each file created
    /// then updated once (two records per file).
    static func generate(_ dir: String, files: Int, versions: Int = 2) throws {
        let dirs = directories(files)
        let containers = try Changelog.open(at: dir + "/directories.mdlog", configuration: .init(contentKind: .directories, durability: .none))
        var batch: [PendingRecord] = []
        for d in 0..<dirs {
            let c = ContainerMetadata(id: ContainerID(UInt64(d + 2)), parent: .root, name: "run\(d)", uid: 1000, gid: 1000)
            batch.append(PendingRecord(.update, payload: try ContainerCodec.encode(c)))
        }
        try containers.append(batch: batch)
        containers.close()
        try appendFileVersions(dir, files: files, versions: 0...(versions - 1))
    }

    /// The directories `generate` makes for `files` files (`/run0` has id 2, `/run<d>` id d + 2).
    static func directories(_ files: Int) -> Int { max(1, files / 1000) }

    /// Appends one record per file and version (the `ratio` suite's EOS-like file records, file n
    /// in `/run<n % directories>`) to the files log of `dir`, creating the log if needed.
    static func appendFileVersions(_ dir: String, files: Int, versions: ClosedRange<Int>) throws {
        let dirs = directories(files)
        let log = try Changelog.open(at: dir + "/files.mdlog", configuration: .init(contentKind: .files, durability: .none))
        defer { log.close() }
        var batch: [PendingRecord] = []
        batch.reserveCapacity(8192)
        for version in versions {
            for n in 0..<files {
                var f = RatioSuite.file(n, version: version)
                f.container = ContainerID(UInt64(n % dirs + 2))
                batch.append(PendingRecord(.update, payload: try FileCodec.encode(f)))
                if batch.count == 8192 { try log.append(batch: batch); batch.removeAll(keepingCapacity: true) }
            }
        }
        if !batch.isEmpty { try log.append(batch: batch) }
    }

    /// Appends one record per file in `range` at `version` (a tail after a checkpoint).
    static func appendFileVersions(_ dir: String, files: Int, range: Range<Int>, version: Int) throws {
        let dirs = directories(files)
        let log = try Changelog.open(at: dir + "/files.mdlog", configuration: .init(contentKind: .files, durability: .none))
        defer { log.close() }
        var batch: [PendingRecord] = []
        for n in range {
            var f = RatioSuite.file(n, version: version)
            f.container = ContainerID(UInt64(n % dirs + 2))
            batch.append(PendingRecord(.update, payload: try FileCodec.encode(f)))
            if batch.count == 8192 { try log.append(batch: batch); batch.removeAll(keepingCapacity: true) }
        }
        if !batch.isEmpty { try log.append(batch: batch) }
    }

    func run() throws -> [Figure] {
        let sizes = quick ? [10_000, 100_000, 1_000_000] : [10_000, 100_000, 1_000_000, 10_000_000]
        var boot: [Double] = [], memory: [Double] = [], compaction: [Double] = [], checkpointBoot: [Double] = []
        var tail: [(Double, Double)] = []
        var figures: [Figure] = []
        for n in sizes {
            let dir = scratchDirectory("scale-\(n)")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try Self.generate(dir, files: n)
            // The logs just written (3.8 GB at 10^7) go to disk before the boot is timed, so the
            // boot does not compete with their writeback (it took 10 to 36 s at 10^7 files inside
            // the suite then, 5 to 7.6 s alone); the page cache stays warm, as in suite namespace.
            sync()
            let point = try measurePoint(dir)
            let c = try measure { _ = try Compactor.compact(inputPath: dir + "/files.mdlog", outputPath: dir + "/files.compacted") }
            // The same namespace booted through a checkpoint (written after a full boot), then, at the
            // largest size, through the checkpoint and growing tails of records after it.
            let viaCheckpoint = try CheckpointBench.scalePoint(self, dir: dir)
            checkpointBoot.append(viaCheckpoint.seconds)
            if n == sizes.last { tail = try CheckpointBench.tailPoints(self, dir: dir, files: n) }
            boot.append(point.seconds)
            memory.append(point.residentBytes / Double(n))
            compaction.append(c)
            let tag = "1e\(Int(log10(Double(n)).rounded()))"
            figures += [
                Figure(name: "boot_seconds_\(tag)", value: point.seconds, unit: "s", goal: .report),
                Figure(name: "resident_bytes_per_file_\(tag)", value: point.residentBytes / Double(n), unit: "bytes", goal: .report),
                Figure(name: "compaction_seconds_\(tag)", value: c, unit: "s", goal: .report),
                Figure(name: "checkpoint_boot_seconds_\(tag)", value: viaCheckpoint.seconds, unit: "s",
                       goal: n == 10_000_000 ? .atMost(1.0) : .report),
                Figure(name: "checkpoint_resident_bytes_per_file_\(tag)", value: viaCheckpoint.residentBytes / Double(n),
                       unit: "bytes", goal: .report),
            ]
        }
        let ns = sizes.map(Double.init)
        figures += [
            Figure(name: "boot_growth_exponent", value: growthExponent(ns, boot), unit: "", goal: .atMost(1.1)),
            Figure(name: "compaction_growth_exponent", value: growthExponent(ns, compaction), unit: "", goal: .atMost(1.1)),
            Figure(name: "memory_per_file_growth_exponent", value: growthExponent(ns, memory.map { $0 * 1 }), unit: "", goal: .atMost(0.1)),
            Figure(name: "checkpoint_boot_growth_exponent", value: growthExponent(ns, checkpointBoot), unit: "", goal: .report),
            // Boot past the checkpoint's load against the tail's size, at the largest namespace.
            Figure(name: "boot_tail_exponent", value: growthExponent(tail.map(\.0), tail.map(\.1), from: 0), unit: "",
                   goal: .atMost(1.1)),
        ]
        if sizes.contains(10_000_000), let i = sizes.firstIndex(of: 10_000_000) {
            figures.append(Figure(name: "checkpoint_boot_seconds_10m_files", value: checkpointBoot[i], unit: "s", goal: .atMost(1.0)))
        }
        return figures
    }

    /// Least-squares slope of log(y) over log(x) over the points from 10^5 up (the smallest
    /// point is dominated by fixed costs; `from` moves that bound): 1 is linear.
    func growthExponent(_ x: [Double], _ y: [Double], from: Double = 100_000) -> Double {
        let pts = zip(x, y).filter { $0.0 >= from && $0.1 > 0 }.map { (log($0.0), log($0.1)) }
        guard pts.count >= 2 else { return .nan }
        let mx = pts.map(\.0).reduce(0, +) / Double(pts.count), my = pts.map(\.1).reduce(0, +) / Double(pts.count)
        let num = pts.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +), den = pts.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
        return num / den
    }

    struct Point { var seconds: Double; var residentBytes: Double; var checkpointSeconds = 0.0 }

    /// Boots `dir` in a child process and reads its report line.
    func measurePoint(_ dir: String) throws -> Point {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        p.arguments = ["scale-point", "--data", dir]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let fields = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
        guard fields.count >= 2 else { throw ValidationErrorText("scale-point printed nothing usable") }
        return Point(seconds: fields[0], residentBytes: fields[1], checkpointSeconds: fields.count >= 4 ? fields[3] : 0)
    }
}

/// One scale point, in its own process: boot read-only, print "<boot seconds> <anonymous resident
/// bytes added>" (the mapped logs' page-cache pages are left out).
func scalePoint(_ dir: String) throws {
    let before = anonymousResidentBytes()
    let t0 = DispatchTime.now().uptimeNanoseconds
    let ns = try Namespace.boot(NamespaceConfiguration(directory: dir, role: .masterReadOnly))
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    let after = anonymousResidentBytes()
    print("\(seconds) \(after - before) \(ns.fileCount) \(ns.bootReport.checkpointSeconds)")
    ns.close()
}
