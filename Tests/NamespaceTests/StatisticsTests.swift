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
        #expect(lines[0].hasPrefix("ALL      Files                            10 [booted] ("))
        for line in lines {
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

    @Test func readableSizes() {
        #expect(NamespaceStatistics.readableSize(512) == "512 B")
        #expect(NamespaceStatistics.readableSize(79_850) == "79.85 kB")
        #expect(NamespaceStatistics.readableSize(1_234_567) == "1.23 MB")
        #expect(NamespaceStatistics.readableSize(2_000_000_000) == "2.00 GB")
    }
}
