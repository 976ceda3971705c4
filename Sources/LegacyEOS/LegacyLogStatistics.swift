import Changelog

extension LogStatistics {
    /// Statistics of a legacy EOS log, with what `eos-log-compact` would write: the header, the
    /// latest update of every id not deleted afterwards (records copied unchanged), and one
    /// compaction stamp. Damaged spans are skipped (their bytes count as dead).
    public static func compute(legacy file: LegacyLogFile) -> LogStatistics {
        var s = LogStatistics()
        var live: [UInt64: Int] = [:]   // id -> length of its latest update
        file.withBytes { bytes in
            LegacyScanner(bytes: bytes).forEachRecordSkippingDamage(damaged: { _ in }) { r in
                s.records += 1
                s.recordsByType[r.type.description, default: 0] += 1
                switch r.type {
                case .update: if let id = r.id { live[id] = r.length }
                case .delete: if let id = r.id { live.removeValue(forKey: id) }
                default: break
                }
                return true
            }
        }
        s.totalBytes = UInt64(file.bytes.count)
        s.liveRecords = live.count
        s.liveBytes = UInt64(live.values.reduce(0, +))
        s.deadRecords = s.records - s.liveRecords
        let header = UInt64(LegacyFormat.headerSize)
        s.deadBytes = s.totalBytes > s.liveBytes + header ? s.totalBytes - s.liveBytes - header : 0
        let stamp = UInt64(LegacyFormat.recordOverhead + LegacyFormat.padded(5))
        s.projectedCompactedBytes = header + s.liveBytes + stamp
        return s
    }
}
