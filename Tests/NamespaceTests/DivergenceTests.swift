import Changelog
import Glibc
import Testing
@testable import Namespace

/// `Namespace.divergence`: the records of ours that adopting a master's log would discard. Two
/// histories fork from one namespace: ours (the old master's unshipped tail) and the master's,
/// which compacted afterwards, so the logs are unrelated and records are compared by entry.
@Suite struct DivergenceTests {
    /// Boots a namespace at `path`, runs `body`, closes it.
    private func with(_ path: String, _ body: (Namespace) throws -> Void) throws {
        let ns = try Namespace.boot(NamespaceConfiguration(directory: path, durability: .none))
        defer { ns.close() }
        try body(ns)
    }

    private func fork() throws -> (ours: TemporaryDirectory, master: TemporaryDirectory) {
        let ours = TemporaryDirectory(), master = TemporaryDirectory()
        try with(ours.path) { ns in
            _ = try ns.createContainer("/shared/kept", missingParents: .create)
            _ = try ns.createContainer("/shared/gone", missingParents: .create)
        }
        for name in [NamespaceConfiguration.filesLogName, NamespaceConfiguration.directoriesLogName] {
            #expect(system("cp '\(ours.path)/\(name)' '\(master.path)/\(name)'") == 0)
        }
        return (ours, master)
    }

    @Test func sameIdsAndSequencesOnTwoForksStillDiverge() throws {
        let (ours, master) = try fork()
        defer {
            ours.remove()
            master.remove()
        }
        // Each fork's next directory gets the same id and the same sequence, with other contents.
        try with(master.path) { ns in
            _ = try ns.createContainer("/shared/on-master", missingParents: .fail)
            ns.role = .masterReadWrite
            _ = try ns.compact(.all)
        }
        let replacement = try Changelog.open(at: master.path + "/" + NamespaceConfiguration.directoriesLogName,
                                             configuration: .readOnly)
        defer { replacement.close() }
        try with(ours.path) { ns in
            let id = try ns.createContainer("/shared/only-here", missingParents: .fail)
            // Our delete of an entry the master still holds would be undone by adopting its log.
            try ns.removeContainer("/shared/gone")
            let report = try ns.divergence(of: .directories, replacement: replacement, appliedThrough: nil)
            #expect(report.commonEnd == nil)
            #expect(report.records.contains { $0.id == id.rawValue && $0.path == "/shared/only-here" }, "\(report.records)")
            #expect(report.records.contains { $0.type == .delete }, "\(report.records)")
            // What both forks hold unchanged is proven and not reported.
            #expect(!report.records.contains { $0.path == "/shared/kept" })
            // A prefix proven by the master (appliedThrough) diverges nowhere.
            #expect(try ns.divergence(of: .directories, replacement: replacement, appliedThrough: .zero).isEmpty)
        }
    }
}
