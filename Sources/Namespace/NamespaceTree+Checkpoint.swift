import Platform

/// Everything a checkpoint holds of the in-memory namespace: both row tables (rows with their
/// sibling links, free rows, id index, arena), the directory index (one child table per container
/// row), the largest ids ever seen, and the parent-time state (ParentTimes.swift).
struct NamespaceImage {
    var files: RowTableImage<FileRow>
    var containers: RowTableImage<ContainerRow>
    /// Per container row: the slot count and the used count of its child table.
    var directorySizes: [UInt32]
    /// Every child table's slots, one after another in container-row order.
    var directorySlots: [UInt64]
    var timesNotInLog: [UInt64]
    var pendingParentTimes: [(id: UInt64, time: Timestamp)]

    /// The `state` section: the counters and the parent-time state, little-endian.
    var stateBytes: [UInt8] {
        var out: [UInt8] = []
        for t in [(files.largestID, files.index.count, files.index.sparseCount),
                  (containers.largestID, containers.index.count, containers.index.sparseCount)] {
            out.appendLE(t.0)
            out.appendLE(UInt64(t.1))
            out.appendLE(UInt64(t.2))
        }
        out.appendLE(UInt64(timesNotInLog.count))
        for id in timesNotInLog { out.appendLE(id) }
        out.appendLE(UInt64(pendingParentTimes.count))
        for p in pendingParentTimes {
            out.appendLE(p.id)
            out.appendLE(p.time)
        }
        return out
    }

    /// The fields of the `state` section (checked: never traps).
    struct State {
        var fileLargestID: UInt64, fileCount: Int, fileSparseCount: Int
        var containerLargestID: UInt64, containerCount: Int, containerSparseCount: Int
        var timesNotInLog: [UInt64] = []
        var pendingParentTimes: [(id: UInt64, time: Timestamp)] = []
    }

    static func decodeState(_ bytes: [UInt8]) throws(CodecError) -> State {
        try withArrayBytes(bytes) { (b) throws(CodecError) -> State in
            var r = PayloadReader(b)
            func count(_ field: StaticString, each: Int) throws(CodecError) -> Int {
                let n = try r.u64(field)
                guard n <= UInt64(r.remaining / each) else { throw .truncated(field: "\(field)", offset: r.cursor) }
                return Int(n)
            }
            func number(_ field: StaticString) throws(CodecError) -> Int {
                let n = try r.u64(field)
                guard n <= UInt64(UInt32.max) * 16 else { throw .truncated(field: "\(field)", offset: r.cursor) }
                return Int(n)
            }
            var s = State(fileLargestID: try r.u64("file largest id"), fileCount: try number("file count"),
                          fileSparseCount: try number("file sparse count"),
                          containerLargestID: try r.u64("container largest id"),
                          containerCount: try number("container count"),
                          containerSparseCount: try number("container sparse count"))
            let times = try count("times not in log", each: 8)
            for _ in 0..<times { s.timesNotInLog.append(try r.u64("times not in log")) }
            let pending = try count("pending parent times", each: 20)
            for _ in 0..<pending {
                let id = try r.u64("pending parent time id")
                s.pendingParentTimes.append((id, try r.timestamp("pending parent time")))
            }
            guard r.remaining == 0 else { throw .trailingBytes(r.remaining) }
            return s
        }
    }
}

extension NamespaceTree {
    /// The tree as a checkpoint stores it (cheap on a tree nobody mutates: see `RowTable.checkpointImage`).
    var checkpointImage: NamespaceImage {
        var sizes: [UInt32] = []
        sizes.reserveCapacity(containers.rows.count * 2)
        var slots: [UInt64] = []
        for row in 0..<containers.rows.count {
            let table = row < childTables.count ? childTables[row] : .empty
            let stored = table.storedSlots
            sizes.append(UInt32(stored.count))
            sizes.append(UInt32(table.count))
            slots.append(contentsOf: stored)
        }
        return NamespaceImage(files: files.checkpointImage, containers: containers.checkpointImage,
                              directorySizes: sizes, directorySlots: slots, timesNotInLog: timesNotInLog.sorted(),
                              pendingParentTimes: pendingParentTimes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// A checkpoint's tree is checked so that no later access can trap, in two halves that run on two
    /// threads (`CheckpointFile.loadTree`): the tables (see `RowTable(image:)`), every sibling link,
    /// first child and child-table reference names an existing row, and the root exists.
    ///
    /// The file table of a checkpoint, checked (`RowTable(image:)`, and every sibling link names an
    /// existing row of either table).
    static func checkedFiles(_ image: RowTableImage<FileRow>, containerRows: Int) throws(CheckpointImageError) -> RowTable<FileRow> {
        let fileRows = image.rows.count
        @inline(__always) func valid(_ raw: UInt32) -> Bool {
            let ref = NodeRef(raw: raw)
            return ref.isNone || (ref.isContainer ? ref.row < containerRows : ref.row < fileRows)
        }
        guard let files = RowTable<FileRow>(image: image, alsoValid: { valid($0.previous) && valid($0.next) }) else {
            throw .init("file table or links")
        }
        return files
    }

    /// The container table and the directory tables of a checkpoint's image, checked (every link and
    /// child reference names an existing row of either table, `fileRows` file rows; the root exists):
    /// the half of the checks that runs beside `checkedFiles`.
    static func checkedRest(_ image: NamespaceImage, fileRows: Int) throws(CheckpointImageError) -> (RowTable<ContainerRow>, [RefTable]) {
        guard let containers = RowTable<ContainerRow>(image: image.containers) else { throw .init("container table") }
        let containerRows = containers.rows.count
        @inline(__always) func valid(_ raw: UInt32) -> Bool {
            let ref = NodeRef(raw: raw)
            return ref.isNone || (ref.isContainer ? ref.row < containerRows : ref.row < fileRows)
        }
        for r in containers.rows where r.id != 0 {
            guard valid(r.previous), valid(r.next), valid(r.firstChild) else { throw .init("container links") }
        }
        guard image.directorySizes.count == containerRows * 2 else { throw .init("directory table sizes") }
        var tables: [RefTable] = []
        tables.reserveCapacity(containerRows)
        var at = 0
        for row in 0..<containerRows {
            let n = Int(image.directorySizes[2 * row])
            guard n <= image.directorySlots.count - at else { throw .init("directory table slots") }
            if n == 0 {
                guard image.directorySizes[2 * row + 1] == 0 else { throw .init("directory table \(row)") }
                tables.append(.empty)
                continue
            }
            guard let t = RefTable(storedSlots: Array(image.directorySlots[at..<(at + n)]),
                                   count: Int(image.directorySizes[2 * row + 1]),
                                   isValid: { valid($0) && $0 != NodeRef.none.raw }) else {
                throw .init("directory table \(row)")
            }
            tables.append(t)
            at += n
        }
        guard at == image.directorySlots.count else { throw .init("directory table slots") }
        guard containers.row(of: ContainerID.root.rawValue) != nil else { throw .init("no root container") }
        return (containers, tables)
    }

    /// Assembles checked tables (`checkedFiles`, `checkedRest`) and the image's parent-time state.
    init(files: RowTable<FileRow>, containers: RowTable<ContainerRow>, childTables: [RefTable], rest image: NamespaceImage) {
        self.init()
        self.files = files
        self.containers = containers
        self.childTables = childTables
        self.timesNotInLog = Set(image.timesNotInLog)
        for p in image.pendingParentTimes { pendingParentTimes[p.id] = p.time }
    }
}

/// Which part of a checkpoint's tables failed its checks.
struct CheckpointImageError: Error {
    var part: String
    init(_ part: String) { self.part = part }
}
