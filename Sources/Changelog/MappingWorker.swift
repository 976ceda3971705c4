import Glibc
import Platform

/// Keeps the costly parts of a writable log's mapping off its writer's thread (where they would run
/// under the log's lock, and under the namespace's write lock above it), on one thread per process:
///
/// * **Prefaulting**: it maps the preallocated pages a MiB ahead of the log's end, so an append
///   copies into mapped pages instead of taking the page fault. A write fault on a fresh page of a
///   shared file mapping allocates and zeroes the page and, on ext4, starts a journal handle in
///   `page_mkwrite`; while a compaction wrote its output on the same file system, those faults made
///   a writer's p99 append latency three times slower (docs/BENCHMARKS.md, suite compaction).
/// * **Unmapping**: when a log outgrows its mapping, the old mapping is released here. Unmapping
///   tears down one page-table entry per page the log ever touched: 2.6 ms for 257 MiB, hundreds of ms
///   for the tens of GiB of a production log, during which every reader and writer would wait.
///
/// The thread runs at normal priority. `SCHED_IDLE` was tried, so that waking it could not preempt
/// a writer holding locks; it was dropped because a starved idle thread can hold `mmap_lock` or a
/// page lock that the writer then waits for. Populate requests for one mapping are merged, so a
/// queue that falls behind stays short.
///
/// Requests are best effort (a failed populate only leaves the fault to the writer). A request holds
/// its mapping (a lease), so closing or swapping a log while one is queued is safe; a retired mapping
/// is unmapped when its last lease, this thread's or a reader's, goes away.
public final class MappingWorker: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `lock`.
    public static let shared = MappingWorker()

    enum Request {
        case populate(MappedRegion, Range<Int>, MappedRegion.Advice)
        case release(MappedRegion)
    }

    /// How far ahead of a log's end its pages are mapped; a new request goes out when the end comes
    /// within half of this of the mapped part.
    static let window: UInt64 = 1 << 20

    private let lock = ConditionLock()
    private var queue: [Request] = []
    private var worker: BackgroundThread<Void>?
    /// Set when the thread could not be created: requests are then dropped.
    private var unavailable = false
    private var submitted = 0
    private var finished = 0
    private var failed = 0
    private var released = 0

    /// Requests handled so far, how many populates the kernel refused, how many mappings were let go.
    public var counts: (finished: Int, failed: Int, released: Int) { lock.withLock { (finished, failed, released) } }

    /// Queues `request`.
    func submit(_ request: Request) {
        lock.lock()
        if case .populate(let region, let range, let advice) = request,
           let last = queue.indices.last, case .populate(let queued, let queuedRange, advice) = queue[last],
           queued === region, queuedRange.upperBound >= range.lowerBound {
            queue[last] = .populate(region, queuedRange.lowerBound..<max(queuedRange.upperBound, range.upperBound), advice)
            lock.unlock()
            return
        }
        if worker == nil && !unavailable {
            worker = BackgroundThread.startIfPossible { [self] in run() }
            unavailable = worker == nil
        }
        guard !unavailable else {
            // No thread could be started: the writer takes its own faults, and an outgrown mapping is
            // let go here, as before the worker existed.
            lock.unlock()
            return
        }
        queue.append(request)
        submitted += 1
        lock.broadcast()
        lock.unlock()
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
            var request: Request? = queue.removeFirst()
            lock.unlock()
            var status: Int32 = 0
            var wasRelease = false
            switch request! {
            case .populate(let region, let range, let advice): status = region.advise(advice, range: range)
            case .release: wasRelease = true
            }
            request = nil  // drops this thread's lease: a retired mapping with no reader left is unmapped here
            lock.lock()
            finished += 1
            if status != 0 { failed += 1 }
            if wasRelease { released += 1 }
            lock.broadcast()
        }
    }
}

extension Changelog {
    /// Under the lock, after a mapped append that ended at `end`: asks the worker to map the next
    /// window of preallocated space once the end comes within half a window of what is mapped.
    /// Under `none` the pages are populated for writing (nothing syncs them before the writer fills
    /// them). Under `batch` and `always` they are only read in: a page populated for writing is
    /// dirty, and the next fdatasync would write it as zeros before its records arrive.
    func prefault(after end: UInt64) {
        guard configurationState.prefault == .ahead, let region,
              end + MappingWorker.window / 2 > prefaultedEnd else { return }
        let from = max(prefaultedEnd, end) & ~4095
        let to = min(capacity, UInt64(region.length), (end & ~4095) + MappingWorker.window)
        prefaultedEnd = max(prefaultedEnd, to)
        guard from < to else { return }
        let advice: MappedRegion.Advice = configurationState.durability == .none ? .populateWrite : .populateRead
        MappingWorker.shared.submit(.populate(region, Int(from)..<Int(to), advice))
    }

    /// Under the lock: makes `mapped` the writable mapping and hands the old one to the worker, so
    /// that unmapping it happens neither here nor under any caller's lock.
    func replaceRegion(with mapped: MappedRegion) {
        let old = region
        region = mapped
        prefaultedEnd = 0
        if let old { MappingWorker.shared.submit(.release(old)) }
    }
}
