import Changelog

/// What the input's header said.
public enum HeaderStatus: Sendable, Equatable {
    /// The header was readable: its version and content flag (legacy) or content kind (native).
    case ok(version: UInt16, content: UInt16)
    /// The header was damaged; `message` says how. The records were scanned anyway.
    case broken(String)

    public var isOK: Bool { if case .ok = self { true } else { false } }
}

/// A span of the input that repair could not turn into records and left out of the output.
public struct DiscardedSpan: Sendable, Equatable {
    /// First discarded byte.
    public var start: UInt64
    /// Offset after the last discarded byte (the next record tried, or the end of the file).
    public var end: UInt64
    public var length: UInt64 { end - start }
    /// Why the record at `start` could not be used.
    public var reason: CorruptionReason

    public init(start: UInt64, end: UInt64, reason: CorruptionReason) {
        self.start = start
        self.end = end
        self.reason = reason
    }
}

/// The figures of one repair, with the meaning EOS's `LogRepairStats` gives them.
///
/// Invariants: `scanned == healthy + notFixed` and `bytesAccepted + bytesDiscarded == bytesTotal`
/// (for files of at least a header).
public struct RepairReport: Sendable, Equatable {
    public var format: LogFormat
    public var header: HeaderStatus
    /// Records tried: each healthy record, and each place where a record could not be rebuilt.
    public var scanned = 0
    /// Records written to the output.
    public var healthy = 0
    /// Size of the input.
    public var bytesTotal: UInt64 = 0
    /// Header bytes plus the bytes of healthy records (and, native, their alignment gaps).
    public var bytesAccepted: UInt64 = 0
    public var bytesDiscarded: UInt64 = 0
    /// Places where no record could be rebuilt (one per discarded span).
    public var notFixed = 0
    /// Legacy only: records accepted despite a wrong record magic.
    public var fixedWrongMagic = 0
    /// Legacy only: records accepted with one of the two CRC copies wrong.
    public var fixedWrongChecksum = 0
    /// Legacy only: size field corrections (EOS counts a failed attempt after a short read too).
    public var fixedWrongSize = 0
    /// Discarded spans in file order.
    public var discardedSpans: [DiscardedSpan] = []
    /// Wall time of the repair, seconds.
    public var elapsedSeconds: Double = 0
    /// Content kind / flag and header flags written to the output (after inference for a
    /// broken header).
    public var outputContent: UInt16 = 0
    public var outputFlags: UInt32 = 0

    public init(format: LogFormat, header: HeaderStatus) {
        self.format = format
        self.header = header
    }
}

/// Progress of a running repair, for a progress line.
public struct RepairProgress: Sendable {
    public var bytesDone: UInt64
    public var bytesTotal: UInt64
    public var elapsedSeconds: Double
}
