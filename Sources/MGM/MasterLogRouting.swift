import Logging
import Namespace

/// The master log's lines in the service log: each kept line (after folding) once, at its level.
enum MasterLogRouting {
    static func sink(to logger: Logger) -> MasterLog.Sink {
        { line in logger.log(level: level(line.level), "\(line.message)", metadata: ["source": "master-log"]) }
    }

    static func level(_ level: MasterLog.Line.Level) -> Logger.Level {
        switch level {
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }
}
