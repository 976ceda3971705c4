import Changelog
import Platform

/// A legacy EOS log file opened read-only and mapped whole, for the offline tools (dump, stats,
/// verify, replay). The mapping lives as long as this object; `bytes` must not outlive it.
public final class LegacyLogFile: @unchecked Sendable {
    // @unchecked: immutable after init; the mapping is read-only.
    public let path: String
    private let region: MappedRegion?
    /// The whole file.
    public let bytes: UnsafeRawBufferPointer
    /// The decoded header, or nil when it is damaged (`headerError` says how).
    public let header: LegacyHeader?
    public let headerError: ChangelogError?

    public init(path: String) throws(ChangelogError) {
        self.path = path
        let file = try system { () throws(SystemError) in try SystemFile.open(path, access: .readOnly, creation: .openExisting) }
        let size = Int(try system { () throws(SystemError) in try file.size() })
        if size > 0 {
            let region = try system { () throws(SystemError) in try MappedRegion(file: file, length: size) }
            region.advise(.sequential)
            self.region = region
            bytes = region.bytes(count: size)
        } else {
            region = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        }
        do throws(ChangelogError) {
            header = try LegacyHeader.decode(bytes, path: path)
            headerError = nil
        } catch {
            header = nil
            headerError = error
        }
    }

    public var scanner: LegacyScanner { LegacyScanner(bytes: bytes) }

    /// Runs `body` with the mapped bytes, keeping the mapping alive for its duration.
    @discardableResult
    public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(self) { () throws(E) -> R in try body(bytes) }
    }
}
