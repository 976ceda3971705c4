import Changelog

/// A damaged span met by a salvaging scan: where it starts, how long it is, and why the record
/// at its start is not valid.
public struct LegacyDamagedSpan: Sendable, Equatable {
    public var offset: Int
    public var length: Int
    public var reason: CorruptionReason
}

extension LegacyScanner {
    /// Visits every valid record from `from` to the end, skipping each damaged span (of any
    /// length) to the next offset holding a valid record and reporting it to `damaged`. Unlike
    /// EOS's autorepair, which gives up past 1 KiB, this never stops early, so one pass sees all
    /// damage. Returns the number of valid records visited; `visit` returning false stops the scan.
    @discardableResult
    public func forEachRecordSkippingDamage(from: Int = LegacyFormat.firstRecordOffset,
                                            damaged: (LegacyDamagedSpan) -> Void,
                                            _ visit: (LegacyRecordView) -> Bool) -> Int {
        var offset = from
        var records = 0
        while true {
            switch check(at: offset) {
            case .endOfData:
                return records
            case .valid(let view, let end):
                records += 1
                offset = end
                if !visit(view) { return records }
            case .invalid(let reason):
                let next = nextValidRecord(after: offset)
                damaged(LegacyDamagedSpan(offset: offset, length: (next ?? bytes.count) - offset, reason: reason))
                guard let next else { return records }
                offset = next
            }
        }
    }

    /// The first offset after `offset` (4-byte steps) where a valid record starts.
    public func nextValidRecord(after offset: Int) -> Int? {
        var from = offset + 4
        while let m = nextRecordMagic(from: from) {
            if case .valid = check(at: m) { return m }
            from = m + 4
        }
        return nil
    }
}
