import Foundation
import Glibc

/// One reported figure: name, value, unit, and the target it is checked against.
public struct Figure {
    public init(name: String, value: Double, unit: String, goal: Goal) {
        self.name = name
        self.value = value
        self.unit = unit
        self.goal = goal
    }
    public enum Goal { case atLeast(Double), atMost(Double), report }
    public var name: String
    public var value: Double
    public var unit: String
    public var goal: Goal

    public var targetText: String {
        switch goal {
        case .atLeast(let v): ">= \(format(v))"
        case .atMost(let v): "<= \(format(v))"
        case .report: "-"
        }
    }
    public var met: Bool? {
        switch goal {
        case .atLeast(let v): value >= v
        case .atMost(let v): value <= v
        case .report: nil
        }
    }
}

public func format(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
    if abs(v) >= 100 { return String(format: "%.0f", v) }
    return String(format: "%.3f", v)
}

/// Prints the table and writes Benchmarks/results/<suite>.json.
public func report(suite: String, figures: [Figure], notes: [String] = []) throws {
    print("\nsuite \(suite)")
    let w = max(40, (figures.map(\.name.count).max() ?? 0) + 2)
    print("name".padding(toLength: w, withPad: " ", startingAt: 0) + "value".padding(toLength: 18, withPad: " ", startingAt: 0)
          + "unit".padding(toLength: 12, withPad: " ", startingAt: 0) + "target".padding(toLength: 16, withPad: " ", startingAt: 0) + "met")
    for f in figures {
        let met = f.met.map { $0 ? "yes" : "NO" } ?? "-"
        print(f.name.padding(toLength: w, withPad: " ", startingAt: 0) + format(f.value).padding(toLength: 18, withPad: " ", startingAt: 0)
              + f.unit.padding(toLength: 12, withPad: " ", startingAt: 0) + f.targetText.padding(toLength: 16, withPad: " ", startingAt: 0) + met)
    }
    for n in notes { print("  note: \(n)") }
    var json = "{\n  \"suite\": \"\(suite)\",\n  \"commit\": \"\(shell("git rev-parse --short HEAD 2>/dev/null"))\",\n"
    json += "  \"date\": \"\(ISO8601DateFormatter().string(from: Date()))\",\n"
    json += "  \"machine\": \"\(machineDescription())\",\n  \"figures\": [\n"
    json += figures.map { f in
        let target: String
        switch f.goal {
        case .atLeast(let v): target = "\">= \(format(v))\""
        case .atMost(let v): target = "\"<= \(format(v))\""
        case .report: target = "null"
        }
        let met = f.met.map { $0 ? "true" : "false" } ?? "null"
        let value = f.value.isFinite ? "\(f.value)" : "null"
        return "    {\"name\": \"\(f.name)\", \"value\": \(value), \"unit\": \"\(f.unit)\", \"target\": \(target), \"met\": \(met)}"
    }.joined(separator: ",\n")
    json += "\n  ],\n  \"notes\": [" + notes.map { "\"\($0.replacingOccurrences(of: "\"", with: "'"))\"" }.joined(separator: ", ") + "]\n}\n"
    let dir = resultsDirectory()
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try json.write(toFile: "\(dir)/\(suite).json", atomically: true, encoding: .utf8)
    print("wrote \(dir)/\(suite).json")
}

public func resultsDirectory() -> String {
    ProcessInfo.processInfo.environment["BERYL_BENCH_RESULTS"] ?? "Benchmarks/results"
}

public func shell(_ command: String) -> String {
    guard let p = popen(command, "r") else { return "" }
    defer { pclose(p) }
    var out = ""
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buf, 1, buf.count, p)
        if n <= 0 { break }
        out += String(decoding: buf[0..<n], as: UTF8.self)
    }
    return out.trimmingCharacters(in: .whitespacesAndNewlines)
}

public func machineDescription() -> String {
    let cpu = shell("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").trimmingCharacters(in: .whitespaces)
    return "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(cpu), \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"
}

/// Wall-clock seconds of `body`.
public func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

public func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
}

/// A scratch directory for one benchmark run, removed afterwards.
public func scratchDirectory(_ name: String) -> String {
    let base = ProcessInfo.processInfo.environment["BERYL_BENCH_SCRATCH"] ?? "/tmp"
    let path = "\(base)/beryl-bench-\(name)-\(getpid())"
    try? FileManager.default.removeItem(atPath: path)
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// User + system CPU seconds of this process (every thread) so far (getrusage).
public func processCPUSeconds() -> Double {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return .nan }
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Resident set size in bytes, from /proc/self/statm.
public func residentBytes() -> Double {
    let fields = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " ") ?? []
    guard fields.count > 1, let pages = Double(fields[1]) else { return .nan }
    return pages * 4096
}

/// Seconds for one call of `body` over the whole file, mapped read-only (the physical floor
/// that scan-like figures are compared against). `body` returns a value so it is not optimised away.
public func timeOverMappedFile<R: Equatable>(_ path: String, _ body: (UnsafeRawBufferPointer) -> R) -> Double {
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    var st = stat()
    fstat(fd, &st)
    let n = Int(st.st_size)
    guard let p = mmap(nil, n, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else { return .nan }
    defer { munmap(p, n) }
    var results: [R] = []
    let t = measure { results.append(body(UnsafeRawBufferPointer(start: p, count: n))) }
    if results.isEmpty { print("") }
    return t
}

/// Resident bytes not backed by a file (statm resident - shared): the process's own memory,
/// without the page-cache pages of mapped logs, which the kernel can drop at any time.
public func anonymousResidentBytes() -> Double {
    let fields = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " ") ?? []
    guard fields.count > 2, let resident = Double(fields[1]), let shared = Double(fields[2]) else { return .nan }
    return (resident - shared) * 4096
}

/// Writes raw samples (for charts) to Benchmarks/results/<suite>.<name>.samples.json as a JSON array.
public func writeSamples(suite: String, name: String, values: [Double]) throws {
    let dir = resultsDirectory()
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let body = "[" + values.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ", ") + "]\n"
    try body.write(toFile: "\(dir)/\(suite).\(name).samples.json", atomically: true, encoding: .utf8)
}
