import Prometheus

/// The metrics of one server (`--metrics`): its own registry (so servers in one process do not mix
/// their figures), the request-path metrics and the scrape-time sampler.
public final class ServerMetrics: Sendable {
    /// Where every Beryl metric is registered; `beryl-mgm` also points swift-metrics at it, so a
    /// dependency's swift-metrics instruments appear on the same endpoint.
    public let registry: PrometheusCollectorRegistry
    let requests: RequestMetrics
    let sampler: MonitoringSampler

    init(registry: PrometheusCollectorRegistry, state: ServerState) {
        self.registry = registry
        requests = RequestMetrics(registry: registry)
        sampler = MonitoringSampler(registry: registry, state: state)
    }

    /// The body of a /metrics answer: the `ns stat -m` figures sampled now, then every metric.
    func scrape() -> [UInt8] {
        sampler.sample()
        return registry.emitToBuffer() + Array(requests.durations.emit().utf8)
    }
}

extension MetricNameDescriptor {
    /// A metric's full name (`beryl_requests_total`) and its `# HELP` text (promtool wants one on every metric).
    static func beryl(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
