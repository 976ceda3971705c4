import Glibc
import Synchronization

/// Debug-build fault injection at the syscall layer.
///
/// A test installs a `FaultPlan` for every path under a directory it owns; the wrappers in
/// `SystemFile` and `FileSystem` consult it before each call. In release builds every check is
/// compiled out. Plans are keyed by directory so tests running in parallel do not see each
/// other's faults.
public enum FaultInjection {
    public enum Operation: Sendable, Hashable { case open, read, write, sync, truncate, rename, map, allocate }

    public enum Fault: Sendable, Equatable {
        /// The call fails with this errno.
        case error(Int32)
        /// A write transfers at most this many bytes (then the next attempt fails with ENOSPC).
        case short(Int)
    }

    /// Fail the `nth` (1-based) call of `operation` under the plan's directory, and optionally
    /// every later one too (a disk that stays full).
    public struct FaultPlan: Sendable {
        public var operation: Operation
        public var nth: Int
        public var fault: Fault
        public var persistent: Bool
        public init(_ operation: Operation, nth: Int, fault: Fault, persistent: Bool = false) {
            self.operation = operation
            self.nth = nth
            self.fault = fault
            self.persistent = persistent
        }
    }

    struct Armed {
        var directory: String
        var plan: FaultPlan
        var seen = 0
        var fired = 0
    }

    #if DEBUG
    static let active = Atomic<Bool>(false)
    static let plans = Mutex<[Armed]>([])
    #endif

    /// Installs `plan` for paths under `directory`. Debug builds only; a no-op in release.
    public static func install(_ plan: FaultPlan, under directory: String) {
        #if DEBUG
        plans.withLock { $0.append(Armed(directory: directory.hasSuffix("/") ? directory : directory + "/", plan: plan)) }
        active.store(true, ordering: .releasing)
        #endif
    }

    /// Removes every plan under `directory` and returns how many faults fired.
    @discardableResult
    public static func clear(under directory: String) -> Int {
        #if DEBUG
        let dir = directory.hasSuffix("/") ? directory : directory + "/"
        return plans.withLock { list in
            let fired = list.filter { $0.directory == dir }.reduce(0) { $0 + $1.fired }
            list.removeAll { $0.directory == dir }
            active.store(!list.isEmpty, ordering: .releasing)
            return fired
        }
        #else
        return 0
        #endif
    }

    @inline(__always)
    package static func fault(_ operation: Operation, path: String) -> Fault? {
        #if DEBUG
        guard active.load(ordering: .acquiring) else { return nil }
        return plans.withLock { list -> Fault? in
            for i in list.indices where list[i].plan.operation == operation && path.hasPrefix(list[i].directory) {
                list[i].seen += 1
                if list[i].seen == list[i].plan.nth || (list[i].plan.persistent && list[i].seen > list[i].plan.nth) {
                    list[i].fired += 1
                    return list[i].plan.fault
                }
            }
            return nil
        }
        #else
        return nil
        #endif
    }

    #if DEBUG
    /// Thread starts still to refuse, by thread name (`BackgroundThread.start(named:_:)`): from
    /// `failThreadStarts`, or in a child process from the environment variable
    /// `BERYL_FAULT_THREAD_START=<name>[:<count>][,<name>[:<count>]...]` (no count: every start).
    static let threadStartFaults = Mutex<[String: Int]?>(nil)

    static func threadStartFails(_ name: String) -> Bool {
        threadStartFaults.withLock { faults in
            if faults == nil { faults = parseThreadStartFaults(getenv("BERYL_FAULT_THREAD_START").map { String(cString: $0) }) }
            guard let left = faults?[name], left != 0 else { return false }
            if left > 0 { faults?[name] = left - 1 }
            return true
        }
    }

    static func parseThreadStartFaults(_ text: String?) -> [String: Int] {
        var faults: [String: Int] = [:]
        for item in (text ?? "").split(separator: ",") {
            let parts = item.split(separator: ":", maxSplits: 1)
            guard let name = parts.first else { continue }
            faults[String(name)] = parts.count == 2 ? Int(parts[1]) ?? -1 : -1
        }
        return faults
    }
    #endif

    /// Makes the next `count` starts of threads named `name` fail (nil: every one) until cleared
    /// with `count: 0`. Debug builds only; a no-op in release.
    public static func failThreadStarts(named name: String, count: Int?) {
        #if DEBUG
        threadStartFaults.withLock { faults in
            if faults == nil { faults = parseThreadStartFaults(getenv("BERYL_FAULT_THREAD_START").map { String(cString: $0) }) }
            faults?[name] = count ?? -1
        }
        #endif
    }

    @inline(__always)
    package static func check(_ operation: Operation, path: String) throws(SystemError) {
        #if DEBUG
        if let f = fault(operation, path: path) {
            let e: Int32
            switch f {
            case .error(let code): e = code
            case .short: e = EIO
            }
            throw SystemError(.io, path: path, errno: e, detail: "injected fault in \(operation)")
        }
        #endif
    }
}
