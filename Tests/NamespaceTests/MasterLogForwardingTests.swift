import Synchronization
import Testing
@testable import Namespace

/// The master log's lines reach the forwarding sink (the service log) once each; a line repeating the
/// previous one is counted, and the count is forwarded before the next different line.
@Suite struct MasterLogForwardingTests {
    @Test func linesAreForwardedOnceAndRepeatsCounted() {
        let log = MasterLog(capacity: 100)
        log.log(.info, "before forwarding")
        let forwarded = Mutex<[String]>([])
        log.forward { line in forwarded.withLock { $0.append("\(line.level.rawValue) \(line.message)") } }
        log.log(.warning, "disk space low")
        for _ in 0..<5 { log.log(.warning, "sync: following 127.0.0.1:1094: connection refused") }
        log.log(.info, "disk space is back")
        log.log(.info, "disk space is back")
        #expect(forwarded.withLock { $0 } == [
            "WARN disk space low",
            "WARN sync: following 127.0.0.1:1094: connection refused",
            "WARN previous message repeated 4 times: sync: following 127.0.0.1:1094: connection refused",
            "INFO disk space is back",
        ])
        // The master log itself keeps every line.
        #expect(log.lines.count == 9)
    }
}
