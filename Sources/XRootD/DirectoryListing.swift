// kXR_dirlist answers, as the stock 5.5 server sends them:
//   plain:     "name1\nname2\n...nameN" then a NUL; an empty directory is an empty body.
//   kXR_dstat: ".\n0 0 0 0\n" then "name\n<stat text>\n" per entry, the last "\n" replaced by a NUL.
// Long listings come as several kXR_oksofar bodies, each ending at an entry boundary with "\n",
// and a final kXR_ok body ending with the NUL. Clients concatenate the bodies, then parse.

public struct DirectoryEntry: Hashable, Sendable {
    public var name: String
    /// Present in listings made with `DirlistOptions.withStat`.
    public var stat: StatInfo?

    public init(name: String, stat: StatInfo? = nil) {
        self.name = name
        self.stat = stat
    }
}

public struct DirectoryListing: Hashable, Sendable {
    public var entries: [DirectoryEntry]

    public init(entries: [DirectoryEntry]) { self.entries = entries }

    public var names: [String] { entries.map(\.name) }

    /// The leading pseudo-entry of a kXR_dstat listing.
    static let statPrefix = ".\n0 0 0 0\n"

    /// Parses the concatenated bodies of a listing requested with `options`.
    public init<C: Collection<UInt8>>(body: C, options: DirlistOptions) throws(XRootDError) {
        let text = try WireText.decode(Array(body)[...], context: "dirlist body")
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard options.contains(.withStat) || options.contains(.withChecksum) else {
            guard !lines.contains("") else { throw .malformed("dirlist: empty name") }
            entries = lines.map { DirectoryEntry(name: $0) }
            return
        }
        if lines.count >= 2, lines[0] == ".", lines[1] == "0 0 0 0" { lines.removeFirst(2) }
        guard lines.count % 2 == 0 else { throw .malformed("dirlist: \(lines.count) lines do not pair name and stat") }
        var entries: [DirectoryEntry] = []
        entries.reserveCapacity(lines.count / 2)
        for index in stride(from: 0, to: lines.count, by: 2) {
            guard !lines[index].isEmpty else { throw .malformed("dirlist: empty name") }
            entries.append(DirectoryEntry(name: lines[index], stat: try StatInfo(text: lines[index + 1])))
        }
        self.entries = entries
    }

    /// The bodies a server sends: all but the last as kXR_oksofar, the last as kXR_ok. Each body holds
    /// whole entries and at most `maximumBodyLength` bytes unless a single entry is longer.
    public func encodeBodies(options: DirlistOptions, maximumBodyLength: Int = 8192) -> [[UInt8]] {
        let withStat = options.contains(.withStat) || options.contains(.withChecksum)
        var records: [[UInt8]] = []
        records.reserveCapacity(entries.count + 1)
        if withStat { records.append(WireText.encode(Self.statPrefix)) }
        for entry in entries {
            var record = WireText.encode(entry.name + "\n")
            if withStat {
                let stat = entry.stat ?? StatInfo(id: 0, size: 0, flags: [], modificationTime: 0)
                record += WireText.encode(stat.text + "\n")
            }
            records.append(record)
        }
        guard !records.isEmpty else { return [[]] }
        var bodies: [[UInt8]] = []
        var current: [UInt8] = []
        for record in records {
            if !current.isEmpty, current.count + record.count > maximumBodyLength {
                bodies.append(current)
                current = []
            }
            current += record
        }
        current[current.count - 1] = 0
        bodies.append(current)
        return bodies
    }
}
