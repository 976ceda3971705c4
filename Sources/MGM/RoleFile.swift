import Glibc

/// The role file of a data directory, `<dir>/beryl.role`, holding `master` or `slave`
/// (the legacy MGM kept `/var/eos/eos.mgm.rw` for the same purpose). No file: slave.
public enum RoleFile {
    public static let name = "beryl.role"

    public static func path(in directory: String) -> String { directory + "/" + name }

    /// The directory's role; a missing or unreadable file is a slave.
    public static func read(in directory: String) -> MGMRole {
        guard let file = fopen(path(in: directory), "r") else { return .slave }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return .slave }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return MGMRole(rawValue: text.trimmingWhitespace()) ?? .slave
    }

    /// Writes the role (creating the directory if needed), replacing the file atomically.
    public static func write(_ role: MGMRole, in directory: String) throws(MGMError) {
        if mkdir(directory, 0o755) != 0, errno != EEXIST {
            throw .io("cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        let target = path(in: directory), temporary = target + ".new"
        guard let file = fopen(temporary, "w") else {
            throw .io("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        let written = fputs(role.rawValue + "\n", file) >= 0
        let synced = fflush(file) == 0 && fsync(fileno(file)) == 0
        fclose(file)
        guard written, synced, rename(temporary, target) == 0 else {
            throw .io("cannot write \(target): \(String(cString: strerror(errno)))")
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
