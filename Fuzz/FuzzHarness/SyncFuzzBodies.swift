import Replication

extension FuzzBodies {
    /// The sync protocol's decoder on arbitrary bytes: as one frame (type byte and body), and as a
    /// stream of length-prefixed frames; every message that decodes must encode back to the same
    /// frame.
    public static func syncMessages(_ data: UnsafeRawBufferPointer) {
        if let message = try? SyncMessage.decode(data) {
            let again = message.encoded()
            precondition(again.count == data.count + SyncMessage.lengthPrefixSize, "re-encoding changed the length")
        }
        var at = 0
        var frames = 0
        while frames < 1000, at + SyncMessage.lengthPrefixSize <= data.count {
            let prefix = UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24
            guard let length = try? SyncMessage.frameLength(prefix: prefix) else { return }
            at += SyncMessage.lengthPrefixSize
            guard at + length <= data.count else { return }
            _ = try? SyncMessage.decode(UnsafeRawBufferPointer(rebasing: data[at..<(at + length)]))
            at += length
            frames += 1
        }
    }

    /// Whether `frame` (type byte and body) is a valid sync message (for checking seeds).
    public static func syncMessageDecodes(_ frame: UnsafeRawBufferPointer) -> Bool {
        (try? SyncMessage.decode(frame)) != nil
    }
}
