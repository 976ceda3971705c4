// kXR_dirlist answers, as the stock 5.5 server sends them:
//   plain:     "name1\nname2\n...nameN" then a NUL; an empty directory is an empty body.
//   kXR_dstat: ".\n0 0 0 0\n" then "name\n<stat text>\n" per entry, the last "\n" replaced by a NUL.
// Long listings come as several kXR_oksofar bodies, each ending at an entry boundary with "\n",
// and a final kXR_ok body ending with the NUL. Clients concatenate the bodies, then parse.

public struct DirectoryEntry: Hashable, Sendable {
    public var name: String
    /// Present in listings made with `DirlistOptions.withStat`.
    public var stat: StatInfo?
    /// Present in listings made with `DirlistOptions.withChecksum`: `adler32:0fc80271`, or
    /// `adler32:none` for an entry without one (sent after the stat text as ` [ adler32:... ]`).
    public var checksum: String?

    public init(name: String, stat: StatInfo? = nil, checksum: String? = nil) {
        self.name = name
        self.stat = stat
        self.checksum = checksum
    }
}

public struct DirectoryListing: Hashable, Sendable {
    public var entries: [DirectoryEntry]

    public init(entries: [DirectoryEntry]) { self.entries = entries }

    public var names: [String] { entries.map(\.name) }

    /// The leading pseudo-entry of a kXR_dstat listing.
    static let statPrefix = ".\n0 0 0 0\n"

    /// Parses the concatenated bodies of a listing requested with `options`. Works on the bytes: one
    /// `String` per name (and per stat text), no intermediate copy of the whole body as text. UTF-8
    /// is validated line by line, which is the same as validating the whole body: no byte of a
    /// multi-byte sequence is a newline.
    public init<C: Collection<UInt8>>(body: C, options: DirlistOptions) throws(XRootDError) {
        let bytes = Array(body)
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0 { end -= 1 }
        var lines: [Range<Int>] = []
        lines.reserveCapacity(bytes.count / 16)
        var start = 0
        for index in 0..<end {
            switch bytes[index] {
            case 0: throw .malformed("dirlist body: embedded NUL byte")
            case UInt8(ascii: "\n"):
                lines.append(start..<index)
                start = index + 1
            default: break
            }
        }
        if start < end { lines.append(start..<end) }
        func text(_ line: Range<Int>) throws(XRootDError) -> String {
            guard let string = String(validating: bytes[line], as: UTF8.self) else {
                throw .malformed("dirlist body: invalid UTF-8")
            }
            return string
        }
        var entries: [DirectoryEntry] = []
        guard options.contains(.withStat) || options.contains(.withChecksum) else {
            entries.reserveCapacity(lines.count)
            for line in lines {
                guard !line.isEmpty else { throw .malformed("dirlist: empty name") }
                entries.append(DirectoryEntry(name: try text(line)))
            }
            self.entries = entries
            return
        }
        var first = 0
        if lines.count >= 2, bytes[lines[0]].elementsEqual(".".utf8), bytes[lines[1]].elementsEqual("0 0 0 0".utf8) {
            first = 2
        }
        guard (lines.count - first) % 2 == 0 else {
            throw .malformed("dirlist: \(lines.count - first) lines do not pair name and stat")
        }
        entries.reserveCapacity((lines.count - first) / 2)
        for index in stride(from: first, to: lines.count, by: 2) {
            guard !lines[index].isEmpty else { throw .malformed("dirlist: empty name") }
            var statText = try text(lines[index + 1])
            var checksum: String?
            if let open = statText.firstRange(of: " [ "), statText.hasSuffix(" ]") {
                checksum = String(statText[open.upperBound..<statText.index(statText.endIndex, offsetBy: -2)])
                statText = String(statText[..<open.lowerBound])
            }
            entries.append(DirectoryEntry(name: try text(lines[index]), stat: try StatInfo(text: statText), checksum: checksum))
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
                record += WireText.encode(stat.text)
                if let checksum = entry.checksum { record += WireText.encode(" [ \(checksum) ]") }
                record += [0x0A]
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
