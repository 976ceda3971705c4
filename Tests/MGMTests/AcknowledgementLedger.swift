import Foundation
import Glibc
import Synchronization
import XRootD

/// One write a node acknowledged, as the test's client saw it: sent and answered on the test
/// process's monotonic clock, and the node's own epoch (`kXR_Qconfig epoch`), asked just before and
/// just after on the same connection. A node's epoch only grows, so when both answers agree the
/// write was acknowledged under that epoch; otherwise `epoch` is nil (the write still counts as
/// acknowledged for the loss check).
struct Acknowledgement: Sendable {
    var node: Int
    var path: String
    var epoch: UInt64?
    var sent: ContinuousClock.Instant
    var answered: ContinuousClock.Instant
}

/// Every acknowledgement of a run, and the two safety checks over them.
final class AcknowledgementLedger: Sendable {
    private let records = Mutex<[Acknowledgement]>([])
    let origin = ContinuousClock.now

    func append(_ ack: Acknowledgement) { records.withLock { $0.append(ack) } }
    var all: [Acknowledgement] { records.withLock { $0 } }

    /// Seconds since the ledger was made (for messages).
    func offset(_ instant: ContinuousClock.Instant) -> String {
        let d = (instant - origin).components
        return String(format: "%.3f", Double(d.seconds) + Double(d.attoseconds) / 1e18)
    }

    /// What contradicts "at most one node acknowledged writes in any interval": two nodes that
    /// acknowledged under one epoch, or a write acknowledged under an epoch that was sent after a
    /// write under a newer epoch had already been acknowledged (then the older master acknowledged
    /// while the newer one already did: both at once). Empty when none.
    func violations(_ acks: [Acknowledgement]) -> [String] {
        var byEpoch: [UInt64: (nodes: Set<Int>, lastSent: Acknowledgement, firstAnswered: Acknowledgement)] = [:]
        for ack in acks {
            guard let epoch = ack.epoch else { continue }
            if var entry = byEpoch[epoch] {
                entry.nodes.insert(ack.node)
                if ack.sent > entry.lastSent.sent { entry.lastSent = ack }
                if ack.answered < entry.firstAnswered.answered { entry.firstAnswered = ack }
                byEpoch[epoch] = entry
            } else {
                byEpoch[epoch] = ([ack.node], ack, ack)
            }
        }
        var found: [String] = []
        for (epoch, entry) in byEpoch.sorted(by: { $0.key < $1.key }) where entry.nodes.count > 1 {
            found.append("epoch \(epoch): writes acknowledged by nodes \(entry.nodes.sorted())")
        }
        let epochs = byEpoch.keys.sorted()
        for (i, older) in epochs.enumerated() {
            for newer in epochs[(i + 1)...] {
                let late = byEpoch[older]!.lastSent, early = byEpoch[newer]!.firstAnswered
                if early.answered < late.sent {
                    found.append("node \(late.node) acknowledged \(late.path) at epoch \(older) (sent at \(offset(late.sent)) s) "
                                 + "after node \(early.node) acknowledged \(early.path) at epoch \(newer) "
                                 + "(answered at \(offset(early.answered)) s)")
                }
            }
        }
        return found
    }
}

/// A thread writing `/w<node>/d<n>` to one node as fast as it answers (a direct client: redirects,
/// waits and errors are simply not acknowledgements), recording each acknowledgement.
final class LedgerWriter: Sendable {
    let node: Int
    private let endpoint: Endpoint
    private let ledger: AcknowledgementLedger
    private let stopping = Mutex(false)
    private let finished = Mutex(false)

    init(node: Int, endpoint: Endpoint, ledger: AcknowledgementLedger) {
        self.node = node
        self.endpoint = endpoint
        self.ledger = ledger
    }

    func start() {
        Thread { [self] in run() }.start()
    }

    /// Stops the thread and waits (bounded) until it has.
    func stop() {
        stopping.withLock { $0 = true }
        let deadline = ContinuousClock.now + .seconds(10)
        while !finished.withLock({ $0 }), ContinuousClock.now < deadline { usleep(10_000) }
    }

    private func run() {
        defer { finished.withLock { $0 = true } }
        var client: XRootDClient?
        var n = 0
        while !stopping.withLock({ $0 }) {
            do throws(XRootDError) {
                if client == nil {
                    client = try XRootDClient(endpoint, options: .init(user: "root", connectTimeout: .seconds(1),
                                                                       requestTimeout: .seconds(3), maximumRedirects: 0,
                                                                       maximumTotalWait: .zero))
                }
                guard let c = client else { continue }
                n += 1
                let path = "/w\(node)/d\(n)"
                let before = try c.queryConfig(["epoch"]).first.flatMap { UInt64($0) }
                let sent = ContinuousClock.now
                try c.mkdir(path, options: .makePath)
                let answered = ContinuousClock.now
                let after = try? c.queryConfig(["epoch"]).first.flatMap { UInt64($0) }
                ledger.append(Acknowledgement(node: node, path: path, epoch: before != nil && before == after ? before : nil,
                                              sent: sent, answered: answered))
                usleep(5_000)
            } catch {
                // A redirect, a wait or a refusal keeps the connection; anything else drops it.
                switch error {
                case .server, .tooManyRedirects, .waitLimitExceeded: break
                default:
                    client?.disconnect()
                    client = nil
                }
                usleep(50_000)
            }
        }
        client?.disconnect()
    }
}
