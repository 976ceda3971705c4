/// A file's EOS layout id (`eos::common::LayoutId`), decoded: which checksum the file carries, its
/// layout type, stripe count, block size and block checksum. Bits, lowest first:
///   0-3 checksum type, 4-7 layout type, 8-15 stripes - 1, 16-19 block size, 20-23 block checksum,
///   24-27 excess replicas, 28-30 redundancy stripes.
/// 0x00100002 is a plain file with an adler32 checksum; 0x00100112 is two replicas with adler32.
public struct LayoutID: Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// EOS's `eChecksum` values with the name XRootD clients use (`GetChecksumStringReal`) and the
    /// checksum's length in bytes.
    public enum ChecksumType: UInt32, Sendable, CaseIterable {
        case none = 1
        case adler32 = 2
        case crc32 = 3
        case md5 = 4
        case sha1 = 5
        case crc32c = 6
        case crc64 = 7
        case sha256 = 8
        case xxhash64 = 9

        public var name: String { "\(self)" }

        /// Bytes of the checksum value (0 for none).
        public var length: Int {
            switch self {
            case .none: return 0
            case .adler32, .crc32, .crc32c: return 4
            case .crc64, .xxhash64: return 8
            case .md5: return 16
            case .sha1: return 20
            case .sha256: return 32
            }
        }
    }

    /// The checksum type; 0 and unknown values are `none`.
    public var checksumType: ChecksumType { ChecksumType(rawValue: rawValue & 0xF) ?? .none }

    /// `plain`, `replica`, `archive`, `raiddp`, `raid6`, `qrain`, or `layout<n>` for another value.
    public var layoutType: String {
        let names = ["plain", "replica", "archive", "raiddp", "raid6", "qrain"]
        let value = Int((rawValue >> 4) & 0xF)
        return value < names.count ? names[value] : "layout\(value)"
    }

    public var stripes: Int { Int((rawValue >> 8) & 0xFF) + 1 }

    /// `4k` ... `64M`, or `bs<n>` for another value.
    public var blockSize: String {
        let names = ["4k", "64k", "128k", "512k", "1M", "4M", "16M", "64M"]
        let value = Int((rawValue >> 16) & 0xF)
        return value < names.count ? names[value] : "bs\(value)"
    }

    public var blockChecksum: ChecksumType { ChecksumType(rawValue: (rawValue >> 20) & 0xF) ?? .none }

    /// `0x00100002`.
    public var hex: String {
        let digits = String(rawValue, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    public var description: String {
        "\(hex) \(layoutType) stripes=\(stripes) checksum=\(checksumType.name) blocksize=\(blockSize) blockchecksum=\(blockChecksum.name)"
    }

    /// The stored checksum as the clients print it: lower-case hex of the type's length (all stored
    /// bytes when the type is none or stores more or fewer bytes than it names). Nil when none is stored.
    public static func checksumHex(_ bytes: [UInt8], type: ChecksumType) -> String? {
        guard !bytes.isEmpty else { return nil }
        let used = type.length > 0 && bytes.count >= type.length ? bytes.prefix(type.length) : bytes[...]
        let digits: [Character] = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(used.count * 2)
        for byte in used {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return text
    }
}
