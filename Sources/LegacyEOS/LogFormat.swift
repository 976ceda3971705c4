import Changelog
import Platform

/// The two changelog formats the offline tools read and write.
public enum LogFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Beryl's native format (`RecordFormat`, file magic "BERYLLOG").
    case beryl
    /// The legacy EOS in-memory namespace format (`LegacyFormat`, file magic "GHCE").
    case eos

    public var description: String { rawValue }

    /// The format whose file magic starts `bytes`, or nil.
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> LogFormat? {
        if bytes.count >= RecordFormat.fileMagic.count, bytes.prefix(RecordFormat.fileMagic.count).elementsEqual(RecordFormat.fileMagic) {
            return .beryl
        }
        if bytes.count >= 4, ByteCursor(bytes).u32(0) == LegacyFormat.fileMagic { return .eos }
        return nil
    }

    /// `detect`, or for a file whose header is damaged, the format whose records verify in the
    /// first MiB: native frames checked with the identity stored in the (damaged) header, legacy
    /// records by CRC. Nil when neither finds a single valid record.
    public static func guess(_ bytes: UnsafeRawBufferPointer) -> LogFormat? {
        if let format = detect(bytes) { return format }
        let window = UnsafeRawBufferPointer(rebasing: bytes[0..<min(bytes.count, 1 << 20)])
        let legacy = LegacyScanner(bytes: window)
        var legacyValid = 0
        var o = LegacyFormat.firstRecordOffset
        while let m = legacy.nextRecordMagic(from: o) {
            if case .valid = legacy.check(at: m) { legacyValid += 1 }
            o = m + 4
        }
        var nativeValid = 0
        if window.count >= RecordFormat.fileHeaderSize {
            let identity = LogIdentity(rawValue: ByteCursor(window).u64(16))
            let native = FrameScanner(bytes: window, identity: identity)
            var from = RecordFormat.fileHeaderSize - 8
            while let next = native.nextValidFrame(after: from) {
                nativeValid += 1
                from = next
            }
        }
        if legacyValid == 0 && nativeValid == 0 { return nil }
        return nativeValid >= legacyValid ? .beryl : .eos
    }
}
