import CPeers
import Foundation

/// A key-value peer holding the same records keyed by id.
protocol Peer: AnyObject {
    var name: String { get }
    func put(_ id: UInt64, _ value: [UInt8]) throws
    /// Calls `body` with every stored value (a full scan after reopen).
    func scan(_ body: (UnsafeRawBufferPointer) -> Void) throws
    func compact() throws
    func close()
}

struct PeerError: Error, CustomStringConvertible {
    var description: String
}

/// RocksDB through its C API, WAL on, `sync` as configured.
final class RocksDBPeer: Peer {
    let name: String
    let db: OpaquePointer
    let options: OpaquePointer
    let writeOptions: OpaquePointer
    let readOptions: OpaquePointer

    init(path: String, sync: Bool) throws {
        name = sync ? "rocksdb_sync" : "rocksdb"
        options = rocksdb_options_create()
        rocksdb_options_set_create_if_missing(options, 1)
        var err: UnsafeMutablePointer<CChar>? = nil
        guard let db = rocksdb_open(options, path, &err) else { throw PeerError(description: Self.message(err)) }
        self.db = db
        writeOptions = rocksdb_writeoptions_create()
        rocksdb_writeoptions_set_sync(writeOptions, sync ? 1 : 0)
        rocksdb_writeoptions_disable_WAL(writeOptions, 0)
        readOptions = rocksdb_readoptions_create()
    }

    static func message(_ err: UnsafeMutablePointer<CChar>?) -> String {
        guard let err else { return "rocksdb error" }
        defer { free(err) }
        return String(cString: err)
    }

    func put(_ id: UInt64, _ value: [UInt8]) throws {
        var key = id.bigEndian
        var err: UnsafeMutablePointer<CChar>? = nil
        withUnsafeBytes(of: &key) { k in
            value.withUnsafeBytes { v in
                rocksdb_put(db, writeOptions, k.baseAddress!.assumingMemoryBound(to: CChar.self), 8,
                            v.baseAddress!.assumingMemoryBound(to: CChar.self), v.count, &err)
            }
        }
        if err != nil { throw PeerError(description: Self.message(err)) }
    }

    func scan(_ body: (UnsafeRawBufferPointer) -> Void) throws {
        let it = rocksdb_create_iterator(db, readOptions)!
        defer { rocksdb_iter_destroy(it) }
        rocksdb_iter_seek_to_first(it)
        while rocksdb_iter_valid(it) != 0 {
            var length = 0
            let v = rocksdb_iter_value(it, &length)
            body(UnsafeRawBufferPointer(start: v, count: length))
            rocksdb_iter_next(it)
        }
    }

    /// CompactRange over every key with the bottommost level forced (`kForce`): every live record is
    /// read and rewritten, as Beryl's compaction does. With the default (`kIfHaveCompactionFilter`)
    /// RocksDB skips a bottommost level that already holds everything and returns in microseconds.
    func compact() throws {
        let options = rocksdb_compactoptions_create()
        defer { rocksdb_compactoptions_destroy(options) }
        rocksdb_compactoptions_set_bottommost_level_compaction(options, 2)   // kForce
        rocksdb_compact_range_opt(db, options, nil, 0, nil, 0)
    }

    func close() {
        rocksdb_close(db)
        rocksdb_writeoptions_destroy(writeOptions)
        rocksdb_readoptions_destroy(readOptions)
        rocksdb_options_destroy(options)
    }
}

/// SQLite in WAL mode, `synchronous` NORMAL or FULL, one table `files(id INTEGER PRIMARY KEY, data BLOB)`.
final class SQLitePeer: Peer {
    let name: String
    var db: OpaquePointer?
    var insert: OpaquePointer?
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// `concurrent`: one of several connections writing at once; a writer that finds the database
    /// locked retries after `sched_yield` (SQLite's default busy handler would sleep for milliseconds).
    init(path: String, full: Bool, concurrent: Bool = false) throws {
        name = full ? "sqlite_full" : "sqlite"
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK else {
            throw PeerError(description: "sqlite3_open_v2 failed")
        }
        if concurrent { sqlite3_busy_handler(db, { _, _ in sched_yield(); return 1 }, nil) }
        try exec("PRAGMA journal_mode=WAL")
        try exec("PRAGMA synchronous=\(full ? "FULL" : "NORMAL")")
        try exec("CREATE TABLE IF NOT EXISTS files(id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
        guard sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO files(id, data) VALUES(?, ?)", -1, &insert, nil) == SQLITE_OK else {
            throw PeerError(description: "prepare failed")
        }
    }

    func exec(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw PeerError(description: "\(sql): \(String(cString: sqlite3_errmsg(db)))")
        }
    }

    func put(_ id: UInt64, _ value: [UInt8]) throws {
        sqlite3_bind_int64(insert, 1, Int64(bitPattern: id))
        _ = value.withUnsafeBytes { sqlite3_bind_blob(insert, 2, $0.baseAddress, Int32($0.count), Self.transient) }
        let rc = sqlite3_step(insert)
        sqlite3_reset(insert)
        guard rc == SQLITE_DONE else { throw PeerError(description: "insert: \(String(cString: sqlite3_errmsg(db)))") }
    }

    func scan(_ body: (UnsafeRawBufferPointer) -> Void) throws {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, "SELECT data FROM files", -1, &stmt, nil) == SQLITE_OK else { throw PeerError(description: "prepare select") }
        defer { sqlite3_finalize(stmt) }
        while sqlite3_step(stmt) == SQLITE_ROW {
            body(UnsafeRawBufferPointer(start: sqlite3_column_blob(stmt, 0), count: Int(sqlite3_column_bytes(stmt, 0))))
        }
    }

    func compact() throws {
        try exec("PRAGMA wal_checkpoint(TRUNCATE)")
        try exec("VACUUM")
    }

    func close() {
        sqlite3_finalize(insert)
        sqlite3_close(db)
    }
}

/// Bytes of every file under `path` (a file or a directory).
func diskBytes(_ path: String) -> Double {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: path, isDirectory: &isDir) else { return 0 }
    if !isDir.boolValue { return Double((try? fm.attributesOfItem(atPath: path)[.size] as? NSNumber)??.int64Value ?? 0) }
    var total = 0.0
    for name in (try? fm.contentsOfDirectory(atPath: path)) ?? [] { total += diskBytes(path + "/" + name) }
    return total
}
