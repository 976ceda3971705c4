import Platform
import Testing

/// Raw memory stays in the few named places of docs/ARCHITECTURE.md ("Raw memory"): a Swift file
/// anywhere else under Sources/ that starts doing raw loads, stores or pointer arithmetic fails
/// this test (`make test` runs it).
@Suite("Raw memory lint")
struct RawMemoryLintTests {
    /// The files allowed raw loads, stores and pointer arithmetic (paths under the package root).
    static let allowed: Set<String> = [
        "Sources/Platform/ByteCursor.swift",        // the one little-endian cursor
        "Sources/Platform/MappedRegion.swift",      // the mapping
        "Sources/Platform/Syscalls.swift",          // buffers handed to pread/pwrite
        "Sources/Namespace/ByteArena.swift",        // the arena of variable sections
        "Sources/Namespace/RowTable.swift",         // the row storage
        // The socket layer: socket addresses and buffers handed to the kernel.
        "Sources/Replication/SyncSocket.swift",
        "Sources/Replication/SyncSocket+Address.swift",
        "Sources/Replication/SyncListener.swift",
        "Sources/XRootD/SocketConnection.swift",
        "Sources/MGM/ServiceNotifier.swift",
        // The bridge to XRootD's security framework (CXrdSec): credentials and socket addresses as C buffers.
        "Sources/MGM/Authentication.swift",
        "Sources/MGM/SecurityClient.swift",
    ]

    /// What counts as raw memory access: typed loads and stores at byte offsets, pointer
    /// arithmetic on a buffer's base address or a raw pointer, and rebinding memory.
    static let patterns = [
        "load(fromByteOffset", "loadUnaligned", ".load(as:", "storeBytes", "advanced(by:",
        "assumingMemoryBound", "bindMemory", "withMemoryRebound",
    ]

    /// The lines of `text` that access raw memory (comments ignored), as "line: text".
    static func violations(in text: String) -> [String] {
        var found: [String] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if let comment = line.range(of: "//") { line = line[..<comment.lowerBound] }
            let hit = patterns.contains { line.contains($0) } || pointerArithmetic(line)
            if hit { found.append("\(n + 1): \(raw.trimmingPrefix(while: { $0 == " " }))") }
        }
        return found
    }

    /// `baseAddress! + n`, `baseAddress - n`, `UnsafeRawPointer(p) + n`, `UnsafeMutableRawPointer(mutating: p) + n`.
    static func pointerArithmetic(_ line: Substring) -> Bool {
        func followedByArithmetic(_ rest: Substring) -> Bool {
            let t = rest.drop(while: { $0 == " " })
            return t.hasPrefix("+ ") || t.hasPrefix("- ")
        }
        var rest = line
        while let r = rest.range(of: "baseAddress") {
            var after = rest[r.upperBound...]
            if after.hasPrefix("!") { after = after.dropFirst() }
            if followedByArithmetic(after) { return true }
            rest = rest[r.upperBound...]
        }
        rest = line
        while let r = rest.range(of: "RawPointer(") {
            var depth = 1
            var i = r.upperBound
            while i < rest.endIndex && depth > 0 {
                if rest[i] == "(" { depth += 1 } else if rest[i] == ")" { depth -= 1 }
                i = rest.index(after: i)
            }
            if depth == 0 && followedByArithmetic(rest[i...]) { return true }
            rest = rest[r.upperBound...]
        }
        return false
    }

    static var packageRoot: String {
        // Tests/ChangelogTests/RawMemoryLintTests.swift -> the package root.
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }

    static func swiftFiles(under directory: String) -> [String] {
        FileSystem.list(directory).flatMap { name -> [String] in
            let path = directory + "/" + name
            if FileSystem.isDirectory(path) { return swiftFiles(under: path) }
            return name.hasSuffix(".swift") ? [path] : []
        }
    }

    @Test("no Swift file outside the named raw-memory types does raw loads, stores or pointer arithmetic")
    func rawMemoryStaysInTheNamedFiles() throws {
        let root = Self.packageRoot
        let files = Self.swiftFiles(under: root + "/Sources")
        #expect(files.count > 100, "the scan found the sources (\(files.count) files under \(root)/Sources)")
        var report: [String] = []
        for path in files {
            let relative = String(path.dropFirst(root.count + 1))
            if Self.allowed.contains(relative) { continue }
            let file = try SystemFile.open(path, access: .readOnly, creation: .openExisting)
            let text = String(decoding: try file.read(count: Int(try file.size()), at: 0), as: UTF8.self)
            report += Self.violations(in: text).map { "\(relative):\($0)" }
        }
        #expect(report.isEmpty, "raw memory outside the files named in docs/ARCHITECTURE.md:\n\(report.joined(separator: "\n"))")
        for allowed in Self.allowed { #expect(FileSystem.exists(root + "/" + allowed), "\(allowed) is listed but gone") }
    }

    /// Little-endian conversion (`.littleEndian`, `init(littleEndian:)`) is `ByteCursor`'s alone: a codec
    /// that converts byte order itself is a second little-endian reader or writer. (Big-endian is the
    /// XRootD protocol's and the socket addresses', not a codec of ours over `ByteCursor`.)
    @Test("no Swift file but ByteCursor converts to or from little-endian")
    func littleEndianStaysInTheCursor() throws {
        let root = Self.packageRoot
        var report: [String] = []
        for path in Self.swiftFiles(under: root + "/Sources") {
            let relative = String(path.dropFirst(root.count + 1))
            if relative == "Sources/Platform/ByteCursor.swift" { continue }
            let file = try SystemFile.open(path, access: .readOnly, creation: .openExisting)
            let text = String(decoding: try file.read(count: Int(try file.size()), at: 0), as: UTF8.self)
            for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                var line = Substring(raw)
                if let comment = line.range(of: "//") { line = line[..<comment.lowerBound] }
                if line.contains("littleEndian") { report.append("\(relative):\(n + 1): \(raw.trimmingPrefix(while: { $0 == " " }))") }
            }
        }
        #expect(report.isEmpty, "little-endian conversion outside ByteCursor:\n\(report.joined(separator: "\n"))")
    }

    @Test("the lint catches each kind of raw access, and not atomics, comments or integer sums")
    func lintCatchesPlantedViolations() {
        let planted = [
            "let x = p.load(fromByteOffset: 4, as: UInt32.self)",
            "let y = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 8, as: UInt64.self))",
            "p.storeBytes(of: 1, toByteOffset: 0, as: UInt8.self)",
            "let q = p.advanced(by: 16)",
            "memcmp(a.baseAddress! + chunk, b, n)",
            "let r = UnsafeRawPointer(p) + 8",
            "$0.withMemoryRebound(to: sockaddr.self, capacity: 1) { f($0) }",
        ]
        for line in planted { #expect(Self.violations(in: line).count == 1, "not caught: \(line)") }
        let clean = [
            "let n = counter.load(ordering: .relaxed)",
            "// p.load(fromByteOffset: 0, as: UInt8.self) in a comment",
            "let cursor = base + UInt64(buffer.count)",
            "let v = ByteCursor(bytes).u32(offset)",
            "UnsafeMutableRawBufferPointer(rebasing: b[headerAt...]).baseAddress!",
        ]
        for line in clean { #expect(Self.violations(in: line).isEmpty, "false alarm: \(line)") }
    }
}
