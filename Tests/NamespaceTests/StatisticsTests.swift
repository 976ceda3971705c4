import Foundation
import Testing
@testable import Namespace

@Suite struct StatisticsTests {
    @Test func legacyLayout() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let ns = try Namespace.boot(dir.configuration())
        try ns.createContainer("/a/b", attributes: fixedAttributes, missingParents: .create)
        for i in 0..<10 { try ns.createFile("/a/b/f\(i)", attributes: fixedAttributes) }
        let stats = ns.statistics()
        #expect(stats.files == 10 && stats.directories == 3 && stats.state == .booted)
        #expect(stats.currentFileID == 10 && stats.filesCreatedSinceBoot == 10)
        // The changelog sizes are the records' bytes, not the files' preallocated space.
        #expect(stats.filesChangelogBytes == ns.changelog(.files)!.end.rawValue)
        #expect(stats.directoriesChangelogBytes == ns.changelog(.directories)!.end.rawValue)
        let text = stats.formatted()
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[3].hasPrefix("ALL      Files                            10 [booted] ("))
        for line in lines where line.hasPrefix("ALL") {
            let bytes = Array(line.utf8)
            #expect(bytes[NamespaceStatistics.valueColumn - 1] == 0x20 && bytes[NamespaceStatistics.valueColumn] != 0x20, "\(line)")
        }
        #expect(lines.contains { $0.hasPrefix("ALL      Dir  Changelog Size") })
        #expect(lines.contains { $0.hasPrefix("ALL      memory resident") })
        let pairs = Dictionary(uniqueKeysWithValues: stats.monitoringPairs().map { ($0.key, $0.value) })
        #expect(pairs["ns.total.files"] == "10")
        #expect(pairs["ns.total.directories"] == "3")
        #expect(pairs["ns.boot.status"] == "booted")
        #expect(Int(pairs["ns.memory.resident"] ?? "") ?? 0 > 0)
        #expect(stats.monitoringFormatted().contains("ns.current.cid=3\n"))
    }

    /// The legacy `ns` layout line for line (decoration, groups, `memory growths`, `threads`), with
    /// fixed figures so nothing needs masking.
    @Test func goldenText() {
        let stats = NamespaceStatistics(state: .booted, files: 227, directories: 572, bootSeconds: 0.5, fileBootSeconds: 0.25,
                                        filesChangelogBytes: 18_130_000, directoriesChangelogBytes: 86_390, currentFileID: 300,
                                        currentContainerID: 600, filesCreatedSinceBoot: 12, containersCreatedSinceBoot: 3,
                                        memory: .init(virtual: 1_200_000_000, resident: 52_000_000, shared: 17_000_000),
                                        memoryGrowth: 4_096_000, threads: 23)
        let text = stats.formatted(replication: [
            ("Replication", "mode=master-rw state=master-rw master=127.0.0.1:1094 configdir=/var/beryl config=none active=true"),
        ])
        let dashes = "# ------------------------------------------------------------------------------------"
        let dots = "# ...................................................................................."
        #expect(text == """
            \(dashes)
            # Namespace Statistic
            \(dashes)
            ALL      Files                            227 [booted] (0.25s)
            ALL      Directories                      572
            ALL      Total boot time                  0.50 s
            \(dots)
            ALL      Compactification                 status=off waitstart=0 interval=0 ratio-file=0.0:1 ratio-dir=0.0:1
            \(dots)
            ALL      Replication                      mode=master-rw state=master-rw master=127.0.0.1:1094 configdir=/var/beryl config=none active=true
            \(dots)
            ALL      File Changelog Size              18.13 MB
            ALL      Dir  Changelog Size              86.39 kB
            \(dots)
            ALL      avg. File Entry Size             79.87 kB
            ALL      avg. Dir  Entry Size             151 B
            \(dashes)
            ALL      files created since boot         12
            ALL      container created since boot     3
            ALL      current file id                  300
            ALL      current container id             600
            \(dashes)
            ALL      memory virtual                   1.20 GB
            ALL      memory resident                  52.00 MB
            ALL      memory share                     17.00 MB
            ALL      memory growths                   4.10 MB
            ALL      threads                          23
            \(dashes)

            """)
        // Without replication lines (the console's local `ns`) the group and its separator are left out.
        #expect(!stats.formatted().contains("Replication"))
        #expect(stats.formatted().components(separatedBy: dots).count == 4)
        let monitoring = stats.monitoringFormatted()
        #expect(monitoring.contains("ns.memory.growth=4096000\n") && monitoring.contains("ns.stat.threads=23\n"))
    }

    @Test func readableSizes() {
        #expect(NamespaceStatistics.readableSize(512) == "512 B")
        #expect(NamespaceStatistics.readableSize(79_850) == "79.85 kB")
        #expect(NamespaceStatistics.readableSize(1_234_567) == "1.23 MB")
        #expect(NamespaceStatistics.readableSize(2_000_000_000) == "2.00 GB")
    }
}
