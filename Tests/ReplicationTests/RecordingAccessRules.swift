import Replication
import Synchronization

/// The access rules a replication node installs, recorded (the MGM's `AccessControl` applies them to
/// requests; these tests have no server).
final class RecordingAccessRules: AccessRuleSink {
    struct Rules: Equatable {
        var writeStall: Int?
        var supervisor = SupervisorRules()
        var diskShort = false
    }

    private let state = Mutex(Rules())

    var current: Rules { state.withLock { $0 } }

    func setWriteStall(seconds: Int?) { state.withLock { $0.writeStall = seconds } }

    func install(_ rules: SupervisorRules, keepingWriteStall: Bool) {
        state.withLock {
            $0.supervisor = rules
            if let seconds = rules.stallWrites { $0.writeStall = seconds } else if !keepingWriteStall { $0.writeStall = nil }
        }
    }

    func setDiskShortage(_ space: DiskSpace?) { state.withLock { $0.diskShort = space != nil } }
}
