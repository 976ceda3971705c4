// The text body of a kXR_stat answer (and of each kXR_dstat entry):
//   "<id> <size> <flags> <mtime>"                                    (protocol < 5)
//   "<id> <size> <flags> <mtime> <ctime> <atime> <mode> <owner> <group>"  (what the 5.5 stock server sends;
//   mode in octal with a leading 0, e.g. "0755")

/// The flags token of a stat answer (`XStatRespFlags`), relative to the server's access rights.
public struct StatFlags: OptionSet, Hashable, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// Executable (for a directory: searchable).
    public static let executable = Self(rawValue: 1)
    public static let isDirectory = Self(rawValue: 2)
    /// Neither a regular file nor a directory.
    public static let other = Self(rawValue: 4)
    public static let offline = Self(rawValue: 8)
    public static let readable = Self(rawValue: 16)
    public static let writable = Self(rawValue: 32)
    public static let poscPending = Self(rawValue: 64)
    public static let backupExists = Self(rawValue: 128)

    /// The flags the stock server reports for an entry it owns, from the POSIX mode's type and owner bits.
    public init(posixMode mode: UInt32) {
        var flags: StatFlags = []
        switch mode & 0o170000 {
        case 0o040000: flags.insert(.isDirectory)
        case 0o100000: break
        default: flags.insert(.other)
        }
        if mode & 0o100 != 0 { flags.insert(.executable) }
        if mode & 0o400 != 0 { flags.insert(.readable) }
        if mode & 0o200 != 0 { flags.insert(.writable) }
        self = flags
    }
}

/// A stat answer.
public struct StatInfo: Hashable, Sendable, CustomStringConvertible {
    /// Ownership, permissions and the other two times (protocol 5 servers send them).
    public struct Extended: Hashable, Sendable {
        public var changeTime: Int64
        public var accessTime: Int64
        /// Permission bits (e.g. 0o755), octal on the wire.
        public var mode: UInt32
        public var owner: String
        public var group: String

        public init(changeTime: Int64, accessTime: Int64, mode: UInt32, owner: String, group: String) {
            self.changeTime = changeTime
            self.accessTime = accessTime
            self.mode = mode
            self.owner = owner
            self.group = group
        }
    }

    /// An opaque identifier of the entry (the stock server packs device and inode).
    public var id: UInt64
    public var size: Int64
    public var flags: StatFlags
    /// Seconds since the epoch.
    public var modificationTime: Int64
    public var extended: Extended?

    public init(id: UInt64, size: Int64, flags: StatFlags, modificationTime: Int64, extended: Extended? = nil) {
        self.id = id
        self.size = size
        self.flags = flags
        self.modificationTime = modificationTime
        self.extended = extended
    }

    public var isDirectory: Bool { flags.contains(.isDirectory) }

    /// The wire text, without the trailing NUL.
    public var text: String {
        var text = "\(id) \(size) \(flags.rawValue) \(modificationTime)"
        if let e = extended {
            text += " \(e.changeTime) \(e.accessTime) \(octalString(e.mode, width: 4)) \(e.owner) \(e.group)"
        }
        return text
    }

    public var description: String { text }

    /// Parses the 4-field or 9-field form; trailing NULs are ignored, anything else odd is malformed.
    public init(text: String) throws(XRootDError) {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 4 || fields.count == 9 else {
            throw .malformed("stat: \(fields.count) fields in \"\(text.prefix(120))\", expected 4 or 9")
        }
        func integer(_ index: Int, _ name: String) throws(XRootDError) -> Int64 {
            guard let value = Int64(fields[index]) else { throw .malformed("stat: \(name) \"\(fields[index])\"") }
            return value
        }
        let id: UInt64
        if let unsigned = UInt64(fields[0]) {
            id = unsigned
        } else {
            id = UInt64(bitPattern: try integer(0, "id"))
        }
        let flags = try integer(2, "flags")
        guard let flags32 = Int32(exactly: flags) else { throw .malformed("stat: flags \(flags) out of range") }
        self.init(id: id, size: try integer(1, "size"), flags: StatFlags(rawValue: flags32),
                  modificationTime: try integer(3, "mtime"))
        if fields.count == 9 {
            guard let mode = UInt32(fields[6], radix: 8) else { throw .malformed("stat: mode \"\(fields[6])\"") }
            extended = Extended(changeTime: try integer(4, "ctime"), accessTime: try integer(5, "atime"), mode: mode,
                                owner: String(fields[7]), group: String(fields[8]))
        }
    }

    /// Parses a kXR_stat `kXR_ok` body (text with a trailing NUL).
    public init(body: [UInt8]) throws(XRootDError) {
        self = try StatInfo(text: WireText.decode(body[...], context: "stat body"))
    }

    /// The kXR_ok body for this stat: the text and a NUL, as the stock server sends it.
    public func encode() -> [UInt8] { WireText.encode(text, nulTerminated: true) }
}
