import ArgumentParser
import Changelog
import Foundation
import Glibc
import Namespace
import Synchronization

/// `beryl ns compaction-workload` (hidden; registered under `NsCommand`): the child of the compaction crash tests: one writer thread mutates the namespace while the
/// main thread compacts both logs again and again. Every line goes to stdout at once:
/// `begin <i> <op> <args>` before operation i, `ack <i>` once it returned (acknowledged),
/// `phase <log> <phase>` as each compaction phase starts, `compacted <run>` after each run and
/// `done` at the end. With `--pause-at <log>:<phase>` the compaction stops for good at that
/// phase boundary (after printing `paused`), for the parent to kill it there.
struct CompactionWorkload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compaction-workload", abstract: "Mutate and compact a namespace, reporting progress (for crash tests).",
        shouldDisplay: false)
    @Option(help: "Data directory.") var data: String
    @Option(help: "Durability: none, batch or always.") var durability = "none"
    @Option(help: "Operations before the first compaction.") var populate = 2_000
    @Option(help: "Compaction runs (type all).") var runs = 3
    @Option(help: "Stop at this phase boundary forever: <files|directories>:<phase>.") var pauseAt: String?

    func run() throws {
        guard let d = Durability(rawValue: durability) else { throw ValidationError("unknown durability \(durability)") }
        let ns = try Namespace.boot(NamespaceConfiguration(directory: data, durability: d))
        for line in ns.bootReport.compactionRecovery { emit("recovered \(line)") }
        emit("booted")
        let progress = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let writer = Thread {
            var i = 0
            while !stop.load(ordering: .relaxed) {
                let op = Self.operation(i)
                emit("begin \(i) \(op.text)")
                do {
                    try op.apply(to: ns)
                } catch {
                    emit("error \(i) \(error)")
                    stop.store(true, ordering: .relaxed)
                    return
                }
                emit("ack \(i)")
                i += 1
                progress.store(i, ordering: .relaxed)
            }
        }
        writer.start()
        while progress.load(ordering: .relaxed) < populate {
            if stop.load(ordering: .relaxed) { throw ExitCode.failure }
            usleep(1_000)
        }
        let pause = pauseAt
        let options = CompactionOptions(observer: { log, phase in
            emit("phase \(log.rawValue) \(phase.rawValue)")
            if pause == "\(log.rawValue):\(phase.rawValue)" {
                emit("paused")
                while true { sleep(60) }
            }
        })
        for run in 0..<runs where !stop.load(ordering: .relaxed) {
            try ns.compact(.all, options: options)
            emit("compacted \(run)")
        }
        stop.store(true, ordering: .relaxed)
        while !writer.isFinished { usleep(1_000) }
        ns.close()
        emit("done")
    }

    enum Operation {
        case mkdir(String), create(String), size(String, UInt64), rename(String, String), remove(String)

        var text: String {
            switch self {
            case .mkdir(let p): "mkdir \(p)"
            case .create(let p): "create \(p)"
            case .size(let p, let n): "size \(p) \(n)"
            case .rename(let a, let b): "rename \(a) \(b)"
            case .remove(let p): "remove \(p)"
            }
        }

        func apply(to ns: Namespace) throws {
            let attributes = CreationAttributes(uid: 7, gid: 8, time: Timestamp(seconds: 1_700_000_000))
            switch self {
            case .mkdir(let p): try ns.createContainer(p, attributes: attributes, missingParents: .create)
            case .create(let p): try ns.createFile(p, attributes: attributes)
            case .size(let p, let n): try ns.setSize(try ns.fileID(at: p), n)
            case .rename(let a, let b): try ns.rename(a, to: b)
            case .remove(let p): try ns.removeFile(p)
            }
        }
    }

    /// Operation `i`: 8 directories, then groups of four on one file: create, set size, move
    /// to the next directory, then remove it (every third group) or set its size again.
    static func operation(_ i: Int) -> Operation {
        if i < 8 { return .mkdir("/w/d\(i)") }
        let base = i - i % 4
        let created = "/w/d\(base % 8)/f\(base)"
        let moved = "/w/d\((base + 1) % 8)/r\(base)"
        switch i % 4 {
        case 0: return .create(created)
        case 1: return .size(created, UInt64(i))
        case 2: return .rename(created, moved)
        default: return (base / 4) % 3 == 0 ? .remove(moved) : .size(moved, UInt64(i))
        }
    }
}

/// Writes one line to stdout with a single write(2) (atomic on a pipe), so lines from the two
/// threads never interleave and nothing waits in a buffer when the process is killed.
private func emit(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
}
