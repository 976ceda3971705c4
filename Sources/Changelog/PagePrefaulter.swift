import Glibc

/// Maps a writable log's pages ahead of its writer, on a thread of its own, so an append copies
/// into pages that are already mapped instead of taking the page fault itself, under its caller's
/// lock. A write fault on a fresh page of a shared file mapping allocates and zeroes the page and,
/// on ext4, starts a journal handle in `page_mkwrite`; while a compaction writes its output on the
/// same file system, those faults are what made a writer's p99 append latency three times slower
/// (docs/BENCHMARKS.md, suite compaction).
///
/// One thread serves every log in the process; requests are best effort (a failed populate only
/// leaves the fault to the writer). A request holds its mapping (a lease), so closing or swapping a
/// log while a request is queued is safe.
public final class PagePrefaulter: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `lock`.
    public static let shared = PagePrefaulter()

    struct Request {
        let region: MappedRegion
        let range: Range<Int>
        let advice: MappedRegion.Advice
    }

    /// How far ahead of a log's end its pages are mapped; a new request goes out when the end comes
    /// within half of this of the mapped part.
    static let window: UInt64 = 1 << 20

    private let lock = ConditionLock()
    private var queue: [Request] = []
    private var worker: BackgroundThread<Void>?
    private var submitted = 0
    private var finished = 0
    private var failed = 0

    /// Requests handled so far and how many of them the kernel refused.
    public var counts: (finished: Int, failed: Int) { lock.withLock { (finished, failed) } }

    func submit(_ request: Request) {
        lock.withLock {
            queue.append(request)
            submitted += 1
            if worker == nil { worker = BackgroundThread.start { [self] in run() } }
            lock.broadcast()
        }
    }

    /// Returns when every request submitted before the call has been handled.
    public func waitUntilIdle() {
        lock.withLock {
            let target = submitted
            while finished < target { lock.wait() }
        }
    }

    private func run() {
        lock.lock()
        while true {
            while queue.isEmpty { lock.wait() }
            let request = queue.removeFirst()
            lock.unlock()
            let status = request.region.advise(request.advice, range: request.range)
            lock.lock()
            finished += 1
            if status != 0 { failed += 1 }
            lock.broadcast()
        }
    }
}

extension Changelog {
    /// Under the lock, after a mapped append that ended at `end`: asks the prefaulter to map the next
    /// window of preallocated space once the end comes within half a window of what is mapped.
    /// Under `none` the pages are populated for writing (nothing syncs them before the writer fills
    /// them). Under `batch` and `always` they are only read in: a page populated for writing is
    /// dirty, and the next fdatasync would write it as zeros before its records arrive.
    func prefault(after end: UInt64) {
        guard configurationState.prefault == .ahead, let region,
              end + PagePrefaulter.window / 2 > prefaultedEnd else { return }
        let from = max(prefaultedEnd, end & ~4095)
        let to = min(capacity, UInt64(region.length), (end & ~4095) + PagePrefaulter.window)
        prefaultedEnd = max(prefaultedEnd, to)
        guard from < to else { return }
        let advice: MappedRegion.Advice = configurationState.durability == .none ? .populateWrite : .populateRead
        PagePrefaulter.shared.submit(.init(region: region, range: Int(from)..<Int(to), advice: advice))
    }
}
