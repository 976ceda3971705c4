import CXrdSec
import Glibc
import XRootD

/// The client side of XRootD's security framework for `XRootDClient` (tools, tests and benchmarks):
/// the protocol is chosen from the server's token as the stock clients choose it, steered by the same
/// environment (`XrdSecPROTOCOL=sss`, `XrdSecSSSKT=FILE`, ...). Not in a process that also serves sss:
/// the library's sss plugin is set up once per process, as a server or as a client.
public struct SecurityClient: XRootDAuthenticator {
    public init() {}

    public func exchange(token: String, endpoint: Endpoint, socket: Int32) throws(XRootDError) -> any XRootDAuthenticationExchange {
        var error = [CChar](repeating: 0, count: 512)
        let bytes = Array(token.utf8)
        let client = bytes.withUnsafeBytes {
            beryl_sec_client_create(endpoint.host, socket, $0.baseAddress?.assumingMemoryBound(to: CChar.self),
                                    Int32(bytes.count), &error, error.count)
        }
        guard let client else { throw .authenticationRequired("\(token): \(cText(error))") }
        return Exchange(client)
    }

    final class Exchange: XRootDAuthenticationExchange {
        private let client: OpaquePointer
        init(_ client: OpaquePointer) { self.client = client }
        deinit { beryl_sec_client_free(client) }

        func credentials(_ parameters: [UInt8]?) throws(XRootDError) -> (protocolName: String, bytes: [UInt8]) {
            var output: UnsafeMutablePointer<CChar>?
            var size: Int32 = 0
            var name = [CChar](repeating: 0, count: 8)
            var error = [CChar](repeating: 0, count: 512)
            let rc: Int32
            if let parameters {
                rc = parameters.withUnsafeBytes {
                    beryl_sec_client_credentials(client, $0.baseAddress?.assumingMemoryBound(to: CChar.self), Int32($0.count),
                                                 &output, &size, &name, &error, error.count)
                }
            } else {
                rc = beryl_sec_client_credentials(client, nil, 0, &output, &size, &name, &error, error.count)
            }
            guard rc == 0, let output else { throw .authenticationRequired("no credentials: \(cText(error))") }
            defer { free(output) }
            return (cText(name), Array(UnsafeRawBufferPointer(start: output, count: Int(size))))
        }
    }
}
