import ExtrasBase64

/// The JSON bodies of etcd's v3 gateway (3.4: paths under `/v3/`): requests built from the typed
/// operations, answers read into them. Keys and values travel in base64, 64-bit integers as strings.
enum EtcdWire {
    /// A JSON object from members whose values are already JSON texts.
    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    static func bytes(_ b: [UInt8]) -> String { "\"\(Base64.encodeToString(bytes: b))\"" }
    static func int(_ i: Int64) -> String { "\"\(i)\"" }

    static func compare(_ c: EtcdCompare) -> String {
        var members: [(String, String)] = [("key", bytes(c.key)), ("result", "\"\(c.result.rawValue)\"")]
        switch c.target {
        case .value(let v): members += [("target", "\"VALUE\""), ("value", bytes(v))]
        case .version(let v): members += [("target", "\"VERSION\""), ("version", int(v))]
        case .createRevision(let r): members += [("target", "\"CREATE\""), ("create_revision", int(r))]
        case .modRevision(let r): members += [("target", "\"MOD\""), ("mod_revision", int(r))]
        case .lease(let l): members += [("target", "\"LEASE\""), ("lease", int(l))]
        }
        return object(members)
    }

    static func operation(_ op: EtcdOperation) -> String {
        switch op {
        case .get(let key):
            return object([("request_range", object([("key", bytes(key))]))])
        case .put(let key, let value, let lease):
            var put = [("key", bytes(key)), ("value", bytes(value))]
            if lease != 0 { put.append(("lease", int(lease))) }
            return object([("request_put", object(put))])
        case .delete(let key):
            return object([("request_delete_range", object([("key", bytes(key))]))])
        }
    }

    static func transaction(compare: [EtcdCompare], success: [EtcdOperation], failure: [EtcdOperation]) -> String {
        object([("compare", "[" + compare.map(Self.compare).joined(separator: ",") + "]"),
                ("success", "[" + success.map(operation).joined(separator: ",") + "]"),
                ("failure", "[" + failure.map(operation).joined(separator: ",") + "]")])
    }

    // MARK: Answers

    /// Reads a field that must be there.
    static func require<T>(_ value: T?, _ what: String) throws(WireDefect) -> T {
        guard let value else { throw WireDefect(reason: "no \(what)") }
        return value
    }

    /// An int64 field; etcd omits fields that hold their default (0, false, empty).
    static func int64(_ json: JSONValue, _ field: String) throws(WireDefect) -> Int64 {
        guard let member = json[field] else { return 0 }
        guard let value = member.int64 else { throw WireDefect(reason: "\(field) is not an integer") }
        return value
    }

    static func bytes(_ json: JSONValue, _ field: String) throws(WireDefect) -> [UInt8] {
        guard let member = json[field] else { return [] }
        guard let text = member.string, let value = try? Base64.decode(string: text) else {
            throw WireDefect(reason: "\(field) is not base64")
        }
        return value
    }

    static func keyValue(_ json: JSONValue) throws(WireDefect) -> EtcdKeyValue {
        EtcdKeyValue(key: try bytes(json, "key"), value: try bytes(json, "value"),
                     createRevision: try int64(json, "create_revision"), modRevision: try int64(json, "mod_revision"),
                     version: try int64(json, "version"), lease: try int64(json, "lease"))
    }

    static func keyValues(_ json: JSONValue) throws(WireDefect) -> [EtcdKeyValue] {
        guard let member = json["kvs"] else { return [] }
        guard let list = member.array else { throw WireDefect(reason: "kvs is not an array") }
        var out: [EtcdKeyValue] = []
        for item in list { out.append(try keyValue(item)) }
        return out
    }

    static func revision(_ json: JSONValue) throws(WireDefect) -> Int64 {
        try int64(try require(json["header"], "header"), "revision")
    }

    static func transactionResult(_ json: JSONValue) throws(WireDefect) -> EtcdTransactionResult {
        var succeeded = false
        if let member = json["succeeded"] {
            succeeded = try require(member.bool, "boolean succeeded")
        }
        var results: [EtcdOperationResult] = []
        for item in json["responses"]?.array ?? [] {
            if let range = item["response_range"] {
                results.append(.get(try keyValues(range)))
            } else if item["response_put"] != nil {
                results.append(.put)
            } else if let delete = item["response_delete_range"] {
                results.append(.delete(deleted: try int64(delete, "deleted")))
            } else {
                throw WireDefect(reason: "a transaction response of an unknown kind")
            }
        }
        return EtcdTransactionResult(succeeded: succeeded, revision: try revision(json), results: results)
    }
}

/// An answer that parsed as JSON but lacks what the request expects.
struct WireDefect: Error {
    var reason: String
}
