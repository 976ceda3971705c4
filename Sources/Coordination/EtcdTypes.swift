/// A key and its value as etcd stores them, with the revisions a compare-and-swap compares.
public struct EtcdKeyValue: Sendable, Equatable {
    public var key: [UInt8]
    public var value: [UInt8]
    /// The revision that created the key (0: the key does not exist).
    public var createRevision: Int64
    /// The revision of the last change of the key.
    public var modRevision: Int64
    /// How many times the key was written since its creation.
    public var version: Int64
    /// The lease the key is attached to (0: none); the key is deleted when that lease expires.
    public var lease: Int64

    public var valueText: String { String(decoding: value, as: UTF8.self) }
}

/// A lease granted by etcd: keys put with it are deleted when it is neither renewed nor revoked
/// within its TTL.
public struct EtcdLease: Sendable, Equatable {
    public var id: Int64
    /// The TTL etcd granted, in seconds (it may be larger than the one asked for, never smaller).
    public var ttl: Int64
}

/// One comparison of a transaction: the key's `target` compared with `result`.
public struct EtcdCompare: Sendable, Equatable {
    public enum Result: String, Sendable {
        case equal = "EQUAL", notEqual = "NOT_EQUAL", greater = "GREATER", less = "LESS"
    }

    public enum Target: Sendable, Equatable {
        case value([UInt8])
        case version(Int64)
        case createRevision(Int64)
        /// 0 compares equal for a key that does not exist.
        case modRevision(Int64)
        case lease(Int64)
    }

    public var key: [UInt8]
    public var result: Result
    public var target: Target

    public init(key: [UInt8], _ result: Result, _ target: Target) {
        self.key = key
        self.result = result
        self.target = target
    }
}

/// One operation of a transaction branch.
public enum EtcdOperation: Sendable, Equatable {
    case get(key: [UInt8])
    case put(key: [UInt8], value: [UInt8], lease: Int64)
    case delete(key: [UInt8])
}

/// What one operation of the branch that ran gave back.
public enum EtcdOperationResult: Sendable, Equatable {
    case get([EtcdKeyValue])
    case put
    case delete(deleted: Int64)
}

/// The outcome of a transaction: whether every comparison held (the success branch ran) and the
/// results of the branch that ran, in order.
public struct EtcdTransactionResult: Sendable, Equatable {
    public var succeeded: Bool
    /// The store's revision after the transaction.
    public var revision: Int64
    public var results: [EtcdOperationResult]
}

/// The outcome of a compare-and-swap.
public enum EtcdSwap: Sendable, Equatable {
    /// The key held the expected revision and now holds the new value, at this store revision.
    case swapped(revision: Int64)
    /// The key did not hold the expected revision; what it holds now (nil: it does not exist).
    case conflict(current: EtcdKeyValue?)
}
