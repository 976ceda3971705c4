import ArgumentParser
import Changelog
import Glibc

/// Writes a log under the data directory, reopens it, and verifies every record.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a changelog under the data directory, reopen it and verify every record.")
    @Option(help: "Data directory.") var data = "./var"
    @Option(help: "Records to write.") var count = 100_000

    func run() throws {
        try FileSystem.createDirectory(data)
        let path = data + "/demo.mdlog"
        let log = try Changelog.open(at: path, configuration: .init(contentKind: .files, durability: .batch))
        if let torn = log.openReport.tornTail { print("recovered from \(torn)") }
        let before = log.lastSequence
        var batch: [PendingRecord] = []
        for i in 0..<count {
            let id = UInt64(i % 10_000) + 1
            var p = withUnsafeBytes(of: id.littleEndian) { Array($0) }
            p += Array("/eos/demo/dir\(id % 100)/file\(id).root size=\(i)".utf8)
            batch.append(PendingRecord(i % 50 == 49 ? .delete : .update, payload: i % 50 == 49 ? Array(p[0..<8]) : p))
            if batch.count == 1000 {
                try log.append(batch: batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try log.append(batch: batch) }
        log.close()
        print("appended \(count) records to \(path) (sequences \(before.rawValue + 1)...\(before.rawValue + UInt64(count)))")
        let report = Verifier.verify(path: path)
        let reopened = try Changelog.open(at: path, configuration: .readOnly)
        let index = try OffsetIndex.build(from: reopened)
        let stats = try LogStatistics.compute(reopened)
        print("reopened: \(report.records) records verified, \(report.findings.count) findings, last sequence \(report.lastSequence)")
        print("index: \(index.count) live ids, \(String(format1: index.bytesPerEntry)) bytes per entry")
        print("projected compaction ratio: \(String(format1: stats.projectedRatio)):1")
        if !report.isClean { throw ExitCode(1) }
    }
}
