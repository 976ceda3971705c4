import Logging
import Synchronization

/// A service log that keeps what it is given, for tests that check what reaches the operator.
final class CollectedLog: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var source: String?
    }

    let entries = Mutex<[Entry]>([])

    var logger: Logger { Logger(label: "beryl.mgm.test") { _ in Handler(store: self) } }

    func containing(_ text: String) -> [Entry] { entries.withLock { $0.filter { $0.message.contains(text) } } }

    struct Handler: LogHandler {
        let store: CollectedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        var metadataProvider: Logger.MetadataProvider?

        func log(event: LogEvent) {
            let source = event.metadata?["source"].map { "\($0)" }
            store.entries.withLock { $0.append(Entry(level: event.level, message: event.message.description, source: source)) }
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
    }
}
