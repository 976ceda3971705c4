import Changelog
import Namespace
import Glibc
import Platform

/// The role tag of a data directory, `<dir>/beryl.role`: the role, the fencing epoch and what the
/// node must remember across restarts, as `master epoch=3 fenced=4 synced=1 degraded=1` (the role as its `Role.tagWord`). A bare
/// `master` or `slave`, as older versions wrote, is epoch 0; the legacy MGM kept
/// `/var/eos/eos.mgm.rw` for the role. No file: a slave of epoch 0. The epoch grows with every
/// promotion and is written before the promoted node accepts a write (see docs/REPLICATION.md).
public struct RoleTag: Sendable, Equatable, CustomStringConvertible {
    /// The role of the data directory (the legacy `service eos master mgm`): `masterReadWrite` for a
    /// master, which serves the namespace read-write once the safe-start rules allow it, or
    /// `slaveReadOnly` for a slave, which serves it read-only and follows a master; any other role
    /// given is stored as the one of its tag word. A fresh directory is a slave until tagged.
    public var role: Role {
        get { isMaster ? .masterReadWrite : .slaveReadOnly }
        set { isMaster = newValue.isMaster }
    }
    private var isMaster: Bool
    public var epoch: UInt64
    /// A newer epoch this node has seen (a probe, a handshake, a heartbeat): no writes until it
    /// follows that epoch. Written before the node answers anything else.
    public var fencedBy: UInt64?
    /// A slave that has once held everything its master announced (caught up): only such a slave
    /// may be promoted while its master cannot be reached.
    public var synced: Bool
    /// A master under `--sync-replication preferred` that stopped waiting for its slave: writes it
    /// acknowledged since may be missing on the slave (reported by a forced promotion).
    public var degraded: Bool

    public init(role: Role, epoch: UInt64 = 0, fencedBy: UInt64? = nil, synced: Bool = false, degraded: Bool = false) {
        self.isMaster = role.isMaster
        self.epoch = epoch
        self.fencedBy = fencedBy
        self.synced = synced
        self.degraded = degraded
    }

    public var description: String {
        var text = "\(role.tagWord) epoch=\(epoch)"
        if let fencedBy { text += " fenced=\(fencedBy)" }
        if synced { text += " synced=1" }
        if degraded { text += " degraded=1" }
        return text
    }

    /// Parses `<role> [epoch=<n>] [fenced=<n>] [synced=0|1] [degraded=0|1]`; nil for anything else.
    public init?(parsing text: String) {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
        guard let first = words.first, let role = Role(tagWord: first) else { return nil }
        self.init(role: role)
        for word in words.dropFirst() {
            guard let equals = word.firstIndex(of: "="), let value = UInt64(word[word.index(after: equals)...]) else { return nil }
            switch word[..<equals] {
            case "epoch": epoch = value
            case "fenced": fencedBy = value
            case "synced": synced = value != 0
            case "degraded": degraded = value != 0
            default: return nil
            }
        }
    }
}

public enum RoleFile {
    public static let name = "beryl.role"

    public static func path(in directory: String) -> String { directory + "/" + name }

    /// The directory's role; a missing or unreadable file is a slave.
    public static func read(in directory: String) -> Role { readTag(in: directory).role }

    /// The directory's role and epoch; a missing or unreadable file is a slave of epoch 0. Read
    /// through the platform layer (its fault injection included): the first line of at most 127 bytes.
    public static func readTag(in directory: String) -> RoleTag {
        guard let file = try? SystemFile.open(path(in: directory), access: .readOnly, creation: .openExisting),
              let bytes = try? file.read(count: 127, at: 0) else { return RoleTag(role: .slaveReadOnly) }
        let text = String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") && $0 != 0 }, as: UTF8.self)
        return RoleTag(parsing: text) ?? RoleTag(role: .slaveReadOnly)
    }

    /// Writes the role (an operator's `beryl-mgm tag`), keeping the directory's epoch; a fence the
    /// node had learned becomes its epoch, so a re-tagged master is never older than what it saw
    /// (and it still opens for writes only under the safe-start rules). A re-tagged node has not
    /// synced with anybody yet.
    public static func write(_ role: Role, in directory: String) throws(ReplicationError) {
        let before = readTag(in: directory)
        try write(RoleTag(role: role, epoch: max(before.epoch, before.fencedBy ?? 0)), in: directory)
    }

    /// Writes the tag (creating the directory if needed), replacing the file atomically and durably.
    public static func write(_ tag: RoleTag, in directory: String) throws(ReplicationError) {
        do { try FileSystem.createDirectory(directory) } catch { throw .failed("cannot create \(directory)", cause: .system(error)) }
        let target = path(in: directory), temporary = target + ".new"
        // Through the platform layer (its fault injection included): a fresh temporary file,
        // written, fsynced, renamed over the tag.
        var failing = temporary
        do throws(SystemError) {
            try FileSystem.remove(temporary)
            let file = try SystemFile.open(temporary, access: .readWrite, creation: .createNew)
            failing = target
            try file.write(Array((tag.description + "\n").utf8), at: 0)
            try file.syncAll()
            try FileSystem.rename(temporary, to: target)
        } catch {
            throw .systemCall("cannot write \(failing)", errno: error.errno ?? EIO)
        }
        try? FileSystem.syncDirectory(directory)
    }
}
