import Glibc
import Prometheus
import XRootD
import Platform

/// The metrics updated on the request path: requests by type, their execution time, the errors
/// answered by code, redirects and stalls, and connections.
///
/// Cheap by construction: every series exists from the start (no lookup by name, no lock: atomic
/// adds only), a request type is an index into an array, a time is one `clock_gettime`.
/// Absent (nil) when the server runs without `--metrics`, so it then costs nothing.
final class RequestMetrics: Sendable {
    /// `beryl_requests_total{type}`, `beryl_request_duration_seconds{type}`: one slot per request code
    /// of XRootD's range (`kXR_auth` ... `kXR_writev`), the last slot for anything else ("other").
    private let requests: [Counter]
    let durations: AtomicHistograms
    /// `beryl_errors_total{code}`: one per error code of XProtocol.hh (3000 ...), the last for any other.
    private let errors: [Counter]
    let redirects: Counter
    let stalls: Counter
    let connectionsOpened: Counter
    let connectionsOpen: Gauge

    private static let firstRequest = Int(RequestID.auth.rawValue)
    private static let lastRequest = Int(RequestID.writev.rawValue)
    private static let firstError: Int32 = 3000
    private static let lastError: Int32 = 3034

    /// From 10 µs (a stat answered on the event loop) to 2.5 s (a mutation waiting for a slow disk).
    static let durationBuckets: [Duration] = [
        .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250),
        .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(2.5),
    ]

    init(registry: PrometheusCollectorRegistry) {
        var names = Array(repeating: "other", count: Self.lastRequest - Self.firstRequest + 2)
        for id in RequestID.allCases { names[Int(id.rawValue) - Self.firstRequest] = id.name }
        requests = names.map {
            registry.makeCounter(descriptor: .beryl("beryl_requests_total", "XRootD requests received, by request type (kXR_stat, ...)."),
                                 labels: [("type", $0)])
        }
        durations = AtomicHistograms(name: "beryl_request_duration_seconds",
                                     help: "Time to execute a namespace request (access rules, the namespace call, "
                                         + "the wait for the log under durability batch/always).",
                                     label: "type", values: names, bounds: Self.durationBuckets)
        errors = (Self.firstError...Self.lastError + 1).map { raw in
            let code = raw > Self.lastError ? "other" : XRootDErrorCode(rawValue: raw).description
            return registry.makeCounter(descriptor: .beryl("beryl_errors_total", "Error answers (kXR_error), by XRootD error code."),
                                        labels: [("code", code)])
        }
        redirects = registry.makeCounter(descriptor: .beryl("beryl_redirects_total", "kXR_redirect answers (access redirect rules)."))
        stalls = registry.makeCounter(descriptor: .beryl("beryl_stalls_total", "kXR_wait answers (access stall rules)."))
        connectionsOpened = registry.makeCounter(
            descriptor: .beryl("beryl_connections_opened_total", "XRootD client connections accepted since the server started."))
        connectionsOpen = registry.makeGauge(descriptor: .beryl("beryl_connections_open", "XRootD client connections open now."))
    }

    /// The slot of a request code.
    @inline(__always)
    private static func slot(_ code: UInt16) -> Int {
        let index = Int(code) - firstRequest
        return index >= 0 && index <= lastRequest - firstRequest ? index : lastRequest - firstRequest + 1
    }

    func received(_ code: UInt16) {
        requests[Self.slot(code)].increment()
    }

    /// A monotonic time in nanoseconds, for `executed(_:since:)`.
    @inline(__always)
    static func now() -> Int64 { SystemClock.monotonicNanoseconds() }

    func executed(_ code: UInt16, since start: Int64) {
        durations.record(Self.slot(code), nanoseconds: Self.now() - start)
    }

    /// Counts the answers that are not `ok`: errors by code, redirects, stalls.
    func answered(_ body: ResponseBody) {
        switch body {
        case .error(let error):
            let raw = error.code.rawValue
            let index = raw >= Self.firstError && raw <= Self.lastError ? Int(raw - Self.firstError)
                : Int(Self.lastError - Self.firstError) + 1
            errors[index].increment()
        case .redirect: redirects.increment()
        case .wait: stalls.increment()
        default: break
        }
    }

    func connectionOpened() {
        connectionsOpened.increment()
        connectionsOpen.increment()
    }

    func connectionClosed() {
        connectionsOpen.decrement()
    }
}

extension XRootDRequest {
    /// The request code of the request (`kXR_stat`, ...), for the metrics of its type.
    var code: UInt16 { requestID.rawValue }
}
