import CompareSupport
import Foundation
import Glibc
import Namespace
import Platform

/// Synced updates from 16 threads at once on every engine (each engine's own group commit: Beryl's
/// shared fdatasync under durability `always`, RocksDB's write-group leader with `sync=true`, SQLite
/// in WAL mode with `synchronous=FULL`, one connection per thread), interleaved in rounds so that
/// all see the same background flush latency of the shared disk. Each round's threads are started
/// and parked before the clock (and the CPU and device counters) start: only the updates count.
struct SyncedWriters {
    static let threads = 16

    /// Engine 0 is Beryl; 1... are the peers. `update(engine, thread, i)` performs the i-th update of
    /// `thread` on `engine`. Returns each engine's summed wall time.
    /// `device` (the data directory's block device, `BlockDeviceCounters`) is read around each
    /// engine's slice; `devices[e]` sums what the device did during engine e's slices.
    static func run(engines: Int, rounds: Int, perThreadPerRound: Int, device: BlockDeviceCounters? = nil,
                    devices: inout [BlockDeviceCounters.Sample], cpu: inout [CPUCounters],
                    update: @escaping @Sendable (_ engine: Int, _ thread: Int, _ i: Int) throws -> Void) throws -> [Double] {
        var seconds = [Double](repeating: 0, count: engines)
        devices = Array(repeating: BlockDeviceCounters.Sample(), count: engines)
        cpu = Array(repeating: CPUCounters(), count: engines)
        let failures = FailureBox()
        for round in 0..<rounds {
            for k in 0..<engines {
                let e = (round + k) % engines
                // The threads are started and parked before the clock starts: only the updates are timed.
                let gate = StartGate(threads: threads)
                let group = DispatchGroup()
                for t in 0..<threads {
                    group.enter()
                    let thread = Thread {
                        gate.arriveAndWait()
                        for j in 0..<perThreadPerRound {
                            do { try update(e, t, round * perThreadPerRound + j) } catch { failures.note(error) }
                        }
                        group.leave()
                    }
                    thread.start()
                }
                gate.waitUntilAllArrived()
                let before = device?.read()
                let cpuBefore = CPUCounters.now()
                seconds[e] += measure {
                    gate.open()
                    group.wait()
                }
                if let before, let after = device?.read() { devices[e].add(after, minus: before) }
                cpu[e].add(CPUCounters.now(), minus: cpuBefore)
                if let error = failures.first { throw error }
            }
        }
        return seconds
    }
}

/// Where the CPU went during an engine's slices: this process's CPU time and context switches
/// (getrusage), and the whole machine's busy and total time (/proc/stat: the kernel's journal and
/// writeback threads included), to tell a phase bound by the cores from one bound by the disk.
struct CPUCounters {
    var processSeconds = 0.0, contextSwitches = 0.0, machineBusySeconds = 0.0, machineSeconds = 0.0

    static func now() -> CPUCounters {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        var c = CPUCounters(processSeconds: processCPUSeconds(), contextSwitches: Double(usage.ru_nvcsw + usage.ru_nivcsw))
        // "cpu  user nice system idle iowait irq softirq steal ..." in clock ticks.
        if let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
           let line = text.split(separator: "\n").first {
            let f = line.split(separator: " ").dropFirst().compactMap { Double($0) }
            if f.count >= 8 {
                let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
                c.machineSeconds = f[0..<8].reduce(0, +) / ticks
                c.machineBusySeconds = (c.machineSeconds * ticks - f[3] - f[4]) / ticks
            }
        }
        return c
    }

    mutating func add(_ after: CPUCounters, minus before: CPUCounters) {
        processSeconds += after.processSeconds - before.processSeconds
        contextSwitches += after.contextSwitches - before.contextSwitches
        machineBusySeconds += after.machineBusySeconds - before.machineBusySeconds
        machineSeconds += after.machineSeconds - before.machineSeconds
    }
}

/// Parks the writer threads until all have started, then releases them at once.
final class StartGate: @unchecked Sendable {
    // @unchecked: `arrived` and `isOpen` are guarded by `lock`.
    private let lock = ConditionLock()
    private let threads: Int
    private var arrived = 0
    private var isOpen = false

    init(threads: Int) { self.threads = threads }

    func arriveAndWait() {
        lock.withLock {
            arrived += 1
            lock.broadcast()
            while !isOpen { lock.wait() }
        }
    }

    func waitUntilAllArrived() {
        lock.withLock { while arrived < threads { lock.wait() } }
    }

    func open() {
        lock.withLock {
            isOpen = true
            lock.broadcast()
        }
    }
}

/// The first error a writer thread hit.
final class FailureBox: @unchecked Sendable {
    // @unchecked: `error` is guarded by `lock`.
    private let lock = NSLock()
    private var error: Error?
    func note(_ e: Error) { lock.withLock { if error == nil { error = e } } }
    var first: Error? { lock.withLock { error } }
}

/// Shares non-Sendable engine handles with the writer threads; each handle is safe to call from
/// several threads (the namespace and a RocksDB handle are; SQLite gets one connection per thread).
final class SharedHandles: @unchecked Sendable {
    // @unchecked: set up before the threads start, then only read.
    var namespace: Namespace?
    var ids: [FileID] = []
    var rocksdb: RocksDBPeer?
    var sqlite: [SQLitePeer] = []
    /// One record per file per engine, mutated only by the thread that owns the file's slot.
    var records: [[FileMetadata]] = []
}

/// Bytes this process caused to be written to the device so far (`write_bytes` of /proc/self/io:
/// pages dirtied, by every thread of the process, RocksDB's background flushes and compactions
/// included).
func deviceWriteBytes() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return .nan }
    for line in text.split(separator: "\n") where line.hasPrefix("write_bytes:") {
        return Double(line.split(separator: " ").last.map(String.init) ?? "") ?? .nan
    }
    return .nan
}

/// The data directory's block device as the kernel counts it (`/sys/dev/block/MAJ:MIN/stat`, fields
/// of Documentation/block/stat.rst): write requests, sectors written and flush requests completed.
/// For the synced phases: how many device flushes and writes each engine's group commit issued.
struct BlockDeviceCounters {
    struct Sample {
        var writes = 0.0, sectors = 0.0, flushes = 0.0
        mutating func add(_ after: Sample, minus before: Sample) {
            writes += after.writes - before.writes
            sectors += after.sectors - before.sectors
            flushes += after.flushes - before.flushes
        }
    }
    let statPath: String

    /// nil when the directory's device has no stat file with flush counts (kernels before 5.5).
    init?(directory: String) {
        var st = stat()
        guard stat(directory, &st) == 0 else { return nil }
        let dev = UInt64(st.st_dev)
        let major = ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff)
        let minor = ((dev >> 12) & 0xffff_ff00) | (dev & 0xff)
        statPath = "/sys/dev/block/\(major):\(minor)/stat"
        guard let fields = Self.fields(statPath), fields.count >= 17 else { return nil }
    }

    func read() -> Sample {
        guard let f = Self.fields(statPath), f.count >= 17 else { return Sample() }
        return Sample(writes: f[4], sectors: f[6], flushes: f[15])
    }

    private static func fields(_ path: String) -> [Double]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Double($0) }
    }
}
