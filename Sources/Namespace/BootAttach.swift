/// Boot phase two: attach every loaded container and file to its parent, and re-attach what
/// cannot be attached under /lost+found (as the legacy MGM did):
/// - a missing parent (or a container chain that loops without reaching the root) goes to
///   `/lost+found/orphans/<parent id>/<name>.<id>`;
/// - of two entries with the same name in one directory, the one with the larger id goes to
///   `/lost+found/name_conflicts/<parent id>/<name>.<id>` (a container always keeps the name
///   against a file).
struct AttachOutcome {
    var repairs: [RepairedEntry] = []
    /// Rows whose records must be (re)written for the repair to persist.
    var touchedContainers: Set<Int> = []
    var touchedFiles: Set<Int> = []
    /// Without relocation (a replica): entries left unattached, to wait for the records that
    /// attach them (a parent that has not arrived yet, a name another entry still holds).
    var unattached: [NodeRef] = []
}

extension NamespaceTree {
    private struct Move {
        var ref: NodeRef
        var reason: RepairedEntry.Reason
    }

    /// With `relocating` false (a replica, which must not invent records of its own) nothing is
    /// created or moved: what cannot be attached is returned in `unattached`.
    mutating func attachAll(now: Timestamp, relocating: Bool = true) -> AttachOutcome {
        var out = AttachOutcome()
        let rootID = ContainerID.root.rawValue
        let rootRow: Int
        if !relocating {
            return attachWithoutRelocation()
        } else if let r = containers.row(of: rootID) {
            rootRow = r
            if containers.rows[r].parent != rootID {
                containers.rows[r].parent = rootID
                out.touchedContainers.insert(r)
            }
        } else {
            rootRow = newContainer(name: [], parent: rootID, id: rootID, now: now, mode: 0o40755)
            ensureChildTables()
            out.touchedContainers.insert(rootRow)
        }
        var moves: [Move] = []
        ensureChildTables()
        // Files first, on two threads (see ParallelAttach.swift); what they could not attach
        // (missing container, name taken) is handled after the containers.
        let (orphanFiles, clashingFiles) = attachFilesInParallel()

        let containerRows = containers.rows.count
        for i in 0..<containerRows where containers.rows[i].id != 0 && i != rootRow {
            let r = containers.rows[i]
            guard r.parent != r.id, containers.row(of: r.parent) != nil else {
                moves.append(Move(ref: .container(i), reason: .orphan))
                continue
            }
            place(.container(i), id: r.id, parent: r.parent, moves: &moves)
        }
        breakCycles(rootRow: rootRow, moves: &moves)
        for m in moves { relocate(m, now: now, out: &out) }

        moves = orphanFiles.map { Move(ref: $0, reason: .orphan) }
        for ref in clashingFiles {
            let r = files.rows[ref.row]
            place(ref, id: r.id, parent: r.container, moves: &moves)
        }
        for m in moves { relocate(m, now: now, out: &out) }
        return out
    }

    /// The replica form of `attachAll`: link what can be linked, leave the rest unattached.
    private mutating func attachWithoutRelocation() -> AttachOutcome {
        var out = AttachOutcome()
        var moves: [Move] = []
        ensureChildTables()
        let (orphanFiles, clashingFiles) = attachFilesInParallel()
        let rootRow = containers.row(of: ContainerID.root.rawValue)
        for i in 0..<containers.rows.count where containers.rows[i].id != 0 && i != rootRow {
            let r = containers.rows[i]
            guard r.parent != r.id, containers.row(of: r.parent) != nil else {
                moves.append(Move(ref: .container(i), reason: .orphan))
                continue
            }
            place(.container(i), id: r.id, parent: r.parent, moves: &moves)
        }
        for ref in clashingFiles {
            let r = files.rows[ref.row]
            place(ref, id: r.id, parent: r.container, moves: &moves)
        }
        out.unattached = moves.map(\.ref) + orphanFiles
        return out
    }

    /// Links `ref` unless its name is taken; on a clash the larger id (or the file) moves.
    private mutating func place(_ ref: NodeRef, id: UInt64, parent: UInt64, moves: inout [Move]) {
        guard let existing = withName(ref, { child(of: parent, named: $0) }) else {
            link(ref)
            return
        }
        let evictExisting = existing.isContainer == ref.isContainer ? self.id(existing) > id : ref.isContainer
        if evictExisting {
            unlink(existing)
            moves.append(Move(ref: existing, reason: .nameConflict))
            link(ref)
        } else {
            moves.append(Move(ref: ref, reason: .nameConflict))
        }
    }

    /// Linked containers not reachable from the root form cycles; break each one by moving the
    /// container where the walk up first repeats.
    private mutating func breakCycles(rootRow: Int, moves: inout [Move]) {
        var reached = [Bool](repeating: false, count: containers.rows.count)
        markSubtree(rootRow, &reached)
        let moving = Set(moves.filter { $0.ref.isContainer }.map { $0.ref.row })
        for i in containers.rows.indices where containers.rows[i].id != 0 && !reached[i] && !moving.contains(i) {
            if reached[i] { continue }
            var seen: Set<Int> = []
            var current = i
            var cycle = false
            while !reached[current] && !moving.contains(current) {
                if !seen.insert(current).inserted { cycle = true; break }
                guard let up = containers.row(of: containers.rows[current].parent) else { break }
                current = up
            }
            if !cycle { continue }
            unlink(.container(current))
            moves.append(Move(ref: .container(current), reason: .orphan))
            markSubtree(current, &reached)
        }
    }

    private func markSubtree(_ row: Int, _ reached: inout [Bool]) {
        var stack = [row]
        while let r = stack.popLast() {
            if reached[r] { continue }
            reached[r] = true
            var child = NodeRef(raw: containers.rows[r].firstChild)
            while !child.isNone {
                if child.isContainer { stack.append(child.row) }
                child = links(child).next
            }
        }
    }

    /// Moves an unattached entry to /lost+found/<reason>/<original parent>/<name>.<id>.
    private mutating func relocate(_ move: Move, now: Timestamp, out: inout AttachOutcome) {
        let ref = move.ref
        let originalParent = parentID(ref)
        let originalName = withName(ref) { Array($0) }
        let id = self.id(ref)
        let bucket = move.reason == .orphan ? "orphans" : "name_conflicts"
        let target = lostAndFound([Array("lost+found".utf8), Array(bucket.utf8), Array(String(originalParent).utf8)],
                                  now: now, out: &out)
        let targetID = containers.rows[target].id
        var name = Self.suffixed(originalName, id: id)
        while child(of: targetID, named: name) != nil { name = Self.suffixed(name, id: id) }
        if ref.isContainer {
            var row = containers.rows[ref.row]
            row.parent = targetID
            let extras = containers.withExtras(ref.row) { Self.replacingName($0, with: name) }
            extras.withUnsafeBytes { containers.replace(ref.row, with: row, extras: $0) }
            out.touchedContainers.insert(ref.row)
        } else {
            var row = files.rows[ref.row]
            row.container = targetID
            let extras = files.withExtras(ref.row) { Self.replacingName($0, with: name) }
            extras.withUnsafeBytes { files.replace(ref.row, with: row, extras: $0) }
            out.touchedFiles.insert(ref.row)
        }
        link(ref)
        out.repairs.append(RepairedEntry(kind: ref.isContainer ? .container : .file, id: id, reason: move.reason,
                                         originalParent: originalParent,
                                         originalName: String(decoding: originalName, as: UTF8.self),
                                         newPath: path(of: ref) ?? "?"))
    }

    /// Finds or creates the chain of directories `names` under the root; returns the last row.
    private mutating func lostAndFound(_ names: [[UInt8]], now: Timestamp, out: inout AttachOutcome) -> Int {
        var current = containers.row(of: ContainerID.root.rawValue)!
        for original in names {
            var name = original
            let parent = containers.rows[current].id
            while true {
                if let existing = child(of: parent, named: name) {
                    if existing.isContainer { current = existing.row; break }
                    name.append(0x5F) // a file holds the name: try "<name>_"
                    continue
                }
                current = newContainer(name: name, parent: parent, id: containers.largestID + 1, now: now)
                link(.container(current))
                out.touchedContainers.insert(current)
                break
            }
        }
        return current
    }

    mutating func newContainer(name: [UInt8], parent: UInt64, id: UInt64, now: Timestamp, mode: UInt32 = 0o40700) -> Int {
        let row = ContainerRow(id: id, parent: parent, ctimeSeconds: now.seconds, mtimeSeconds: now.seconds,
                               ctimeNanoseconds: now.nanoseconds, mtimeNanoseconds: now.nanoseconds,
                               uid: 0, gid: 0, mode: mode, flags: 0, extrasLength: 0, extrasOffset: 0)
        let extras = (try? ContainerCodec.encodeExtras(name: name, xattrs: [:])) ?? [0, 0, 0]
        return extras.withUnsafeBytes { insertContainer(row, extras: $0) }
    }

    /// "<name>.<id>", the base cut so the result fits in 255 bytes.
    static func suffixed(_ name: [UInt8], id: UInt64) -> [UInt8] {
        let suffix = Array(".\(id)".utf8)
        return Array(name.prefix(NameRules.maximumNameLength - suffix.count)) + suffix
    }

    /// A variable section (of either kind: the name comes first) with its name replaced.
    static func replacingName(_ extras: UnsafeRawBufferPointer, with name: [UInt8]) -> [UInt8] {
        let old = extras.isEmpty ? 0 : Int(extras[0])
        var out: [UInt8] = [UInt8(name.count)]
        out.reserveCapacity(1 + name.count + extras.count - 1 - old)
        out.append(contentsOf: name)
        out.append(contentsOf: extras[min(1 + old, extras.count)...])
        return out
    }
}
