import Testing
@testable import Replication

/// Session keys and sealed frames on their own: every size round-trips across segment boundaries
/// and part splits, and every change to a sealed stream (a bit, a segment, a frame, the length,
/// the keys) is refused, after which the direction accepts nothing more.
@Suite struct SyncCipherTests {
    static let secret = SyncSecret(bytes: Array("cipher-test-secret".utf8))
    static let keys = SyncSessionKeys.derive(secret: secret, masterNonce: Array(repeating: 1, count: 32),
                                             slaveNonce: Array(repeating: 2, count: 32))

    /// A pair of ciphers for one direction (master to slave).
    static func pair(_ keys: SyncSessionKeys = keys) -> (SyncFrameCipher, SyncFrameCipher) {
        (SyncFrameCipher(key: keys.directions(master: true).sending), SyncFrameCipher(key: keys.directions(master: false).receiving))
    }

    static func seal(_ cipher: inout SyncFrameCipher, _ plain: [UInt8], splitAt split: Int? = nil) throws -> [UInt8] {
        var out: [UInt8] = [], gather: [UInt8] = []
        try plain.withUnsafeBytes { bytes in
            let cut = split ?? bytes.count
            try cipher.seal([UnsafeRawBufferPointer(rebasing: bytes[..<cut]), UnsafeRawBufferPointer(rebasing: bytes[cut...])],
                            into: &out, gather: &gather)
        }
        return out
    }

    static func open(_ cipher: inout SyncFrameCipher, _ frame: [UInt8]) throws(ReplicationError) -> [UInt8] {
        var plain: [UInt8] = []
        try frame.withUnsafeBytes { bytes in
            Result { () throws(ReplicationError) in
                try cipher.open(prefix: UnsafeRawBufferPointer(rebasing: bytes[..<4]),
                                sealed: UnsafeRawBufferPointer(rebasing: bytes[4...]), into: &plain, peer: "test")
            }
        }.get()
        return plain
    }

    static func isRefused(_ cipher: inout SyncFrameCipher, _ frame: [UInt8]) -> Bool {
        do {
            _ = try open(&cipher, frame)
            return false
        } catch {
            if case .authenticationFailed = error { return true }
            Issue.record("not an authentication failure: \(error)")
            return false
        }
    }

    @Test func keysDifferByDirectionAndSession() {
        #expect(Self.keys.masterToSlave != Self.keys.slaveToMaster)
        #expect(Self.keys.masterToSlave.count == 32)
        let other = SyncSessionKeys.derive(secret: Self.secret, masterNonce: Array(repeating: 1, count: 32),
                                           slaveNonce: Array(repeating: 3, count: 32))
        #expect(other.masterToSlave != Self.keys.masterToSlave && other.slaveToMaster != Self.keys.slaveToMaster)
        #expect(SyncSessionKeys.derive(secret: Self.secret, masterNonce: Array(repeating: 1, count: 32),
                                       slaveNonce: Array(repeating: 2, count: 32)) == Self.keys)
    }

    @Test func everySizeRoundTripsAcrossSegmentsAndParts() throws {
        var (sealer, opener) = Self.pair()
        let segment = SyncFrameCipher.segmentBytes
        for size in [1, 31, segment - 1, segment, segment + 1, 3 * segment + 17, (4 << 20) + 31] {
            let plain = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ size) }
            for split in [0, 31, size / 2, size] where split <= size {
                let frame = try Self.seal(&sealer, plain, splitAt: split)
                #expect(frame.count == 4 + SyncFrameCipher.sealedCount(plainCount: size))
                #expect(SyncFrameCipher.plainCount(sealedCount: frame.count - 4) == size)
                #expect(try Self.open(&opener, frame) == plain, "size \(size) split \(split)")
            }
        }
        // Sizes no frame seals to.
        #expect(SyncFrameCipher.plainCount(sealedCount: 16) == nil)
        #expect(SyncFrameCipher.plainCount(sealedCount: segment + 16 + 10) == nil)
    }

    @Test func aFlippedBitAnywhereIsRefusedAndTheDirectionStaysClosed() throws {
        let plain = [UInt8](repeating: 7, count: 3 * SyncFrameCipher.segmentBytes)
        for position in [0, 2, 5, SyncFrameCipher.segmentBytes + 40, 3 * SyncFrameCipher.segmentBytes + 4 + 40] {
            var (sealer, opener) = Self.pair()
            var frame = try Self.seal(&sealer, plain)
            frame[position] ^= 0x01
            #expect(Self.isRefused(&opener, frame), "bit at \(position)")
            // Even the right frame is refused now: the connection is over.
            var (resealer, _) = Self.pair()
            #expect(Self.isRefused(&opener, try Self.seal(&resealer, plain)))
        }
    }

    @Test func replayedReorderedDroppedAndForeignFramesAreRefused() throws {
        let a: [UInt8] = Array("first".utf8), b: [UInt8] = Array("second".utf8)
        do {  // replayed
            var (sealer, opener) = Self.pair()
            let first = try Self.seal(&sealer, a)
            #expect(try Self.open(&opener, first) == a)
            #expect(Self.isRefused(&opener, first))
        }
        do {  // reordered
            var (sealer, opener) = Self.pair()
            let first = try Self.seal(&sealer, a), second = try Self.seal(&sealer, b)
            _ = first
            #expect(Self.isRefused(&opener, second))
        }
        do {  // segments swapped inside one frame
            var (sealer, opener) = Self.pair()
            let full = SyncFrameCipher.segmentBytes + SyncFrameCipher.tagSize
            let frame = try Self.seal(&sealer, [UInt8](repeating: 9, count: 2 * SyncFrameCipher.segmentBytes))
            let swapped = Array(frame[..<4]) + Array(frame[(4 + full)...]) + Array(frame[4..<(4 + full)])
            #expect(Self.isRefused(&opener, swapped))
        }
        do {  // from another session
            let other = SyncSessionKeys.derive(secret: Self.secret, masterNonce: Array(repeating: 5, count: 32),
                                               slaveNonce: Array(repeating: 2, count: 32))
            var (foreign, _) = Self.pair(other)
            var (_, opener) = Self.pair()
            #expect(Self.isRefused(&opener, try Self.seal(&foreign, a)))
        }
        do {  // the other direction's frame reflected back
            var reflected = SyncFrameCipher(key: Self.keys.directions(master: false).sending)
            var (_, opener) = Self.pair()
            #expect(Self.isRefused(&opener, try Self.seal(&reflected, a)))
        }
    }
}
