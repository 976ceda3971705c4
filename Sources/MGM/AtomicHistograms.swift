import Synchronization

/// Prometheus histograms of durations, one series per label value, updated with relaxed atomic adds
/// and written in the text format at scrape time.
///
/// Why not swift-prometheus's `Histogram`: it takes a mutex per observation, and the event loops
/// recording stats at once contended for it (measured: 1.4 µs more kernel time per stat, futex
/// waits, and a lower stat throughput with `--metrics`). Here an observation is a short scan of the
/// bounds and three uncontended-in-the-common-case atomic adds.
final class AtomicHistograms: @unchecked Sendable {
    // @unchecked: `cells` is allocated once, never resized, and only accessed through `Atomic`.
    let name: String
    let help: String
    let label: String
    let values: [String]
    /// Upper bounds in nanoseconds, ascending.
    let bounds: [Int64]
    /// Per series: one cell per bound (observations <= it and > the previous one), one for +Inf, one
    /// for the sum in nanoseconds.
    private let cells: UnsafeMutablePointer<Atomic<Int>>
    private let stride: Int

    init(name: String, help: String, label: String, values: [String], bounds: [Duration]) {
        self.name = name
        self.help = help
        self.label = label
        self.values = values
        self.bounds = bounds.map { Int64($0.components.seconds) * 1_000_000_000 + $0.components.attoseconds / 1_000_000_000 }
        stride = bounds.count + 2
        let count = stride * values.count
        cells = .allocate(capacity: count)
        for index in 0..<count { (cells + index).initialize(to: Atomic(0)) }
    }

    deinit {
        cells.deinitialize(count: stride * values.count)
        cells.deallocate()
    }

    /// Records one observation of `nanoseconds` in series `series`.
    @inline(__always)
    func record(_ series: Int, nanoseconds: Int64) {
        var bucket = 0
        while bucket < bounds.count, nanoseconds > bounds[bucket] { bucket += 1 }
        let base = series * stride
        cells[base + bucket].add(1, ordering: .relaxed)
        cells[base + bounds.count + 1].add(Int(nanoseconds), ordering: .relaxed)
    }

    /// The observations of `series` so far (for tests): per bucket (the last is +Inf), and the sum.
    func snapshot(_ series: Int) -> (buckets: [Int], sumNanoseconds: Int) {
        let base = series * stride
        let buckets = (0...bounds.count).map { cells[base + $0].load(ordering: .relaxed) }
        return (buckets, cells[base + bounds.count + 1].load(ordering: .relaxed))
    }

    /// The series that have observations, in the Prometheus text format (HELP and TYPE once).
    func emit() -> String {
        var out = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        for (series, value) in values.enumerated() {
            let (buckets, sum) = snapshot(series)
            let count = buckets.reduce(0, +)
            guard count > 0 else { continue }
            var cumulative = 0
            for (index, bound) in bounds.enumerated() {
                cumulative += buckets[index]
                out += "\(name)_bucket{\(label)=\"\(value)\",le=\"\(Double(bound) / 1e9)\"} \(cumulative)\n"
            }
            out += "\(name)_bucket{\(label)=\"\(value)\",le=\"+Inf\"} \(count)\n"
            out += "\(name)_sum{\(label)=\"\(value)\"} \(Double(sum) / 1e9)\n"
            out += "\(name)_count{\(label)=\"\(value)\"} \(count)\n"
        }
        return out
    }
}
