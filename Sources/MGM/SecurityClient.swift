import CXrdSec
import Glibc
import XRootD

/// The client side of XRootD's security framework for `XRootDClient` (tools, tests and benchmarks):
/// the protocol is chosen from the server's token as the stock clients choose it, steered by the same
/// environment (`XrdSecPROTOCOL=sss`, `XrdSecSSSKT=FILE`, ...). Not in a process that also serves sss:
/// the library's sss plugin is set up once per process, as a server or as a client.
public struct SecurityClient: XRootDAuthenticator {
    public init() {}

    public func exchange(token: String, endpoint: Endpoint) throws(XRootDError) -> any XRootDAuthenticationExchange {
        var storage = sockaddr_storage()
        let isIPv6 = endpoint.host.contains(":")
        let parsed = withUnsafeMutableBytes(of: &storage) { raw -> Bool in
            if isIPv6 {
                let a = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                a.pointee.sin6_family = sa_family_t(AF_INET6)
                a.pointee.sin6_port = UInt16(endpoint.port).bigEndian
                return inet_pton(AF_INET6, endpoint.host, &a.pointee.sin6_addr) == 1
            }
            let a = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
            a.pointee.sin_family = sa_family_t(AF_INET)
            a.pointee.sin_port = UInt16(endpoint.port).bigEndian
            return inet_pton(AF_INET, endpoint.host, &a.pointee.sin_addr) == 1
        }
        guard parsed else { throw .authenticationRequired("\(token) (the server address \(endpoint.host) is not an IP literal)") }
        var error = [CChar](repeating: 0, count: 512)
        let bytes = Array(token.utf8)
        let client = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bytes.withUnsafeBytes {
                    beryl_sec_client_create(endpoint.host, address, $0.baseAddress?.assumingMemoryBound(to: CChar.self),
                                            Int32(bytes.count), &error, error.count)
                }
            }
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
