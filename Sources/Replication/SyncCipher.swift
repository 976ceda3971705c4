import Crypto
import struct Foundation.Data

/// The AEAD that protects every sync frame after the handshake (swift-crypto, BoringSSL on Linux):
/// AES-256-GCM, which measured 1.6-6 times faster than ChaCha20-Poly1305 on the project's machines
/// (AES-NI and VAES; docs/SECURITY.md has the figures). Both have the same shape in swift-crypto.
typealias SyncAEAD = AES.GCM

/// The two keys of one sync session, one per direction, derived with HKDF-SHA256 from the shared
/// secret and both handshake nonces: a session's keys are fresh even though the secret is not,
/// so a frame recorded in one session never opens in another.
public struct SyncSessionKeys: Sendable, Equatable {
    let masterToSlave: [UInt8]
    let slaveToMaster: [UInt8]

    /// HKDF-SHA256(ikm: secret, salt: master nonce ++ slave nonce, info: label ++ direction), 32 bytes each.
    public static func derive(secret: SyncSecret, masterNonce: [UInt8], slaveNonce: [UInt8]) -> SyncSessionKeys {
        let ikm = SymmetricKey(data: secret.bytes)
        let salt = masterNonce + slaveNonce
        func key(_ direction: String) -> [UInt8] {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: ikm, salt: salt, info: Array("beryl-sync-v2 \(direction)".utf8),
                                   outputByteCount: 32).withUnsafeBytes { Array($0) }
        }
        return SyncSessionKeys(masterToSlave: key("master to slave"), slaveToMaster: key("slave to master"))
    }

    /// (sending, receiving) for the master or the slave side.
    func directions(master: Bool) -> (sending: [UInt8], receiving: [UInt8]) {
        master ? (masterToSlave, slaveToMaster) : (slaveToMaster, masterToSlave)
    }
}

/// One direction of a secured connection: the key and the sequence number of the next segment.
///
/// A sealed frame is `u32 length | segment...`: the plain frame's type byte and body cut into
/// segments of 64 KiB (the last one shorter), each sealed on its own as `ciphertext | 16-byte
/// tag`; the length counts every segment with its tag. Each segment's nonce is its sequence number
/// in this direction (0, 1, 2, ... never sent: both sides count), and the frame's length prefix is
/// its associated data. So a changed bit, a frame or segment played twice, swapped or dropped, a
/// changed length or a frame of another session (other keys) fails to open. (Segments keep the
/// AEAD's output buffers small: swift-crypto returns each in a fresh allocation, and 4 MiB ones
/// cost more in page faults than the cipher itself.)
struct SyncFrameCipher: Sendable {
    /// The size of the authentication tag after each segment.
    static let tagSize = 16
    /// The plain bytes of a full segment.
    static let segmentBytes = 64 << 10
    /// The key's bytes (swift-crypto's `SymmetricKey` is not `Sendable`; one is made per frame).
    private let key: [UInt8]
    /// The sequence number of the next segment in this direction.
    private(set) var sequence: UInt64 = 0
    /// Set after a frame failed to open: nothing more is accepted on this connection.
    private(set) var failed = false

    init(key: [UInt8]) { self.key = key }

    /// The sealed size of a plain frame of `plainCount` bytes (at least 1).
    static func sealedCount(plainCount: Int) -> Int {
        plainCount + max(1, (plainCount + segmentBytes - 1) / segmentBytes) * tagSize
    }

    /// The plain size of a sealed frame of `sealedCount` bytes; nil when no plain frame seals to it.
    static func plainCount(sealedCount: Int) -> Int? {
        let full = segmentBytes + tagSize
        let (segments, rest) = sealedCount.quotientAndRemainder(dividingBy: full)
        if rest == 0 { return segments > 0 ? sealedCount - segments * tagSize : nil }
        return rest > tagSize ? sealedCount - (segments + 1) * tagSize : nil
    }

    /// The nonce of segment `sequence`: 4 zero bytes, then the sequence number big endian.
    private static func nonce(_ sequence: UInt64) -> SyncAEAD.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { bytes[4 + i] = UInt8(truncatingIfNeeded: sequence >> UInt64(56 - 8 * i)) }
        // 12 bytes is the AEAD's nonce size: this cannot fail.
        return try! SyncAEAD.Nonce(data: bytes)
    }

    /// The length prefix of a sealed frame of `sealedCount` bytes.
    static func prefix(sealedCount: Int) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: UInt32(sealedCount) >> UInt32(8 * $0)) }
    }

    /// Seals the plain frame given by `parts` (type byte and body, no prefix; say a header and a
    /// slice of a mapped log) as the next frame into `output` (replaced: prefix and segments).
    /// `gather` is scratch space for a segment that spans two parts.
    mutating func seal(_ parts: [UnsafeRawBufferPointer], into output: inout [UInt8],
                       gather: inout [UInt8]) throws(ReplicationError) {
        let plainCount = parts.reduce(0) { $0 + $1.count }
        let sealedCount = Self.sealedCount(plainCount: plainCount)
        let segments = UInt64(max(1, (plainCount + Self.segmentBytes - 1) / Self.segmentBytes))
        guard sequence <= .max - segments else { throw .protocolViolation("2^64 segments on one connection: reconnect") }
        let prefix = Self.prefix(sealedCount: sealedCount)
        output.removeAll(keepingCapacity: true)
        output.reserveCapacity(4 + sealedCount)
        output += prefix
        let key = SymmetricKey(data: key)
        var reader = PartReader(parts: parts)
        repeat {
            let count = min(Self.segmentBytes, reader.remaining)
            let box: SyncAEAD.SealedBox
            do {
                box = try reader.withNext(count, gather: &gather) { plain in
                    try SyncAEAD.seal(plain, using: key, nonce: Self.nonce(sequence), authenticating: prefix)
                }
            } catch {
                throw .protocolViolation("sealing segment \(sequence): \(error)")
            }
            box.ciphertext.withUnsafeBytes { output.append(contentsOf: $0) }
            box.tag.withUnsafeBytes { output.append(contentsOf: $0) }
            sequence += 1
        } while reader.remaining > 0
    }

    /// Opens the next frame: `prefix` is its length prefix, `sealed` the segments after it.
    /// Replaces `plain` with the plain frame (type byte and body). A frame that does not open
    /// marks this direction failed and throws `authenticationFailed`.
    mutating func open(prefix: UnsafeRawBufferPointer, sealed: UnsafeRawBufferPointer, into plain: inout [UInt8],
                       peer: String) throws(ReplicationError) {
        let frameSequence = sequence
        guard !failed else { throw .authenticationFailed("a frame from \(peer) did not authenticate earlier") }
        guard let plainCount = Self.plainCount(sealedCount: sealed.count) else {
            failed = true
            throw .authenticationFailed("frame \(frameSequence) from \(peer): \(sealed.count) bytes is no sealed frame's size")
        }
        plain.removeAll(keepingCapacity: true)
        plain.reserveCapacity(plainCount)
        let key = SymmetricKey(data: key)
        var offset = 0
        do {
            while offset < sealed.count {
                let count = min(Self.segmentBytes + Self.tagSize, sealed.count - offset)
                let cut = offset + count - Self.tagSize
                let box = try SyncAEAD.SealedBox(nonce: Self.nonce(sequence),
                                                 ciphertext: UnsafeRawBufferPointer(rebasing: sealed[offset..<cut]),
                                                 tag: UnsafeRawBufferPointer(rebasing: sealed[cut..<offset + count]))
                try SyncAEAD.open(box, using: key, authenticating: prefix).withUnsafeBytes { plain.append(contentsOf: $0) }
                sequence += 1
                offset += count
            }
        } catch {
            failed = true
            throw .authenticationFailed("frame \(frameSequence) from \(peer) does not authenticate (tampered, replayed, "
                                        + "reordered or from another session); connection dropped")
        }
    }
}

/// Reads consecutive byte ranges across the parts of a frame, without copying a range that lies
/// within one part.
private struct PartReader {
    let parts: [UnsafeRawBufferPointer]
    var part = 0
    var offset = 0
    private(set) var remaining: Int

    init(parts: [UnsafeRawBufferPointer]) {
        self.parts = parts
        remaining = parts.reduce(0) { $0 + $1.count }
    }

    /// Calls `body` with the next `count` bytes (contiguous: in place, or gathered into `gather`).
    mutating func withNext<T>(_ count: Int, gather: inout [UInt8],
                              _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        while part < parts.count, offset == parts[part].count {
            part += 1
            offset = 0
        }
        remaining -= count
        if part < parts.count, parts[part].count - offset >= count {
            defer { offset += count }
            return try body(UnsafeRawBufferPointer(rebasing: parts[part][offset..<offset + count]))
        }
        gather.removeAll(keepingCapacity: true)
        var left = count
        while left > 0 {
            let take = min(left, parts[part].count - offset)
            gather.append(contentsOf: UnsafeRawBufferPointer(rebasing: parts[part][offset..<offset + take]))
            offset += take
            left -= take
            if offset == parts[part].count, left > 0 {
                part += 1
                offset = 0
            }
        }
        return try gather.withUnsafeBytes { try body($0) }
    }
}
