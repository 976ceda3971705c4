/// Why a payload does not decode as a file or container record. Decoding never traps: any
/// byte string either decodes or yields one of these.
public enum CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The payload ends inside `field` (which starts at byte `offset`).
    case truncated(field: String, offset: Int)
    /// The version byte after the id names a layout this build does not read.
    case unsupportedVersion(UInt8)
    /// Bytes left over after the last field.
    case trailingBytes(Int)
    /// A name that is empty (outside the root), contains '/' or NUL, or is "." or "..".
    case invalidName(offset: Int)
    /// Extended attribute keys are not strictly ascending (by bytes) at byte `offset`.
    case unsortedAttributes(offset: Int)
    /// A flag byte has a value other than 0 or 1.
    case badFlag(field: String, value: UInt8)
    /// Id 0 is reserved (the "no container" id) and never names a record.
    case zeroID
    /// A value does not fit its field when encoding (e.g. a checksum longer than 255 bytes).
    case fieldTooLong(field: String, length: Int)

    public var description: String {
        switch self {
        case .truncated(let f, let o): "payload ends inside \(f) (at byte \(o))"
        case .unsupportedVersion(let v): "unsupported metadata version \(v)"
        case .trailingBytes(let n): "\(n) unexpected bytes after the last field"
        case .invalidName(let o): "invalid name at byte \(o)"
        case .unsortedAttributes(let o): "extended attributes not sorted at byte \(o)"
        case .badFlag(let f, let v): "bad \(f) value \(v)"
        case .zeroID: "id 0 is reserved"
        case .fieldTooLong(let f, let n): "\(f) of \(n) bytes does not fit its field"
        }
    }
}
