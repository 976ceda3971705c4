import BenchSupport
import Changelog
import Foundation
import Glibc
import Namespace

/// Suite `core`, synced path: a namespace mutation under durability `always` (`setSize`, one
/// record to the files log) beside the bare log's synced append, interleaved in slices so that
/// both see the same background flush latency of the shared disk. The ratio says what the
/// namespace costs around its one fdatasync (target: at least 0.9).
struct SyncedPathBench {
    let quick: Bool

    func run(in dir: String, payloads: [[UInt8]]) throws -> [Figure] {
        let files = quick ? 2_000 : 10_000
        let updates = quick ? 300 : 1_000
        let slices = 10
        let data = dir + "/ns-always"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        // Build the namespace unsynced, then reboot it under `always` (as the compare suite does).
        var ns = try Namespace.boot(NamespaceConfiguration(directory: data, durability: .none))
        let parent = try ns.createContainer("/eos/synced", missingParents: .create)
        var ids: [FileID] = []
        for f in 0..<files { ids.append(try ns.createFile(named: "file-\(f)", in: parent)) }
        ns.close()
        ns = try Namespace.boot(NamespaceConfiguration(directory: data, durability: .always))
        defer { ns.close() }
        let log = try Changelog.open(at: dir + "/log-always.log", configuration: .init(durability: .always))
        defer { log.close() }
        Glibc.sync()
        var nsSeconds = 0.0, logSeconds = 0.0
        for c in 0..<slices {
            let slice = (c * updates / slices)..<((c + 1) * updates / slices)
            let nsFirst = c % 2 == 0
            for k in 0..<2 {
                if (k == 0) == nsFirst {
                    nsSeconds += try measure { for i in slice { try ns.setSize(ids[(i * 7919) % files], UInt64(i) * 4096) } }
                } else {
                    logSeconds += try measure { for i in slice { try log.append(.update, payload: payloads[i & 1023]) } }
                }
            }
        }
        let nsRate = Double(updates) / nsSeconds, logRate = Double(updates) / logSeconds
        return [
            Figure(name: "namespace_always_updates_per_s", value: nsRate, unit: "ops/s", goal: .report),
            Figure(name: "log_always_interleaved_records_per_s", value: logRate, unit: "records/s", goal: .report),
            Figure(name: "namespace_always_vs_log_always_ratio", value: nsRate / logRate, unit: "x", goal: .atLeast(0.9)),
        ]
    }
}
