import Replication
import Synchronization
import XRootD

/// What an access rule applies to, as the legacy `Access` keys name it.
public enum AccessScope: String, Sendable, CaseIterable, Comparable {
    /// Every request.
    case all = "*"
    /// Mutations (`XRootDRequest.isMutation`: mkdir, rmdir, rm, mv, chmod, open for writing).
    case write = "w:*"
    /// Everything that is not a mutation.
    case read = "r:*"
    /// Requests whose answer would be ENOENT (redirection only: look elsewhere for what is missing here).
    case notFound = "ENOENT:*"

    /// The scope named on the admin command line: `r`, `w`, `ENOENT`, or nothing for `*`.
    public init?(commandWord: String?) {
        switch commandWord {
        case nil, "*": self = .all
        case "w", "w:*": self = .write
        case "r", "r:*": self = .read
        case "ENOENT", "ENOENT:*": self = .notFound
        default: return nil
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Redirection rules (answered with `kXR_redirect`) and stall rules (answered with `kXR_wait`).
public struct AccessRules: Sendable, Equatable {
    public var redirects: [AccessScope: Endpoint] = [:]
    /// Seconds a client is told to wait before retrying.
    public var stalls: [AccessScope: Int] = [:]

    public init(redirects: [AccessScope: Endpoint] = [:], stalls: [AccessScope: Int] = [:]) {
        self.redirects = redirects
        self.stalls = stalls
    }

    public var isEmpty: Bool { redirects.isEmpty && stalls.isEmpty }

    /// The rule for a request before it runs: a stall first (as the legacy MGM checks), then a redirect.
    public func decision(isWrite: Bool) -> AccessRuleDecision? {
        let scope: AccessScope = isWrite ? .write : .read
        if let seconds = stalls[.all] { return .stall(seconds: seconds, rule: .all) }
        if let seconds = stalls[scope] { return .stall(seconds: seconds, rule: scope) }
        if let target = redirects[.all] { return .redirect(target, rule: .all) }
        if let target = redirects[scope] { return .redirect(target, rule: scope) }
        return nil
    }

    /// `access ls`: the legacy layout, one `[ NN ] <key> => <value>` line per rule.
    public func listing() -> String {
        var text = "# Redirection Rules ...\n"
        for (index, scope) in redirects.keys.sorted().enumerated() {
            text += Self.line(index + 1, scope.rawValue, redirects[scope]!.description)
        }
        text += "# Stall Rules ...\n"
        for (index, scope) in stalls.keys.sorted().enumerated() {
            text += Self.line(index + 1, scope.rawValue, "\(stalls[scope]!)")
        }
        return text
    }

    static func line(_ number: Int, _ key: String, _ value: String) -> String {
        let index = number < 10 ? "0\(number)" : "\(number)"
        let padded = String(repeating: " ", count: max(0, 32 - key.utf8.count)) + key
        return "[ \(index) ] \(padded) => \(value)\n"
    }
}

/// What an access rule decided for one request.
public enum AccessRuleDecision: Sendable, Equatable {
    case stall(seconds: Int, rule: AccessScope)
    case redirect(Endpoint, rule: AccessScope)
}

/// The server's live access rules: read by every request, changed by admin commands and by the
/// replication node (`AccessRuleSink`: its write stall, the supervisor's rules, the disk check).
/// Thread-safe.
public final class AccessControl: AccessRuleSink {
    private let state: Mutex<AccessRules>
    private let shortage = Mutex<DiskSpace?>(nil)

    public init(_ rules: AccessRules = AccessRules()) { state = Mutex(rules) }

    public var rules: AccessRules {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    public func setRedirect(_ scope: AccessScope, to target: Endpoint) { state.withLock { $0.redirects[scope] = target } }
    public func removeRedirect(_ scope: AccessScope) { state.withLock { _ = $0.redirects.removeValue(forKey: scope) } }
    public func setStall(_ scope: AccessScope, seconds: Int) { state.withLock { $0.stalls[scope] = max(0, seconds) } }
    public func removeStall(_ scope: AccessScope) { state.withLock { _ = $0.stalls.removeValue(forKey: scope) } }
    public func removeAll() { state.withLock { $0 = AccessRules() } }

    /// The data disk's figures while it is below its minimum free space (mutations are refused with
    /// `kXR_NoSpace`); nil otherwise. Set by the supervisor's disk check.
    public var diskShortage: DiskSpace? { shortage.withLock { $0 } }
    public func setDiskShortage(_ space: DiskSpace?) { shortage.withLock { $0 = space } }

    /// Changes the rules in one step (for a supervisor swapping several rules at once).
    public func update(_ change: (inout AccessRules) -> Void) { state.withLock { change(&$0) } }

    public func setWriteStall(seconds: Int?) {
        if let seconds { setStall(.write, seconds: seconds) } else { removeStall(.write) }
    }

    public func install(_ rules: SupervisorRules, keepingWriteStall: Bool) {
        update { r in
            r.redirects[.write] = rules.redirectWrites
            r.redirects[.notFound] = rules.redirectMissing
            if let seconds = rules.stallWrites {
                r.stalls[.write] = seconds
            } else if !keepingWriteStall {
                r.stalls[.write] = nil
            }
        }
    }
}
