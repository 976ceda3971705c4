import Changelog
import Testing
@testable import Namespace
import Platform

/// Under durability `batch` and `always` a mutation releases the write lock before it waits for
/// its fdatasync, so concurrent mutations share syncs (group commit), and every acknowledged
/// mutation survives a reboot.
@Suite struct GroupCommitTests {
    @Test(arguments: [(Durability.batch, 8), (Durability.always, 16)])
    func concurrentMutationsShareSyncs(durability: Durability, threads: Int) throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var config = dir.configuration()
        config.durability = durability
        let ns = try Namespace.boot(config)
        let perThread = 40
        for t in 0..<threads { try ns.createContainer("/t\(t)", attributes: fixedAttributes) }
        let filesLog = try #require(ns.filesLog)
        let syncsBefore = filesLog.syncCount
        let workers = (0..<threads).map { t in
            BackgroundThread.startOrRunInline { () -> [String] in
                var acknowledged: [String] = []
                for i in 0..<perThread {
                    let path = "/t\(t)/f\(i)"
                    guard let id = try? ns.createFile(path, attributes: fixedAttributes),
                          (try? ns.setSize(id, UInt64(i + 1))) != nil else { return acknowledged }
                    acknowledged.append(path)
                }
                return acknowledged
            }
        }
        let acknowledged = workers.flatMap { $0.join() }
        let mutations = threads * perThread * 2
        let syncs = filesLog.syncCount - syncsBefore
        #expect(acknowledged.count == threads * perThread)
        #expect(syncs > 0)
        #expect(syncs < mutations, "\(syncs) fdatasyncs for \(mutations) mutations: no group commit")
        ns.close()

        let rebooted = try Namespace.boot(config)
        defer { rebooted.close() }
        for path in acknowledged {
            guard case .file(let f) = try rebooted.stat(path) else {
                Issue.record("\(path) is not a file")
                continue
            }
            #expect(f.size > 0, "\(path): setSize lost")
        }
    }
}
