import Glibc
import Synchronization
import XRootD

/// Always-on figures for `kXR_query kXR_Qstats`: requests received by type and client connections
/// (open now, opened since start). One uncontended lock per request; independent of the optional `--metrics` registry.
final class RequestCounters: Sendable {
    private static let first = Int(RequestID.auth.rawValue)
    private static let last = Int(RequestID.writev.rawValue)
    /// One slot per request code of XRootD's range, the last for anything else.
    private let requests: Mutex<[Int]>
    private let open = Atomic<Int>(0)
    private let opened = Atomic<Int>(0)
    let started = Int64(time(nil))

    init() {
        requests = Mutex(Array(repeating: 0, count: Self.last - Self.first + 2))
    }

    func received(_ code: UInt16) {
        let index = Int(code) - Self.first
        let slot = index >= 0 && index <= Self.last - Self.first ? index : Self.last - Self.first + 1
        requests.withLock { $0[slot] += 1 }
    }

    func connectionOpened() {
        open.add(1, ordering: .relaxed)
        opened.add(1, ordering: .relaxed)
    }

    func connectionClosed() { open.subtract(1, ordering: .relaxed) }

    var openConnections: Int { open.load(ordering: .relaxed) }
    var totalConnections: Int { opened.load(ordering: .relaxed) }

    /// Requests received by name (`kXR_stat`, ...; `other` for codes outside the protocol's range),
    /// in code order, the types never received left out.
    var requestsByType: [(name: String, count: Int)] {
        var result: [(String, Int)] = []
        for (index, count) in requests.withLock({ $0 }).enumerated() {
            guard count > 0 else { continue }
            let name = index <= Self.last - Self.first
                ? RequestID(rawValue: UInt16(Self.first + index)).map(\.name) ?? "request \(Self.first + index)" : "other"
            result.append((name, count))
        }
        return result
    }
}
