import Foundation
import Glibc
import MGM
import Testing
import XRootD

/// A test CA and a server certificate for 127.0.0.1 / localhost, made with the openssl CLI, and a
/// hashed CA folder for the stock client (`X509_CERT_DIR`).
struct TestCertificates {
    static let openssl = "/usr/bin/openssl"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: openssl) && StockTools.hasXrdfs }

    let folder: String
    var certificate: String { folder + "/server.pem" }
    var key: String { folder + "/server.key" }
    var caFolder: String { folder + "/ca" }

    init() throws {
        folder = TestServer.temporaryDirectory()
        let script = """
            set -e
            cd '\(folder)'
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=Beryl Test CA'
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost'
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext
            mkdir ca && cp ca.pem ca/ && openssl rehash ca
            """
        let run = try ProgramRun.run("/bin/sh", ["-c", script], timeout: .seconds(60))
        guard run.status == 0 else { throw XRootDError.unexpectedResponse("openssl: \(run.stderr)") }
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}

/// TLS on the client port: the stock client with `roots://` switches after kXR_protocol and lists; it
/// refuses a server whose CA it does not trust; `root://` stays plain.
@Suite(.enabled(if: TestCertificates.available, "openssl or xrdfs is not installed: skipped"))
struct TLSTests {
    @Test func stockClientOverTLS() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let log = CollectedLog()
        let server = try TestServer(logger: log.logger) {
            $0.tls = TLSFiles(certificate: certificates.certificate, key: certificates.key)
        }
        defer { server.stop() }
        try server.namespace.createContainer("/secure")
        let tlsURL = "roots://127.0.0.1:\(server.port)"
        let trusted = try ProgramRun.run(StockTools.xrdfs, [tlsURL, "ls", "/"],
                                         environment: ["X509_CERT_DIR": certificates.caFolder], timeout: .seconds(60))
        #expect(trusted.status == 0 && trusted.stdout.contains("/secure"), "\(trusted.stdout) \(trusted.stderr)")
        #expect(log.containing("switched to TLS").count >= 1)
        let untrusted = try ProgramRun.run(StockTools.xrdfs, [tlsURL, "ls", "/"],
                                           environment: ["X509_CERT_DIR": certificates.folder + "/nowhere"], timeout: .seconds(60))
        #expect(untrusted.status != 0, "\(untrusted.stdout)")
        let plain = try ProgramRun.run(StockTools.xrdfs, [server.url, "ls", "/"], timeout: .seconds(60))
        #expect(plain.status == 0 && plain.stdout.contains("/secure"), "\(plain.stderr)")
    }

    @Test func protocolAnswerOffersAndSwitches() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let server = try TestServer { $0.tls = TLSFiles(certificate: certificates.certificate, key: certificates.key) }
        defer { server.stop() }
        func flags(_ request: ProtocolRequest.Flags) throws -> ServerFlags {
            let raw = try RawConnection(port: server.port)
            raw.send(ClientHandshake().encode())
            _ = raw.receive(ServerHandshake.length)
            raw.send(XRootDRequest.protocol(ProtocolRequest(flags: request)).encode(streamID: StreamID(1)))
            guard case .ok(let body)? = raw.readResponse()?.body else { throw XRootDError.connectionClosed }
            return try ProtocolResponse(body: body).flags
        }
        #expect(try flags([]) == [.isServer])
        #expect(try flags([.ableTLS]) == [.isServer, .haveTLS])
        #expect(try flags([.ableTLS, .wantTLS]) == [.isServer, .haveTLS, .gotoTLS])
        // Without certificates, nothing is offered.
        let plain = try TestServer()
        defer { plain.stop() }
        let raw = try RawConnection(port: plain.port)
        raw.send(ClientHandshake().encode())
        _ = raw.receive(ServerHandshake.length)
        raw.send(XRootDRequest.protocol(ProtocolRequest(flags: [.ableTLS, .wantTLS])).encode(streamID: StreamID(1)))
        guard case .ok(let body)? = raw.readResponse()?.body else { Issue.record("no answer"); return }
        #expect(try ProtocolResponse(body: body).flags == [.isServer])
    }

    @Test func unusableCertificatesRefuseToStart() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        #expect(throws: MGMError.self) {
            _ = try TestServer { $0.tls = TLSFiles(certificate: certificates.folder + "/missing.pem", key: certificates.key) }
        }
        #expect(throws: MGMError.self) {
            _ = try TestServer { $0.tls = TLSFiles(certificate: certificates.certificate, key: certificates.folder + "/ca.pem") }
        }
    }
}
