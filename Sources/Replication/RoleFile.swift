import Changelog
import Glibc

/// The role of a data directory (the legacy `service eos master mgm`): a master serves the namespace
/// read-write, a slave read-only and follows a master. A fresh directory is a slave until tagged.
public enum MGMRole: String, Sendable, CaseIterable {
    case master, slave

    /// The `mode=` value of the `Replication` line of `ns`.
    public var mode: String { self == .master ? "master-rw" : "slave-ro" }
}

/// The role tag of a data directory, `<dir>/beryl.role`: the role and the fencing epoch, as
/// `master epoch=3` (a bare `master` or `slave`, as older versions wrote, is epoch 0; the legacy MGM
/// kept `/var/eos/eos.mgm.rw` for the role). No file: a slave of epoch 0. The epoch grows with every
/// promotion and is written before the promoted node accepts a write (see docs/REPLICATION.md).
public struct RoleTag: Sendable, Equatable, CustomStringConvertible {
    public var role: MGMRole
    public var epoch: UInt64

    public init(role: MGMRole, epoch: UInt64 = 0) {
        self.role = role
        self.epoch = epoch
    }

    public var description: String { "\(role.rawValue) epoch=\(epoch)" }

    /// Parses `<role> [epoch=<n>]`; nil for anything else.
    public init?(parsing text: String) {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
        guard let first = words.first, let role = MGMRole(rawValue: String(first)) else { return nil }
        var epoch: UInt64 = 0
        for word in words.dropFirst() {
            guard word.hasPrefix("epoch="), let value = UInt64(word.dropFirst(6)) else { return nil }
            epoch = value
        }
        self.init(role: role, epoch: epoch)
    }
}

public enum RoleFile {
    public static let name = "beryl.role"

    public static func path(in directory: String) -> String { directory + "/" + name }

    /// The directory's role; a missing or unreadable file is a slave.
    public static func read(in directory: String) -> MGMRole { readTag(in: directory).role }

    /// The directory's role and epoch; a missing or unreadable file is a slave of epoch 0.
    public static func readTag(in directory: String) -> RoleTag {
        guard let file = fopen(path(in: directory), "r") else { return RoleTag(role: .slave) }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 128)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return RoleTag(role: .slave) }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return RoleTag(parsing: text) ?? RoleTag(role: .slave)
    }

    /// Writes the role, keeping the directory's epoch.
    public static func write(_ role: MGMRole, in directory: String) throws(ReplicationError) {
        try write(RoleTag(role: role, epoch: readTag(in: directory).epoch), in: directory)
    }

    /// Writes the tag (creating the directory if needed), replacing the file atomically and durably.
    public static func write(_ tag: RoleTag, in directory: String) throws(ReplicationError) {
        do { try FileSystem.createDirectory(directory) } catch { throw .io("cannot create \(directory): \(error)") }
        let target = path(in: directory), temporary = target + ".new"
        guard let file = fopen(temporary, "w") else {
            throw .io("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        let written = fputs(tag.description + "\n", file) >= 0
        let synced = fflush(file) == 0 && fsync(fileno(file)) == 0
        fclose(file)
        guard written, synced, rename(temporary, target) == 0 else {
            throw .io("cannot write \(target): \(String(cString: strerror(errno)))")
        }
        try? FileSystem.syncDirectory(directory)
    }
}
