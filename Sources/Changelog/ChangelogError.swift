import Platform

/// Errors of the changelog layer. Each carries the file, the offset where it applies (if any),
/// a closed set of reasons, and the errno of the failing system call where one applies.

/// Why a span of bytes is not a valid record or header.
public enum CorruptionReason: Sendable, Hashable, CustomStringConvertible {
    case badMagic
    case checksumMismatch(expected: UInt64, actual: UInt64)
    case badLength(UInt64)
    case truncatedRecord
    case unknownFlags(UInt8)
    case nonZeroReserved
    case sequenceRegression(previous: UInt64, found: UInt64)
    case badBlock(String)
    case decompressionFailed
    case zeroFilled

    public var description: String {
        switch self {
        case .badMagic: "bad magic"
        case .checksumMismatch(let e, let a):
            "checksum mismatch (stored \(String(e, radix: 16)), computed \(String(a, radix: 16)))"
        case .badLength(let n): "implausible length \(n)"
        case .truncatedRecord: "record runs past end of file"
        case .unknownFlags(let f): "unknown record flags 0x\(String(f, radix: 16))"
        case .nonZeroReserved: "reserved header bytes are not zero"
        case .sequenceRegression(let p, let f): "sequence \(f) does not follow \(p)"
        case .badBlock(let why): "malformed compressed block: \(why)"
        case .decompressionFailed: "LZ4 payload does not decompress to its stated size"
        case .zeroFilled: "zero-filled space"
        }
    }
}

/// An error from opening, reading or writing a changelog.
public struct ChangelogError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// A system call failed; `errno` says why.
        case io
        /// The file is not a changelog (bad magic or header checksum, or too short for a header).
        case notAChangelog
        /// The header names a format version this build does not read.
        case unsupportedVersion(UInt16)
        /// The header names a content kind other than the one asked for.
        case contentKindMismatch(expected: ContentKind, found: UInt16)
        /// A record in the middle of the log is damaged.
        case corruption(CorruptionReason)
        /// A damaged span is longer than the salvage limit allows.
        case damageTooLarge(length: UInt64, limit: UInt64)
        /// Another process holds the writer lock.
        case locked
        /// The file exists and creation of a new one was asked for.
        case alreadyExists
        /// The path is not a regular file.
        case notARegularFile
        /// The log is open read-only.
        case readOnly
        /// A payload is larger than the format allows.
        case payloadTooLarge(Int)
        /// An earlier write or sync failed; the log refuses further appends until reopened.
        case poisoned
        /// The log was closed.
        case closed
        /// No record at the given position.
        case noRecord
        /// A repair read the input as the format it was told and recovered nothing (the detail says
        /// what the file is).
        case nothingRecovered
    }

    public var code: Code
    public var path: String
    public var offset: LogOffset?
    public var errno: Int32?
    public var detail: String

    public init(_ code: Code, path: String, offset: LogOffset? = nil, errno: Int32? = nil, detail: String = "") {
        self.code = code
        self.path = path
        self.offset = offset
        self.errno = errno
        self.detail = detail
    }

    /// The same error as the platform layer reported it (one to one: code, path, offset, errno, detail),
    /// so the message reads as before.
    public init(_ error: SystemError) {
        let code: Code = switch error.code {
        case .io: .io
        case .alreadyExists: .alreadyExists
        case .notARegularFile: .notARegularFile
        case .locked: .locked
        }
        self.init(code, path: error.path, offset: error.offset.map { LogOffset($0) }, errno: error.errno, detail: error.detail)
    }

    public var description: String {
        var s = "\(path)"
        if let offset { s += " at offset \(offset)" }
        s += ": "
        switch code {
        case .io: s += "I/O error"
        case .notAChangelog: s += "not a Beryl changelog"
        case .unsupportedVersion(let v): s += "unsupported format version \(v)"
        case .contentKindMismatch(let e, let f): s += "content kind \(f) where \(e) (\(e.rawValue)) was expected"
        case .corruption(let r): s += "corruption: \(r)"
        case .damageTooLarge(let n, let l): s += "damaged span of \(n) bytes exceeds the salvage limit of \(l) bytes"
        case .locked: s += "another process has this log open for writing"
        case .alreadyExists: s += "file already exists"
        case .notARegularFile: s += "not a regular file"
        case .readOnly: s += "log is open read-only"
        case .payloadTooLarge(let n): s += "payload of \(n) bytes exceeds the maximum of \(RecordFormat.maximumPayload)"
        case .poisoned: s += "an earlier write or sync failed; reopen the log"
        case .closed: s += "log is closed"
        case .noRecord: s += "no record at this position"
        case .nothingRecovered: s += "no record recovered"
        }
        if let errno { s += " (\(Errno.name(errno)))" }
        if !detail.isEmpty { s += ": \(detail)" }
        return s
    }
}

/// Runs a platform call from code that throws `ChangelogError` (the system error mapped one to one).
@inline(__always)
package func system<R>(_ body: () throws(SystemError) -> R) throws(ChangelogError) -> R {
    do { return try body() } catch { throw ChangelogError(error) }
}
