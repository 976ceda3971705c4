// SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), in pure Swift: the sync handshake needs a MAC
// and no crypto package is available on the machines Beryl is built on. Not tuned for bulk hashing;
// the handshake hashes a few hundred bytes.

/// SHA-256 as specified in FIPS 180-4, section 6.2.
public enum SHA256 {
    /// The digest size in bytes.
    public static let digestSize = 32
    /// The block size in bytes (HMAC pads its key to this).
    public static let blockSize = 64

    /// The 32-byte digest of `bytes`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// FIPS 180-4, 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    /// FIPS 180-4, 5.3.3: the first 32 bits of the fractional parts of the square roots of the first 8 primes.
    private static let initialState: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]

    /// An incremental hasher: `update` any number of times, then `finalize` once.
    struct Hasher {
        private var state = SHA256.initialState
        private var block: [UInt8] = []
        private var compressedBlocks: UInt64 = 0

        init() { block.reserveCapacity(SHA256.blockSize) }

        mutating func update(_ bytes: some Sequence<UInt8>) {
            for byte in bytes {
                block.append(byte)
                if block.count == SHA256.blockSize {
                    compress()
                    block.removeAll(keepingCapacity: true)
                }
            }
        }

        /// Pads (FIPS 180-4, 5.1.1: a 1 bit, zeros, the 64-bit big-endian bit length) and returns the digest.
        mutating func finalize() -> [UInt8] {
            let bitLength = processedBytes &* 8
            block.append(0x80)
            if block.count > SHA256.blockSize - 8 {
                while block.count < SHA256.blockSize { block.append(0) }
                compress()
                block.removeAll(keepingCapacity: true)
            }
            while block.count < SHA256.blockSize - 8 { block.append(0) }
            for shift in stride(from: 56, through: 0, by: -8) { block.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
            compress()
            var digest: [UInt8] = []
            digest.reserveCapacity(SHA256.digestSize)
            for word in state {
                for shift in stride(from: 24, through: 0, by: -8) { digest.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
            }
            return digest
        }

        /// Bytes fed so far: whole blocks compressed plus the partial block.
        private var processedBytes: UInt64 { compressedBlocks &* UInt64(SHA256.blockSize) &+ UInt64(block.count) }

        /// FIPS 180-4, 6.2.2: one 64-byte block into the state.
        private mutating func compress() {
            compressedBlocks &+= 1
            var w = [UInt32](repeating: 0, count: 64)
            for t in 0..<16 {
                let i = t * 4
                w[t] = UInt32(block[i]) << 24 | UInt32(block[i + 1]) << 16 | UInt32(block[i + 2]) << 8 | UInt32(block[i + 3])
            }
            for t in 16..<64 {
                let s0 = w[t - 15].rotatedRight(7) ^ w[t - 15].rotatedRight(18) ^ (w[t - 15] >> 3)
                let s1 = w[t - 2].rotatedRight(17) ^ w[t - 2].rotatedRight(19) ^ (w[t - 2] >> 10)
                w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
            }
            var a = state[0], b = state[1], c = state[2], d = state[3]
            var e = state[4], f = state[5], g = state[6], h = state[7]
            for t in 0..<64 {
                let sigma1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
                let choose = (e & f) ^ (~e & g)
                let t1 = h &+ sigma1 &+ choose &+ SHA256.roundConstants[t] &+ w[t]
                let sigma0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
                let majority = (a & b) ^ (a & c) ^ (b & c)
                let t2 = sigma0 &+ majority
                h = g; g = f; f = e; e = d &+ t1
                d = c; c = b; b = a; a = t1 &+ t2
            }
            state[0] &+= a; state[1] &+= b; state[2] &+= c; state[3] &+= d
            state[4] &+= e; state[5] &+= f; state[6] &+= g; state[7] &+= h
        }
    }
}

extension UInt32 {
    @inline(__always) fileprivate func rotatedRight(_ count: UInt32) -> UInt32 { (self >> count) | (self << (32 - count)) }
}

/// HMAC-SHA-256 (RFC 2104 with SHA-256, as in RFC 4231), and a constant-time comparison for its codes.
public enum HMACSHA256 {
    /// The 32-byte authentication code of `message` under `key` (a key longer than 64 bytes is hashed first).
    public static func authenticationCode(for message: [UInt8], key: [UInt8]) -> [UInt8] {
        var padded = key.count > SHA256.blockSize ? SHA256.hash(key) : key
        padded += [UInt8](repeating: 0, count: SHA256.blockSize - padded.count)
        var inner = SHA256.Hasher()
        inner.update(padded.map { $0 ^ 0x36 })
        inner.update(message)
        let innerDigest = inner.finalize()
        var outer = SHA256.Hasher()
        outer.update(padded.map { $0 ^ 0x5c })
        outer.update(innerDigest)
        return outer.finalize()
    }

    /// Whether `a` and `b` are equal, taking the same time wherever they differ (the length is not secret).
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
