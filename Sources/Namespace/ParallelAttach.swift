import Changelog
import Platform

/// Boot: attaching files to their directories on two threads.
///
/// Files are split by the parity of their container's row. A thread then writes only to
/// containers of its parity (child table, first child, count) and to files whose container
/// it owns (a file and the previous head of its directory's list have the same container), so
/// the two threads never touch the same memory. This runs before any container is linked, so
/// every list head is a file of the same directory. Arena bytes are only read.
extension NamespaceTree {
    /// Links every file it can; returns the files whose container does not exist and those whose
    /// name was already taken (for the serial repair pass).
    mutating func attachFilesInParallel() -> (orphans: [NodeRef], clashes: [NodeRef]) {
        // Serial pre-pass: each file's container row (-1 detached, -2 missing).
        var parents = [Int32](repeating: -1, count: files.rows.count)
        var orphans: [NodeRef] = []
        for i in files.rows.indices where files.rows[i].id != 0 {
            let c = files.rows[i].container
            if c == ContainerID.detached.rawValue { continue }
            if let row = containers.row(of: c) { parents[i] = Int32(row) } else { orphans.append(.file(i)); parents[i] = -2 }
        }
        // The threads read names from one buffer: a booted arena is one chunk (boot reserves it from the
        // log's size); when it is not (no size known), one copy makes it so.
        if !files.isSingleUntaggedArena { files.compactArena() }
        let clashes = parents.withUnsafeBufferPointer { parentRows in
            files.rows.withUnsafeMutableBufferPointer { fileRows in
                containers.rows.withUnsafeMutableBufferPointer { containerRows in
                    childTables.withUnsafeMutableBufferPointer { tables in
                        files.arena.withSingleChunk { arena in
                            let context = AttachContext(parents: parentRows, files: fileRows, containers: containerRows,
                                                        tables: tables, arena: arena)
                            let other = BackgroundThread.startOrRunInline { context.attach(parity: 1) }
                            let mine = context.attach(parity: 0)
                            return mine + other.join()
                        }
                    }
                }
            }
        }
        return (orphans, clashes)
    }
}

/// The raw views one attach thread works on. `@unchecked Sendable`: the two threads write
/// disjoint rows (see the file comment) and only read the arena and `parents`.
private struct AttachContext: @unchecked Sendable {
    let parents: UnsafeBufferPointer<Int32>
    let files: UnsafeMutableBufferPointer<FileRow>
    let containers: UnsafeMutableBufferPointer<ContainerRow>
    let tables: UnsafeMutableBufferPointer<RefTable>
    let arena: UnsafeRawBufferPointer

    @inline(__always)
    func name(_ row: Int) -> UnsafeRawBufferPointer {
        let r = files[row]
        let start = Int(r.extrasOffset)
        let n = r.extrasLength == 0 ? 0 : Int(arena[start])
        return UnsafeRawBufferPointer(rebasing: arena[(start + 1)..<(start + 1 + n)])
    }

    /// Attaches the files whose container row has this parity; returns those whose name is taken.
    func attach(parity: Int) -> [NodeRef] {
        var clashes: [NodeRef] = []
        for i in 0..<parents.count {
            let p = Int(parents[i])
            guard p >= 0, p & 1 == parity else { continue }
            let ref = NodeRef.file(i)
            let own = name(i)
            let hash = Hashing.child(parent: containers[p].id, name: own)
            // Only files are linked at this point, so every entry of the table is a file.
            if tables[p].find(hash: hash, { VariableFields.equal(name(NodeRef(raw: $0).row), own) }) != nil {
                clashes.append(ref)
                continue
            }
            tables[p].insert(hash: hash, ref: ref.raw)
            let head = NodeRef(raw: containers[p].firstChild)
            files[i].previous = NodeRef.none.raw
            files[i].next = head.raw
            if !head.isNone { files[head.row].previous = ref.raw }
            containers[p].firstChild = ref.raw
            containers[p].childCount += 1
        }
        return clashes
    }
}
