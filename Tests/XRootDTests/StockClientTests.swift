import Foundation
import Synchronization
import Testing
import XRootD

/// The system Python with Debian's `python3-xrootd` bindings (other Python installs lack them).
enum StockPython {
    static let path = "/usr/bin/python3"
    static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: path)
            && FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/XRootD")
    }
}

/// The other direction: the stock client library (libXrdCl through the Python bindings, one long-lived
/// process) against a scripted server built from our codec, so the server side of the codec (request
/// decoding, response encoding, handshake) is proven against the real client too.
@Suite(.enabled(if: StockPython.isInstalled, "python3-xrootd (the stock client bindings) is not installed: skipped"))
struct StockClientTests {

    /// A tiny namespace: path -> is directory.
    private static func namespaceServer() throws -> FakeServer {
        let entries = Mutex<[String: Bool]>(["/": true, "/d": true, "/d/f": false])
        @Sendable func stat(_ isDirectory: Bool) -> StatInfo {
            let extended = StatInfo.Extended(changeTime: 1_700_000_001, accessTime: 1_700_000_002,
                                             mode: isDirectory ? 0o755 : 0o644, owner: "beryl", group: "beryl")
            return StatInfo(id: 7, size: isDirectory ? 4096 : 11, flags: StatFlags(posixMode: isDirectory ? 0o040755 : 0o100644),
                            modificationTime: 1_700_000_000, extended: extended)
        }
        return try FakeServer { request, stream in
            func ok(_ body: [UInt8] = []) -> [XRootDResponse] { [XRootDResponse(streamID: stream, body: .ok(body))] }
            func missing(_ path: String) -> [XRootDResponse] {
                [.error(stream, .notFound, "Unable to locate \(path); no such file or directory")]
            }
            return entries.withLock { entries in
                switch request {
                case .ping:
                    return ok()
                case .stat(let r):
                    guard let isDirectory = entries[r.path] else { return missing(r.path) }
                    return ok(stat(isDirectory).encode())
                case .dirlist(let r):
                    guard entries[r.path] == true else { return missing(r.path) }
                    let prefix = r.path == "/" ? "/" : r.path + "/"
                    let children = entries.keys.filter { $0.hasPrefix(prefix) && $0 != prefix && !$0.dropFirst(prefix.count).contains("/") }
                        .sorted().map { DirectoryEntry(name: String($0.dropFirst(prefix.count)), stat: stat(entries[$0]!)) }
                    let bodies = DirectoryListing(entries: children).encodeBodies(options: r.options)
                    return bodies.enumerated().map { index, body in
                        XRootDResponse(streamID: stream, body: index == bodies.count - 1 ? .ok(body) : .okSoFar(body))
                    }
                case .mkdir(let r):
                    if entries[r.path] == false { return [.error(stream, .itExists, "Unable to mkdir \(r.path); file exists")] }
                    var path = r.path
                    while !path.isEmpty, entries[path] == nil {
                        entries[path] = true
                        guard r.options.contains(.makePath), let slash = path.lastIndex(of: "/") else { break }
                        path = String(path[..<slash])
                    }
                    return ok()
                case .rm(let path):
                    guard entries.removeValue(forKey: path) != nil else { return missing(path) }
                    return ok()
                case .rmdir(let path):
                    if entries.keys.contains(where: { $0.hasPrefix(path + "/") }) {
                        return [.error(stream, .fsError, "Unable to remove \(path); directory not empty")]
                    }
                    guard entries.removeValue(forKey: path) != nil else { return missing(path) }
                    return ok()
                case .mv(let r):
                    guard let isDirectory = entries.removeValue(forKey: r.source) else { return missing(r.source) }
                    entries[r.destination] = isDirectory
                    return ok()
                case .query(let r) where r.kind == .config:
                    return ok(Array(r.arguments.split(separator: " ").map { $0 == "version" ? "beryl-test" : String($0) }
                        .joined(separator: "\n").utf8) + [0x0A])
                default:
                    return [.error(stream, .unsupported, "\(request.requestID.name) is not supported here")]
                }
            }
        }
    }

    static let script = """
        import sys
        from XRootD import client
        from XRootD.client.flags import DirListFlags, MkDirFlags, QueryCode
        fs = client.FileSystem("root://127.0.0.1:%s" % sys.argv[1])
        def out(*a): print(*a, flush=True)
        st, _ = fs.ping(); out("ping", st.ok)
        st, i = fs.stat("/d/f"); out("stat", st.ok, i.size, i.flags, i.modtime)
        st, i = fs.stat("/d"); out("statdir", st.ok, i.size, i.flags)
        st, _ = fs.stat("/nope"); out("enoent", st.ok, st.errno)
        st, l = fs.dirlist("/d"); out("ls", st.ok, ",".join(e.name for e in l))
        st, _ = fs.mkdir("/d/sub/deeper", MkDirFlags.MAKEPATH); out("mkdir", st.ok)
        st, l = fs.dirlist("/d", DirListFlags.STAT); out("lsl", st.ok, ",".join("%s:%d" % (e.name, e.statinfo.size) for e in l))
        st, _ = fs.mkdir("/d/f"); out("eexist", st.ok, st.errno)
        st, _ = fs.rmdir("/d"); out("enotempty", st.ok, st.errno)
        st, _ = fs.mv("/d/f", "/d/g"); out("mv", st.ok)
        st, _ = fs.rm("/d/g"); out("rm", st.ok)
        st, _ = fs.rm("/d/g"); out("rmagain", st.ok, st.errno)
        st, r = fs.query(QueryCode.CONFIG, "version"); out("version", st.ok, r.decode().strip())
        """

    @Test func pythonBindingsAgainstOurCodec() throws {
        let server = try Self.namespaceServer()
        defer { server.stop() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: StockPython.path)
        process.arguments = ["-c", Self.script, String(server.port)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = ContinuousClock.now + .seconds(90)
        while process.isRunning, ContinuousClock.now < deadline { usleep(50_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        var lines: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { lines[String(parts[0])] = String(parts[1]) }
        }
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(lines["ping"] == "True")
        #expect(lines["stat"] == "True 11 48 1700000000", "\(text)")
        #expect(lines["statdir"] == "True 4096 51")
        #expect(lines["enoent"] == "False 3011")
        #expect(lines["ls"] == "True f")
        #expect(lines["mkdir"] == "True")
        #expect(lines["lsl"] == "True f:11,sub:4096", "\(text)")
        #expect(lines["eexist"] == "False 3018")
        #expect(lines["enotempty"] == "False 3005")
        #expect(lines["mv"] == "True")
        #expect(lines["rm"] == "True")
        #expect(lines["rmagain"] == "False 3011")
        #expect(lines["version"] == "True beryl-test")
    }
}
