import Glibc
@testable import Namespace

/// The namespace as a dictionary path -> attributes, with the same error rules, to check the
/// real one against.
struct ReferenceModel {
    struct Entry: Equatable {
        enum Kind: Equatable { case file, directory, symlink(String) }
        var kind: Kind
        var size: UInt64 = 0
        var mode: UInt32 = 0
        var uid: UInt32 = 7
        var gid: UInt32 = 8
        var xattrs: [String: String] = [:]
        var locations: [UInt32] = []
    }

    var entries: [String: Entry] = ["/": Entry(kind: .directory, mode: 0o40755, uid: 0, gid: 0)]

    static func parent(_ path: String) -> String {
        guard let i = path.lastIndex(of: "/"), i != path.startIndex else { return "/" }
        return String(path[..<i])
    }

    static func join(_ dir: String, _ name: String) -> String { dir == "/" ? "/" + name : dir + "/" + name }

    /// nil when `path` exists; else ENOENT or ENOTDIR as a walk from the root finds.
    func resolveError(_ path: String) -> Int32? {
        var current = "/"
        for part in path.split(separator: "/") {
            guard entries[current]?.kind == .directory else { return ENOTDIR }
            current = Self.join(current, String(part))
            if entries[current] == nil { return ENOENT }
        }
        return nil
    }

    func containerError(_ path: String) -> Int32? {
        if let e = resolveError(path) { return e }
        return entries[path]!.kind == .directory ? nil : ENOTDIR
    }

    func isEmpty(_ dir: String) -> Bool {
        let prefix = dir == "/" ? "/" : dir + "/"
        return !entries.keys.contains { $0 != dir && $0.hasPrefix(prefix) }
    }

    mutating func create(_ path: String, _ entry: Entry) -> Int32? {
        if path == "/" { return EINVAL }
        if let e = containerError(Self.parent(path)) { return e }
        if entries[path] != nil { return EEXIST }
        entries[path] = entry
        return nil
    }

    mutating func mkdirp(_ path: String) -> Int32? {
        var current = "/"
        for part in path.split(separator: "/") {
            current = Self.join(current, String(part))
            if let e = entries[current] {
                if e.kind != .directory { return current == path ? EEXIST : ENOTDIR }
                continue
            }
            entries[current] = Entry(kind: .directory, mode: 0o40755)
        }
        return nil
    }

    mutating func rename(_ source: String, _ destination: String) -> Int32? {
        if source == "/" || destination == "/" { return EINVAL }
        if let e = resolveError(source) { return e }
        if let e = containerError(Self.parent(destination)) { return e }
        let isDirectory = entries[source]!.kind == .directory
        if let target = entries[destination] {
            // rename(2): a file replaces a file, a directory an empty directory.
            if source == destination { return nil }
            if !isDirectory && target.kind == .directory { return EISDIR }
            if isDirectory && target.kind != .directory { return ENOTDIR }
            if target.kind == .directory && !isEmpty(destination) { return ENOTEMPTY }
        }
        let destinationParent = Self.parent(destination)
        if isDirectory && (destinationParent == source || destinationParent.hasPrefix(source + "/")) { return EINVAL }
        entries[destination] = nil
        for (path, entry) in entries where path == source || path.hasPrefix(source + "/") {
            entries[path] = nil
            entries[destination + path.dropFirst(source.count)] = entry
        }
        return nil
    }

    mutating func removeFile(_ path: String) -> Int32? {
        if let e = resolveError(path) { return e }
        if entries[path]!.kind == .directory { return EISDIR }
        entries[path] = nil
        return nil
    }

    mutating func removeDirectory(_ path: String) -> Int32? {
        if let e = resolveError(path) { return e }
        if entries[path]!.kind != .directory { return ENOTDIR }
        if path == "/" { return EINVAL }
        if !isEmpty(path) { return ENOTEMPTY }
        entries[path] = nil
        return nil
    }

    /// For updates addressed by path: the file must exist and not be a directory.
    func fileError(_ path: String) -> Int32? {
        if let e = resolveError(path) { return e }
        return entries[path]!.kind == .directory ? EISDIR : nil
    }
}

extension ReferenceModel.Entry {
    /// The model's view of a namespace entry.
    init(_ e: NamespaceEntry) {
        switch e {
        case .container(let c):
            self.init(kind: .directory, mode: c.mode, uid: c.uid, gid: c.gid, xattrs: c.xattrs)
        case .file(let f):
            self.init(kind: f.symlinkTarget.map { .symlink($0) } ?? .file, size: f.size, mode: f.mode, uid: f.uid, gid: f.gid,
                      xattrs: f.xattrs, locations: f.locations)
        }
    }
}

extension Namespace {
    /// Every entry reachable from the root, by path.
    func snapshot() throws -> [String: ReferenceModel.Entry] {
        var out: [String: ReferenceModel.Entry] = [:]
        var stack = ["/"]
        while let dir = stack.popLast() {
            out[dir] = ReferenceModel.Entry(try stat(dir))
            let names = try list(dir)
            precondition(expectSortedBytes(names.map { Array($0.name.utf8) }), "listing not sorted")
            for e in names {
                let path = ReferenceModel.join(dir, e.name)
                if e.kind == .container { stack.append(path) } else { out[path] = ReferenceModel.Entry(try stat(path)) }
            }
        }
        return out
    }
}

func expectSortedBytes(_ names: [[UInt8]]) -> Bool {
    zip(names, names.dropFirst()).allSatisfy { VariableFields.lessThan($0, $1) }
}
