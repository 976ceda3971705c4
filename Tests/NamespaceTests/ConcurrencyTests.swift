import Changelog
import Testing
@testable import Namespace
import Platform

/// Readers on another thread while the writer creates, renames and removes: no crash, and every
/// listing a reader sees is consistent (sorted, each entry stat-able or removed meanwhile).
@Suite struct ConcurrencyTests {
    @Test func readersDuringMutations() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let ns = try Namespace.boot(dir.configuration())
        try ns.createContainer("/d", attributes: fixedAttributes)
        let reader = BackgroundThread.startOrRunInline { () -> Int in
            var seen = 0
            for _ in 0..<300 {
                guard let entries = try? ns.list("/d") else { continue }
                let names = entries.map { Array($0.name.utf8) }
                if !expectSortedBytes(names) { return -1 }
                seen += entries.count
                _ = ns.statistics()
            }
            return seen
        }
        for i in 0..<400 {
            let id = try ns.createFile("/d/f\(i)", attributes: fixedAttributes)
            try ns.setSize(id, UInt64(i))
            if i % 3 == 0 { try ns.rename("/d/f\(i)", to: "/d/g\(i)") }
            if i % 5 == 0 { try ns.removeFile(i % 3 == 0 ? "/d/g\(i)" : "/d/f\(i)") }
        }
        #expect(reader.join() >= 0)
        #expect(try ns.list("/d").count == 400 - 80)
    }
}
