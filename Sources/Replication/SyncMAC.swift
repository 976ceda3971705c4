import Crypto

/// HMAC-SHA256 for the sync handshake, from swift-crypto (BoringSSL on Linux): the project writes
/// no cryptography of its own.
enum SyncMAC {
    /// The 32-byte HMAC-SHA256 of `message` under `key`.
    static func code(for message: [UInt8], key: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// Whether `mac` is the code of `message` under `key` (compared in constant time; a code of
    /// another length is never valid).
    static func isValid(_ mac: [UInt8], for message: [UInt8], key: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: SymmetricKey(data: key))
    }
}
