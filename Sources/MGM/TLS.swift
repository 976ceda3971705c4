import NIOCore
import NIOSSL

/// The PEM files of TLS on the client port (`--tls-cert`, `--tls-key`).
public struct TLSFiles: Sendable, Equatable {
    /// The server's certificate chain (its certificate first).
    public var certificate: String
    public var key: String

    public init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }
}

/// TLS on the client port as the stock server negotiates it: the `kXR_protocol` answer says the server
/// can (`kXR_haveTLS`) to a client that says it is able (`kXR_ableTLS`); when the client wants TLS
/// (`kXR_wantTLS`, a `roots://` URL) the answer also carries `kXR_gotoTLS`, and right after it, in
/// plain text, the connection switches: the client starts the TLS handshake and sends its login inside.
/// swift-nio-ssl (BoringSSL) does the TLS; TLS 1.2 at least.
final class ClientTLS: Sendable {
    let context: NIOSSLContext

    private init(context: NIOSSLContext) { self.context = context }

    /// Loads the certificate chain and key; a readable reason when they do not load or do not match.
    static func load(_ files: TLSFiles) throws(MGMError) -> ClientTLS {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(files.certificate)
            guard !chain.isEmpty else { throw MGMError.security("--tls-cert \(files.certificate): no certificate in the file") }
            let key = try NIOSSLPrivateKey(file: files.key, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                         privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            return ClientTLS(context: try NIOSSLContext(configuration: configuration))
        } catch let error as MGMError {
            throw error
        } catch {
            throw .security("--tls-cert \(files.certificate) / --tls-key \(files.key): \(error)")
        }
    }

    /// The handler that makes the connection TLS (to go first in its pipeline).
    func handler() -> NIOSSLServerHandler { NIOSSLServerHandler(context: context) }
}
