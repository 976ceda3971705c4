import Platform
import Glibc
import Namespace

/// `fileinfo <path> [--json]`: everything the namespace holds about one entry (the legacy `eos
/// fileinfo` layout: id, size, times, checksum and its type, layout, locations, flags, xattrs), and
/// `fileinfo --symlinks <dir>`: `name<TAB>target` per symbolic link of a directory (what `beryl ls -l`
/// needs to show `name -> target`; the XRootD stat answer has no link type).
extension AdminCommands {
    func fileinfo(_ words: [String]) -> AdminResult {
        let usage = "usage: fileinfo <path> [--json] | fileinfo --symlinks <directory>"
        let json = words.contains("--json")
        let symlinks = words.contains("--symlinks")
        let paths = words.filter { !$0.hasPrefix("--") }
        guard paths.count == 1, words.count - paths.count == (json ? 1 : 0) + (symlinks ? 1 : 0), !(json && symlinks),
              words.allSatisfy({ !$0.hasPrefix("--") || $0 == "--json" || $0 == "--symlinks" }) else {
            return .failure(EINVAL, usage)
        }
        let path = paths[0]
        do throws(NamespaceError) {
            if symlinks { return AdminResult(stdout: try symlinkLines(path)) }
            let entry = try state.namespace.stat(path)
            return AdminResult(stdout: json ? Self.json(entry, path: path) : Self.text(entry, path: path))
        } catch {
            return .failure(error.errno, "fileinfo \(path): \(String(cString: strerror(error.errno)).lowercased())")
        }
    }

    private func symlinkLines(_ path: String) throws(NamespaceError) -> String {
        var out = ""
        for child in try state.namespace.list(path) where child.kind == .symlink {
            if let target = state.namespace.file(FileID(child.id))?.symlinkTarget { out += "\(child.name)\t\(target)\n" }
        }
        return out
    }

    static func text(_ entry: NamespaceEntry, path: String) -> String {
        switch entry {
        case .file(let f):
            let layout = LayoutID(f.layoutID)
            let type = layout.checksumType
            var out = "  File: '\(path)'  Flags: \(octal(f.mode & 0o7777))" + (f.isSymlink ? "  Link: \(f.symlinkTarget ?? "")" : "") + "\n"
            out += "  Size: \(f.size)\n"
            out += "Modify: \(date(f.mtime)) Timestamp: \(stamp(f.mtime))\n"
            out += "Change: \(date(f.ctime)) Timestamp: \(stamp(f.ctime))\n"
            out += "  CUid: \(f.uid) CGid: \(f.gid)  Fxid: \(hex8(f.id.rawValue)) Fid: \(f.id.rawValue)  Pid: \(f.container.rawValue)"
                + "  Pxid: \(hex8(f.container.rawValue))\n"
            out += "XStype: \(type.name)  XS: \(LayoutID.checksumHex(f.checksum, type: type) ?? "none")\n"
            out += "Layout: \(layout.layoutType) Stripes: \(layout.stripes) Blocksize: \(layout.blockSize) LayoutId: \(layout.hex)"
                + " Blockxs: \(layout.blockChecksum.name)\n"
            out += "  #Rep: \(f.locations.count)  Locations: \(list(f.locations))  Unlinked: \(list(f.unlinkedLocations))"
                + "  FileFlags: 0x\(String(f.flags, radix: 16))\n"
            out += " Xattr: \(attributes(f.xattrs))\n"
            return out
        case .container(let c):
            var out = "  Directory: '\(path)'  Flags: \(octal(c.mode & 0o7777))\n"
            out += "Modify: \(date(c.mtime)) Timestamp: \(stamp(c.mtime))\n"
            out += "Change: \(date(c.ctime)) Timestamp: \(stamp(c.ctime))\n"
            out += "  CUid: \(c.uid) CGid: \(c.gid)  Cxid: \(hex8(c.id.rawValue)) Cid: \(c.id.rawValue)  Pid: \(c.parent.rawValue)"
                + "  Pxid: \(hex8(c.parent.rawValue))  DirFlags: 0x\(String(c.flags, radix: 16))\n"
            out += " Xattr: \(attributes(c.xattrs))\n"
            return out
        }
    }

    static func json(_ entry: NamespaceEntry, path: String) -> String {
        switch entry {
        case .file(let f):
            let layout = LayoutID(f.layoutID)
            let type = layout.checksumType
            var fields = [
                "\"path\":\(jsonString(path))", "\"type\":\"\(f.isSymlink ? "symlink" : "file")\"", "\"id\":\(f.id.rawValue)",
                "\"fxid\":\"\(hex8(f.id.rawValue))\"", "\"pid\":\(f.container.rawValue)", "\"size\":\(f.size)",
                "\"mode\":\"\(octal(f.mode & 0o7777))\"", "\"uid\":\(f.uid)", "\"gid\":\(f.gid)",
                "\"ctime\":\"\(stamp(f.ctime))\"", "\"mtime\":\"\(stamp(f.mtime))\"",
                "\"checksum\":{\"type\":\"\(type.name)\",\"value\":"
                    + (LayoutID.checksumHex(f.checksum, type: type).map { "\"\($0)\"" } ?? "null") + "}",
                "\"layout\":{\"id\":\"\(layout.hex)\",\"type\":\"\(layout.layoutType)\",\"stripes\":\(layout.stripes),"
                    + "\"blocksize\":\"\(layout.blockSize)\",\"blockchecksum\":\"\(layout.blockChecksum.name)\"}",
                "\"locations\":[\(f.locations.map(String.init).joined(separator: ","))]",
                "\"unlinked\":[\(f.unlinkedLocations.map(String.init).joined(separator: ","))]",
                "\"flags\":\(f.flags)", "\"xattrs\":\(jsonObject(f.xattrs))",
            ]
            if let target = f.symlinkTarget { fields.append("\"target\":\(jsonString(target))") }
            return "{" + fields.joined(separator: ",") + "}\n"
        case .container(let c):
            let fields = [
                "\"path\":\(jsonString(path))", "\"type\":\"directory\"", "\"id\":\(c.id.rawValue)", "\"pid\":\(c.parent.rawValue)",
                "\"mode\":\"\(octal(c.mode & 0o7777))\"", "\"uid\":\(c.uid)", "\"gid\":\(c.gid)",
                "\"ctime\":\"\(stamp(c.ctime))\"", "\"mtime\":\"\(stamp(c.mtime))\"", "\"flags\":\(c.flags)",
                "\"xattrs\":\(jsonObject(c.xattrs))",
            ]
            return "{" + fields.joined(separator: ",") + "}\n"
        }
    }

    // MARK: Formatting

    static func octal(_ value: UInt32) -> String {
        let digits = String(value, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func hex8(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// `1600000000.170947710`
    static func stamp(_ t: Timestamp) -> String {
        let nanos = String(t.nanoseconds)
        return "\(t.seconds)." + String(repeating: "0", count: max(0, 9 - nanos.count)) + nanos
    }

    /// `Thu Sep 17 14:40:00 2020` (UTC, so the output does not depend on the server's time zone).
    static func date(_ t: Timestamp) -> String {
        var time = time_t(t.seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%a %b %d %H:%M:%S %Y", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func list(_ values: [UInt32]) -> String { values.isEmpty ? "-" : values.map(String.init).joined(separator: ",") }

    /// `key="value"` pairs sorted by key, `-` when there are none.
    static func attributes(_ xattrs: [String: String]) -> String {
        guard !xattrs.isEmpty else { return "-" }
        return xattrs.sorted { $0.key < $1.key }.map { "\($0.key)=\(jsonString($0.value))" }.joined(separator: " ")
    }

    static func jsonObject(_ map: [String: String]) -> String {
        "{" + map.sorted { $0.key < $1.key }.map { jsonString($0.key) + ":" + jsonString($0.value) }.joined(separator: ",") + "}"
    }

    static func jsonString(_ s: String) -> String { JSONText.quoted(s) }
}
