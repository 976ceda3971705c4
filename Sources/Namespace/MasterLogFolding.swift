/// The repeat counting of `MasterLog`: the last 16 distinct lines and how often each came again
/// since it was last kept. Not thread-safe (the log's lock guards it).
struct LineFolds {
    private struct Key: Hashable {
        var level: MasterLog.Line.Level
        var message: String
    }

    private struct Fold {
        var key: Key
        /// When the line was last kept (the start of its window).
        var first: Int64
        var last: Int64
        var repeats = 0
    }

    static let tracked = 16
    /// Most recently seen last.
    private var folds: [Fold] = []
    /// True when the last `record` counted its line instead of keeping it.
    private(set) var lastRecordWasFolded = false

    /// Records one occurrence; returns the summary lines to keep before it (the pending counts when
    /// the line is new, or the count of a window that ended), and sets `lastRecordWasFolded`.
    mutating func record(level: MasterLog.Line.Level, message: String, at now: Int64, window: Int64) -> [MasterLog.Line] {
        let key = Key(level: level, message: message)
        var out: [MasterLog.Line] = []
        if let i = folds.firstIndex(where: { $0.key == key }) {
            var fold = folds.remove(at: i)
            fold.repeats += 1
            fold.last = now
            if now - fold.first >= window {
                // The window is over: one line for the whole of it, and a new window.
                out.append(Self.summary(fold))
                fold = Fold(key: key, first: now, last: now)
            }
            folds.append(fold)
            lastRecordWasFolded = true
            return out
        }
        // A new line: the pending counts end here, so the log stays in time order.
        out = drain()
        if folds.count >= Self.tracked { folds.removeFirst() }
        folds.append(Fold(key: key, first: now, last: now))
        lastRecordWasFolded = false
        return out
    }

    /// Summary lines of every pending count, least recently seen first, without changing anything.
    func pending() -> [MasterLog.Line] {
        folds.filter { $0.repeats > 0 }.map(Self.summary)
    }

    /// Summary lines of every pending count; the counts restart at 0.
    mutating func drain() -> [MasterLog.Line] {
        let out = pending()
        for i in folds.indices where folds[i].repeats > 0 {
            folds[i] = Fold(key: folds[i].key, first: folds[i].last, last: folds[i].last)
        }
        return out
    }

    private static func summary(_ fold: Fold) -> MasterLog.Line {
        MasterLog.Line(time: fold.last, level: fold.key.level,
                       message: "\(fold.key.message) ... repeated \(fold.repeats) time\(fold.repeats == 1 ? "" : "s") in \(duration(fold.last - fold.first))")
    }

    /// `33 s`, `4 m 33 s`, `2 h 05 m`.
    static func duration(_ seconds: Int64) -> String {
        let s = max(0, seconds)
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) m \(s % 60) s" }
        let minutes = (s % 3600) / 60
        return "\(s / 3600) h \(minutes < 10 ? "0" : "")\(minutes) m"
    }
}
