import CompareSupport
import Foundation
import Glibc
import Namespace

/// Synced updates from 16 threads at once on every engine (each engine's own group commit: Beryl's
/// shared fdatasync under durability `always`, RocksDB's write-group leader with `sync=true`, SQLite
/// in WAL mode with `synchronous=FULL`, one connection per thread), interleaved in rounds so that
/// all see the same background flush latency of the shared disk.
struct SyncedWriters {
    static let threads = 16

    /// Engine 0 is Beryl; 1... are the peers. `update(engine, thread, i)` performs the i-th update of
    /// `thread` on `engine`. Returns each engine's summed wall time.
    /// `device` (the data directory's block device, `BlockDeviceCounters`) is read around each
    /// engine's slice; `devices[e]` sums what the device did during engine e's slices.
    static func run(engines: Int, rounds: Int, perThreadPerRound: Int, device: BlockDeviceCounters? = nil,
                    devices: inout [BlockDeviceCounters.Sample],
                    update: @escaping @Sendable (_ engine: Int, _ thread: Int, _ i: Int) throws -> Void) throws -> [Double] {
        var seconds = [Double](repeating: 0, count: engines)
        devices = Array(repeating: BlockDeviceCounters.Sample(), count: engines)
        let failures = FailureBox()
        for round in 0..<rounds {
            for k in 0..<engines {
                let e = (round + k) % engines
                let before = device?.read()
                defer { if let before, let after = device?.read() { devices[e].add(after, minus: before) } }
                seconds[e] += measure {
                    let group = DispatchGroup()
                    for t in 0..<threads {
                        group.enter()
                        let thread = Thread {
                            for j in 0..<perThreadPerRound {
                                do { try update(e, t, round * perThreadPerRound + j) } catch { failures.note(error) }
                            }
                            group.leave()
                        }
                        thread.start()
                    }
                    group.wait()
                }
                if let error = failures.first { throw error }
            }
        }
        return seconds
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
