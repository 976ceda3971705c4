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
    public func encode() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: maximumEncodedLength) { buffer, count in
            count = encode(into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// An upper bound of `encode()`'s length, for `encode(into:)`.
    public var maximumEncodedLength: Int {
        // Four or seven integers of at most 20 characters, an octal mode, the names, separators and the NUL.
        guard let e = extended else { return 4 * 21 + 1 }
        return 6 * 21 + 12 + e.owner.utf8.count + e.group.utf8.count + 3
    }

    /// Writes `encode()`'s bytes (the text and a NUL) at the start of `output`, which holds at least
    /// `maximumEncodedLength` bytes, and returns how many were written: no intermediate string, so a
    /// server can format straight into its outbound buffer.
    public func encode(into output: UnsafeMutableRawBufferPointer) -> Int {
        var at = 0
        func byte(_ b: UInt8) { output[at] = b; at += 1 }
        func decimal(_ value: UInt64) {
            var v = value, digits = 0
            repeat { digits += 1; v /= 10 } while v > 0
            v = value
            var i = at + digits - 1
            repeat { output[i] = UInt8(ascii: "0") + UInt8(v % 10); v /= 10; i -= 1 } while v > 0
            at += digits
        }
        func signed(_ value: Int64) {
            if value < 0 { byte(UInt8(ascii: "-")) }
            decimal(value.magnitude)
        }
        func text(_ s: String) {
            var s = s
            s.withUTF8 { for b in $0 { byte(b) } }
        }
        decimal(id); byte(0x20)
        signed(size); byte(0x20)
        signed(Int64(flags.rawValue)); byte(0x20)
        signed(modificationTime)
        if let e = extended {
            byte(0x20); signed(e.changeTime)
            byte(0x20); signed(e.accessTime)
            byte(0x20)
            var octal = 0, m = e.mode
            repeat { octal += 1; m >>= 3 } while m > 0
            for _ in octal..<max(octal, 4) { byte(UInt8(ascii: "0")) }
            var i = at + octal - 1
            m = e.mode
            repeat { output[i] = UInt8(ascii: "0") + UInt8(m & 7); m >>= 3; i -= 1 } while m > 0
            at += octal
            byte(0x20); text(e.owner)
            byte(0x20); text(e.group)
        }
        byte(0)
        return at
    }
}
