/// The in-memory namespace: file and container tables plus the directory index: one small hash
/// table of children per container (indexed like the container rows), mapping a name to a row,
/// and a doubly linked list of each container's children (for listing). Per-directory tables
/// keep the entries of one directory together in memory, so attaching or looking up the files
/// of a directory stays in cache. Not thread-safe: `Namespace` serialises access with its
/// reader-writer lock.
///
/// Invariants: every attached file and every container but the root is in the directory index
/// under (its parent, its name) and in its parent's child list; detached files (container 0)
/// are in neither. Names are unique per parent across files and containers.
struct NamespaceTree {
    var files = RowTable<FileRow>()
    var containers = RowTable<ContainerRow>()
    /// Children of the container at the same row index.
    var childTables: [RefTable] = []
    /// Containers whose mtime/ctime came from a child's record (ParentTimes.swift) and are not yet
    /// in a record of their own: written before a compaction drops the records that carried them.
    var timesNotInLog: Set<UInt64> = []
    /// A replica's parent effects for containers whose record has not arrived yet.
    var pendingParentTimes: [UInt64: Timestamp] = [:]

    var directoryIndexBytes: Int {
        childTables.reduce(childTables.count * MemoryLayout<RefTable>.stride) { $0 + $1.bytes }
    }

    /// Adds a container row (and its empty child table).
    @discardableResult
    mutating func insertContainer(_ row: ContainerRow, extras: UnsafeRawBufferPointer) -> Int {
        let at = containers.insert(row, extras: extras)
        ensureChildTables()
        return at
    }

    /// Removes the (empty, unlinked) container at `row`.
    mutating func removeContainer(_ row: Int) {
        containers.remove(row)
        if row < childTables.count { childTables[row] = .empty }
    }

    /// Gives every container row a child table (after loading rows directly into `containers`).
    mutating func ensureChildTables() {
        if childTables.count < containers.rows.count {
            childTables.append(contentsOf: repeatElement(RefTable.empty, count: containers.rows.count - childTables.count))
        }
    }

    // MARK: Names and parents of either kind

    @inline(__always)
    func withName<R>(_ ref: NodeRef, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        ref.isContainer ? containers.withName(ref.row, body) : files.withName(ref.row, body)
    }

    @inline(__always)
    func parentID(_ ref: NodeRef) -> UInt64 {
        ref.isContainer ? containers.rows[ref.row].parent : files.rows[ref.row].container
    }

    func id(_ ref: NodeRef) -> UInt64 {
        ref.isContainer ? containers.rows[ref.row].id : files.rows[ref.row].id
    }

    // MARK: Directory index

    /// The child of container `parent` called `name`.
    @inline(__always)
    func child(of parent: UInt64, named name: UnsafeRawBufferPointer) -> NodeRef? {
        child(of: parent, named: name, hash: Hashing.child(parent: parent, name: name))
    }

    @inline(__always)
    func child(of parent: UInt64, named name: UnsafeRawBufferPointer, hash: UInt32) -> NodeRef? {
        guard let parentRow = containers.row(of: parent), parentRow < childTables.count else { return nil }
        return childTables[parentRow].find(hash: hash) { raw in
            withName(NodeRef(raw: raw)) { VariableFields.equal($0, name) }
        }.map { NodeRef(raw: $0) }
    }

    func child(of parent: UInt64, named name: [UInt8]) -> NodeRef? {
        name.withUnsafeBytes { child(of: parent, named: $0) }
    }

    /// Adds `ref` (whose row already holds its parent id and name) to its parent's entries.
    /// The caller has checked that the name is free.
    mutating func link(_ ref: NodeRef) {
        link(ref, hash: withName(ref) { Hashing.child(parent: parentID(ref), name: $0) })
    }

    /// `link` with the entry's directory hash already computed.
    mutating func link(_ ref: NodeRef, hash: UInt32) {
        let parent = parentID(ref)
        guard let parentRow = containers.row(of: parent), parentRow < childTables.count else { return }
        childTables[parentRow].insert(hash: hash, ref: ref.raw)
        let head = NodeRef(raw: containers.rows[parentRow].firstChild)
        setLinks(ref, previous: .none, next: head)
        if !head.isNone { setPrevious(head, ref) }
        containers.rows[parentRow].firstChild = ref.raw
        containers.rows[parentRow].childCount += 1
    }

    /// Removes `ref` from its parent's entries (before its parent or name change).
    mutating func unlink(_ ref: NodeRef) {
        let parent = parentID(ref)
        let hash = withName(ref) { Hashing.child(parent: parent, name: $0) }
        guard let parentRow = containers.row(of: parent), parentRow < childTables.count,
              childTables[parentRow].remove(hash: hash, ref: ref.raw) else { return }
        let (previous, next) = links(ref)
        if previous.isNone {
            containers.rows[parentRow].firstChild = next.raw
        } else {
            setNext(previous, next)
        }
        if !next.isNone { setPrevious(next, previous) }
        setLinks(ref, previous: .none, next: .none)
        containers.rows[parentRow].childCount -= 1
    }

    /// The children of the container at `row`, in no particular order.
    func children(ofContainerRow row: Int) -> [NodeRef] {
        var out: [NodeRef] = []
        out.reserveCapacity(Int(containers.rows[row].childCount))
        var ref = NodeRef(raw: containers.rows[row].firstChild)
        while !ref.isNone {
            out.append(ref)
            ref = links(ref).next
        }
        return out
    }

    func links(_ ref: NodeRef) -> (previous: NodeRef, next: NodeRef) {
        ref.isContainer
            ? (NodeRef(raw: containers.rows[ref.row].previous), NodeRef(raw: containers.rows[ref.row].next))
            : (NodeRef(raw: files.rows[ref.row].previous), NodeRef(raw: files.rows[ref.row].next))
    }

    private mutating func setLinks(_ ref: NodeRef, previous: NodeRef, next: NodeRef) {
        setPrevious(ref, previous)
        setNext(ref, next)
    }

    private mutating func setPrevious(_ ref: NodeRef, _ value: NodeRef) {
        if ref.isContainer { containers.rows[ref.row].previous = value.raw } else { files.rows[ref.row].previous = value.raw }
    }

    private mutating func setNext(_ ref: NodeRef, _ value: NodeRef) {
        if ref.isContainer { containers.rows[ref.row].next = value.raw } else { files.rows[ref.row].next = value.raw }
    }

    /// The directory hash of an entry (from its parent id and name).
    @inline(__always)
    func directoryHash(_ ref: NodeRef) -> UInt32 {
        withName(ref) { Hashing.child(parent: parentID(ref), name: $0) }
    }

    // MARK: Paths

    /// Resolves path components (lstat semantics: the last component may be anything).
    func resolve(_ components: [[UInt8]], path: String) throws(NamespaceError) -> NodeRef {
        guard let rootRow = containers.row(of: ContainerID.root.rawValue) else { throw .notFound(path) }
        var current = NodeRef.container(rootRow)
        for part in components {
            guard current.isContainer else { throw .notADirectory(path) }
            guard let next = child(of: containers.rows[current.row].id, named: part) else { throw .notFound(path) }
            current = next
        }
        return current
    }

    /// Resolves components that must name a container.
    func resolveContainer(_ components: [[UInt8]], path: String) throws(NamespaceError) -> Int {
        let ref = try resolve(components, path: path)
        guard ref.isContainer else { throw .notADirectory(path) }
        return ref.row
    }

    /// The absolute path of an attached entry ("/" for the root); nil for a detached file or a
    /// container chain that does not reach the root.
    func path(of ref: NodeRef) -> String? {
        var parts: [[UInt8]] = []
        var current = ref
        var steps = 0
        if !current.isContainer {
            let container = files.rows[current.row].container
            guard let row = containers.row(of: container) else { return nil }
            parts.append(files.name(current.row))
            current = .container(row)
        }
        while containers.rows[current.row].id != ContainerID.root.rawValue {
            parts.append(containers.name(current.row))
            guard let up = containers.row(of: containers.rows[current.row].parent), steps < 1 << 20 else { return nil }
            current = .container(up)
            steps += 1
        }
        if parts.isEmpty { return "/" }
        var bytes: [UInt8] = []
        for p in parts.reversed() {
            bytes.append(0x2F)
            bytes.append(contentsOf: p)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether container `ancestor` is `row` or one of its ancestors.
    func isAncestor(_ ancestor: Int, of row: Int) -> Bool {
        var current = row
        var steps = 0
        while true {
            if current == ancestor { return true }
            let r = containers.rows[current]
            if r.id == ContainerID.root.rawValue || steps > 1 << 20 { return false }
            guard let up = containers.row(of: r.parent) else { return false }
            current = up
            steps += 1
        }
    }
}
