import BerylTestSupport
import Foundation
import Glibc
@testable import MGM
import Testing
import XRootD

/// `beryl-mgm serve --metrics`: the endpoint under load, promtool's verdict, and the `ns stat -m` figures.
@Suite struct MetricsTests {
    static var haveExecutables: Bool { ChildProcess.sibling("beryl-mgm") != nil }
    static let promtool = "/usr/bin/promtool"

    @Test(.enabled(if: haveExecutables, "build the executables first (swift build)"))
    func scrapesDuringLoad() throws {
        let mgm = try #require(ChildProcess.sibling("beryl-mgm"))
        let directory = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try ProgramRun.run(mgm, ["tag", "master", "--data", directory]).status == 0)
        let port = try ExecutableTests.freePort(), metricsPort = try ExecutableTests.freePort()
        let server = try ServeProcess(mgm, ["serve", "--data", directory, "--listen", "127.0.0.1:\(port)",
                                            "--metrics", "127.0.0.1:\(metricsPort)", "--durability", "batch"],
                                      log: directory + "/serve.log")
        defer { server.stop() }
        let client = try server.connect(port: port)
        defer { client.disconnect() }
        // The start line names the URL (it may reach the log file a moment after the port answers).
        var logged = false
        for _ in 0..<100 where !logged {
            logged = ((try? String(contentsOfFile: directory + "/serve.log", encoding: .utf8)) ?? "")
                .contains("url=http://127.0.0.1:\(metricsPort)/metrics")
            if !logged { usleep(100_000) }
        }
        #expect(logged)
        // A mutation that arrives before the replication node is up is answered kXR_wait and retried (and
        // counted twice): the counts below are taken from a first scrape after one mutation succeeded.
        try client.mkdir("/load", options: .makePath)
        let (baseStatus, baseBody) = try HTTP.get(port: metricsPort, path: "/metrics")
        #expect(baseStatus == 200)
        let base = try #require(Scrape(baseBody))
        var scrapes: [Scrape] = []
        func delta(_ series: String) -> Double? {
            guard let value = scrapes.last?.samples[series] else { return nil }
            return value - (base.samples[series] ?? 0)
        }
        let rounds = 5, perRound = 100
        for round in 0..<rounds {
            for i in 0..<perRound {
                try client.mkdir("/load/r\(round)/d\(i)", options: .makePath)
                _ = try client.stat("/load/r\(round)/d\(i)")
                #expect(throws: XRootDError.self) { try client.stat("/load/missing\(i)") }
            }
            let (status, body) = try HTTP.get(port: metricsPort, path: "/metrics")
            #expect(status == 200)
            scrapes.append(try #require(Scrape(body)))
        }
        // Every counter (and histogram count/sum/bucket) only grows from one scrape to the next.
        for (before, after) in zip(scrapes, scrapes.dropFirst()) {
            for (series, value) in before.samples where before.isMonotonic(series) {
                let later = try #require(after.samples[series], "\(series) vanished")
                #expect(later >= value, "\(series): \(value) -> \(later)")
            }
        }
        let last = try #require(scrapes.last)
        #expect(delta(#"beryl_requests_total{type="kXR_mkdir"}"#) == Double(rounds * perRound))
        #expect(delta(#"beryl_requests_total{type="kXR_stat"}"#) == Double(2 * rounds * perRound))
        #expect(delta(#"beryl_errors_total{code="kXR_NotFound"}"#) == Double(rounds * perRound))
        #expect(delta(#"beryl_request_duration_seconds_count{type="kXR_stat"}"#) == Double(2 * rounds * perRound))
        #expect(last.samples[#"beryl_namespace_directories"#] == Double(1 + 1 + rounds + rounds * perRound))
        #expect(last.samples[#"beryl_connections_open"#] == 1)
        #expect(last.samples[#"beryl_replication_state{state="master-rw"}"#] == 1)
        #expect((last.samples[#"beryl_fdatasync_total"#] ?? 0) > (scrapes[0].samples[#"beryl_fdatasync_total"#] ?? 0))
        #expect((last.samples[#"beryl_changelog_bytes{log="directories"}"#] ?? 0) > 0)
        #expect((scrapes.first?.samples[#"beryl_namespace_directories"#] ?? 0) < last.samples[#"beryl_namespace_directories"#]!)

        let (missing, _) = try HTTP.get(port: metricsPort, path: "/nope")
        #expect(missing == 404)
        guard FileManager.default.isExecutableFile(atPath: Self.promtool) else {
            print("MetricsTests: skipping promtool check: \(Self.promtool) is absent (Debian package prometheus)")
            return
        }
        let check = try ProgramRun.run(Self.promtool, ["check", "metrics"], input: try #require(scrapes.last).text)
        #expect(check.status == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "\(check.stdout)\(check.stderr)")
    }

    /// Every `ns stat -m` figure of a master and of a slave has a metric, and every metric's key is one
    /// that `ns stat -m` prints.
    @Test(.enabled(if: haveExecutables, "build the executables first (swift build)"))
    func everyMonitoringFigureHasAMetric() throws {
        let pair = try PairFixture()
        defer { pair.stop() }
        #expect(PairFixture.eventually { (try? pair.slave.monitoring("ns.sync.connected")) == "1" })
        var printed = Set<String>()
        for node in [pair.master, pair.slave] {
            for line in try node.admin(["ns", "stat", "-m"]).stdout.split(separator: "\n") {
                for pair in line.split(separator: " ") {
                    if let equals = pair.firstIndex(of: "=") { printed.insert(String(pair[..<equals])) }
                }
            }
        }
        #expect(printed.contains("ns.latency.files") && printed.contains("ns.total.files"), "\(printed.sorted())")
        let mapped = Set(MonitoringMetrics.table.map(\.key))
        #expect(printed.subtracting(mapped).isEmpty, "without a metric: \(printed.subtracting(mapped).sorted())")
        #expect(mapped.subtracting(printed).isEmpty, "not printed by ns stat -m: \(mapped.subtracting(printed).sorted())")
    }

    @Test func histogramBucketsAndText() {
        let histograms = AtomicHistograms(name: "t_seconds", help: "h", label: "type", values: ["a", "b"],
                                          bounds: [.microseconds(10), .milliseconds(1)])
        histograms.record(0, nanoseconds: 10_000)  // on a bound: that bucket
        histograms.record(0, nanoseconds: 10_001)
        histograms.record(0, nanoseconds: 5_000_000)  // past the last bound: +Inf
        #expect(histograms.snapshot(0).buckets == [1, 1, 1])
        #expect(histograms.snapshot(0).sumNanoseconds == 5_020_001)
        #expect(histograms.snapshot(1).buckets == [0, 0, 0])
        let text = histograms.emit()
        #expect(text.hasPrefix("# HELP t_seconds h\n# TYPE t_seconds histogram\n"))
        #expect(text.contains(#"t_seconds_bucket{type="a",le="1e-05"} 1"#))
        #expect(text.contains(#"t_seconds_bucket{type="a",le="0.001"} 2"#))
        #expect(text.contains(#"t_seconds_bucket{type="a",le="+Inf"} 3"#))
        #expect(text.contains(#"t_seconds_sum{type="a"} 0.005020001"#))
        #expect(text.contains(#"t_seconds_count{type="a"} 3"#))
        #expect(!text.contains(#"type="b""#), "a series without observations is left out")
    }

    @Test func metricsAddressIsChecked() throws {
        let mgm = try #require(ChildProcess.sibling("beryl-mgm"))
        let directory = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try ProgramRun.run(mgm, ["tag", "master", "--data", directory]).status == 0)
        let run = try ProgramRun.run(mgm, ["serve", "--data", directory, "--listen", "127.0.0.1:0", "--metrics", "127.0.0.1"])
        #expect(run.status != 0 && run.stderr.contains("--metrics must be IP:PORT"), "\(run.stderr)")
    }
}

extension MetricsTests {
    /// dist/grafana/beryl.json: every query names metrics the server exports, and parses as PromQL
    /// (promtool check rules, with Grafana's variables filled in).
    @Test func dashboardQueriesNameRealMetrics() throws {
        let metricsPort = try ExecutableTests.freePort()
        let server = try TestServer { $0.metrics = Endpoint(host: "127.0.0.1", port: metricsPort) }
        defer { server.stop() }
        #expect(server.server.metricsEndpoint?.port == metricsPort)
        let scrape = try #require(Scrape(try HTTP.get(port: metricsPort, path: "/metrics").body))
        let data = try Data(contentsOf: URL(fileURLWithPath: ServiceTests.checkout + "/dist/grafana/beryl.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(expressions.count > 20)
        for expression in expressions {
            let names = expression.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") })
                .filter { $0.hasPrefix("beryl_") }.map { String($0) }
            #expect(!names.isEmpty, "\(expression)")
            for name in names {
                let family = name.hasSuffix("_bucket") ? String(name.dropLast("_bucket".count)) : name
                #expect(scrape.types[family] != nil, "\(name) in \(expression) is not exported")
            }
        }
        guard FileManager.default.isExecutableFile(atPath: Self.promtool) else {
            print("MetricsTests: skipping promtool check rules: \(Self.promtool) is absent (Debian package prometheus)")
            return
        }
        var rules = "groups:\n- name: dashboard\n  rules:\n"
        for (index, expression) in expressions.enumerated() {
            let filled = expression.replacingOccurrences(of: "$__rate_interval", with: "5m")
                .replacingOccurrences(of: "$instance", with: ".*")
            rules += "  - record: dashboard:query\(index)\n    expr: '\(filled)'\n"
        }
        let file = server.directory + "/dashboard-rules.yml"
        try rules.write(toFile: file, atomically: true, encoding: .utf8)
        let check = try ProgramRun.run(Self.promtool, ["check", "rules", file])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }
}

/// One /metrics answer: every sample by its series (`name{labels}`), and the type of every family.
struct Scrape {
    let text: String
    var samples: [String: Double] = [:]
    var types: [String: String] = [:]

    init?(_ text: String) {
        self.text = text
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let words = line.split(separator: " ")
                guard words.count == 4 else { return nil }
                types[String(words[2])] = String(words[3])
            } else if !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                    return nil
                }
                samples[String(line[..<space])] = value
            }
        }
    }

    /// Counters and histograms only grow.
    func isMonotonic(_ series: String) -> Bool {
        let name = String(series.prefix { $0 != "{" })
        if types[name] == "counter" { return true }
        for suffix in ["_bucket", "_count", "_sum"] where name.hasSuffix(suffix) {
            if types[String(name.dropLast(suffix.count))] == "histogram" { return true }
        }
        return false
    }
}

/// A minimal HTTP/1.1 GET over loopback (the response read to the end: `Connection: close`).
enum HTTP {
    static func get(port: Int, path: String) throws -> (status: Int, body: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw XRootDError.connectionFailed("socket", errno: errno) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw XRootDError.connectionFailed("connect to \(port)", errno: errno) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else {
            throw XRootDError.connectionFailed("send", errno: errno)
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 { throw XRootDError.connectionFailed("recv", errno: errno) }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n"), let status = Int(text.split(separator: " ").dropFirst().first ?? "") else {
            throw XRootDError.connectionFailed("malformed HTTP answer: \(text.prefix(200))", errno: 0)
        }
        return (status, String(text[end.upperBound...]))
    }
}

/// A `beryl-mgm serve` child process with its log in a file; `stop()` sends SIGTERM and waits.
final class ServeProcess {
    let process = Process()

    init(_ executable: String, _ arguments: [String], log: String, environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log) ?? FileHandle.nullDevice
        try process.run()
    }

    /// A client of the server, once it answers (bounded).
    func connect(port: Int) throws -> XRootDClient {
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            if let client = try? XRootDClient(Endpoint(host: "127.0.0.1", port: port),
                                              options: .init(user: "root", connectTimeout: .seconds(1))) {
                return client
            }
            guard process.isRunning, ContinuousClock.now < deadline else {
                throw XRootDError.connectionFailed("beryl-mgm did not answer on \(port)", errno: 0)
            }
            usleep(50_000)
        }
    }

    /// SIGTERM, then the exit status (SIGKILL after 15 s).
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(15)
            while process.isRunning, ContinuousClock.now < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
