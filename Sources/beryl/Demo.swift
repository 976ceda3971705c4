import ArgumentParser
import Changelog
import Glibc
import Namespace
import Platform

/// The offline demo (`make demo`): boots the namespace of a data directory (creating a small
/// EOS-like tree on first use), applies a round of metadata traffic, reboots it from its
/// changelogs, and prints the `ns` statistics and what the logs hold. Its default directory,
/// `./var/demo`, is not the one `make run` serves (`./var/beryl`).
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Boot the namespace under the data directory, apply metadata traffic, reboot, print `ns` statistics.",
        discussion: "Exit status: 0 when the namespace rebooted and both logs verify clean; 1 otherwise (the error or the findings are printed).")
    @Option(help: "Data directory.") var data = "./var/demo"
    @Option(help: "Files to create on first use.") var files = 20_000

    func run() throws {
        try FileSystem.createDirectory(data)
        // Bulk population runs with durability `none` (one thread gains nothing from group
        // commit); later traffic uses the default, `batch`.
        let config = NamespaceConfiguration(directory: data, durability: FileSystem.exists(data + "/files.mdlog") ? .batch : .none)
        let ns = try Namespace.boot(config)
        print("booted \(data): \(ns.fileCount) files, \(ns.containerCount) directories in \(String(format1: ns.bootReport.seconds * 1000)) ms")
        for repair in ns.bootReport.repairs { print("boot repair: \(repair)") }
        if ns.fileCount == 0 {
            let started = Demo.seconds()
            for d in 0..<100 {
                let dir = try ns.createContainer("/eos/demo/user\(d % 10)/run\(d)", attributes: CreationAttributes(uid: 1000, gid: 1000),
                                                 missingParents: .create)
                for f in 0..<(files / 100) {
                    let id = try ns.createFile(named: "file\(f).root", in: dir, attributes: CreationAttributes(uid: 1000, gid: 1000))
                    try ns.setSize(id, UInt64(f) * 4096)
                    try ns.addLocation(UInt32(1 + f % 8), to: id)
                }
            }
            print("created \(files) files in 100 directories (3 records each, durability none) in \(String(format1: Demo.seconds() - started)) s")
        } else {
            // A round of traffic on an existing namespace: move a run, grow some files.
            let runs = try ns.list("/eos/demo/user0")
            if let first = runs.first {
                try ns.rename("/eos/demo/user0/\(first.name)", to: "/eos/demo/user0/\(first.name).moved")
                print("renamed /eos/demo/user0/\(first.name) -> \(first.name).moved")
            }
        }
        ns.close()
        let rebooted = try Namespace.boot(NamespaceConfiguration(directory: data, durability: .batch, role: .masterReadOnly))
        print("rebooted read-only from the changelogs in \(String(format1: rebooted.bootReport.seconds * 1000)) ms\n")
        print(rebooted.statistics().formatted())
        for path in [config.filesLogPath, config.directoriesLogPath] {
            let report = Verifier.verify(path: path)
            print("\(path): \(report.records) records, \(report.findings.count) findings")
            if !report.isClean { throw ExitCode(1) }
        }
        rebooted.close()
    }

    static func seconds() -> Double { SystemClock.monotonicSeconds() }
}
