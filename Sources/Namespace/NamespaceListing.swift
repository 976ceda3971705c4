import LegacyEOS

/// The tab-separated namespace listing shared by the legacy tools and `beryl log tree --tsv`
/// (the format of `fixtures/eos/namespace-expected.tsv`):
///
/// `id parent name type(d|f|l) size uid gid mode(octal) flags(octal) layout(hex) locations unlinked
///  checksum(hex) ctime mtime(sec.nnnnnnnnn) link xattrs(JSON, keys sorted) path`
///
/// One header line, then containers by id, then files by id. Directory paths end in `/`; a file
/// whose parent is 0 (unlinked) or not reachable from the root has path `-`. Empty lists,
/// checksums, links and a container's layout are `-`.
public enum NamespaceListing {
    public static let header = "id\tparent\tname\ttype\tsize\tuid\tgid\tmode\tflags\tlayout\tlocations\tunlinked\tchecksum\tctime\tmtime\tlink\txattrs\tpath"

    public enum Kind: String, Sendable {
        case directory = "d", file = "f", symbolicLink = "l"
    }

    /// One row, independent of the log format it came from.
    public struct Entry: Sendable, Equatable {
        public var kind: Kind
        public var id: UInt64
        public var parent: UInt64
        public var name: String
        public var size: UInt64 = 0
        public var uid: UInt32 = 0
        public var gid: UInt32 = 0
        public var mode: UInt32 = 0
        public var flags: UInt32 = 0
        /// Nil for a container (rendered `-`).
        public var layout: UInt32?
        public var locations: [UInt32] = []
        public var unlinkedLocations: [UInt32] = []
        public var checksum: [UInt8] = []
        public var ctime: LegacyTimestamp = .zero
        public var mtime: LegacyTimestamp = .zero
        public var linkTarget: String?
        /// In any order; rendered with keys sorted (for a repeated key the last one wins).
        public var extendedAttributes: [LegacyExtendedAttribute] = []

        public init(kind: Kind, id: UInt64, parent: UInt64, name: String) {
            self.kind = kind
            self.id = id
            self.parent = parent
            self.name = name
        }
    }

    /// The whole listing, header first, every line ending in a newline. Containers and files
    /// are sorted here; their input order does not matter.
    public static func render(containers: [Entry], files: [Entry]) -> String {
        var byId: [UInt64: Entry] = [:]
        for c in containers { byId[c.id] = c }
        var paths: [UInt64: String?] = [:]
        func path(ofContainer id: UInt64, depth: Int) -> String? {
            if let known = paths[id] { return known }
            guard let c = byId[id], depth < 4096 else { return nil }
            let p: String?
            if c.parent == c.id {
                p = "/"
            } else {
                p = path(ofContainer: c.parent, depth: depth + 1).map { $0 + c.name + "/" }
            }
            paths[id] = p
            return p
        }
        var out = header + "\n"
        for c in containers.sorted(by: { $0.id < $1.id }) {
            out += line(c, path: path(ofContainer: c.id, depth: 0))
        }
        for f in files.sorted(by: { $0.id < $1.id }) {
            let parentPath = f.parent == 0 ? nil : path(ofContainer: f.parent, depth: 0)
            out += line(f, path: parentPath.map { $0 + f.name })
        }
        return out
    }

    /// One row with its newline.
    public static func line(_ e: Entry, path: String?) -> String {
        var fields: [String] = []
        fields.reserveCapacity(18)
        fields.append(String(e.id))
        fields.append(String(e.parent))
        fields.append(e.name)
        fields.append(e.kind.rawValue)
        fields.append(String(e.size))
        fields.append(String(e.uid))
        fields.append(String(e.gid))
        fields.append("0" + String(e.mode, radix: 8))
        fields.append("0" + String(e.flags, radix: 8))
        fields.append(e.layout.map { "0x" + ListingText.hex(UInt64($0), digits: 8) } ?? "-")
        fields.append(ListingText.list(e.locations))
        fields.append(ListingText.list(e.unlinkedLocations))
        fields.append(e.checksum.isEmpty ? "-" : e.checksum.map { ListingText.hex(UInt64($0), digits: 2) }.joined())
        fields.append(e.ctime.description)
        fields.append(e.mtime.description)
        fields.append(e.linkTarget ?? "-")
        fields.append(ListingText.json(e.extendedAttributes))
        fields.append(path ?? "-")
        return fields.joined(separator: "\t") + "\n"
    }

    /// The same fields as `line` (without the path) as one JSON object of strings keyed by the
    /// header's column names.
    public static func jsonObject(_ e: Entry) -> String {
        let names = header.split(separator: "\t").dropLast()
        let values = line(e, path: nil).dropLast().split(separator: "\t", omittingEmptySubsequences: false).dropLast()
        return "{" + zip(names, values).map { ListingText.jsonString(String($0)) + ":" + ListingText.jsonString(String($1)) }.joined(separator: ",") + "}"
    }
}
