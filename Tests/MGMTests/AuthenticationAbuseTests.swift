import Foundation
import Glibc
import MGM
import Testing
import XRootD

/// Bad input on a server that requires sss, through raw sockets: each is refused with a clear error,
/// bounded, and never leaves a connection half-authenticated.
@Suite(.enabled(if: Keytabs.available, "xrdsssadmin (Debian xrootd-client) is not installed: skipped"))
final class AuthenticationAbuseTests {
    let log = CollectedLog()
    let server: TestServer

    init() throws {
        let keytab = try #require(Keytabs.shared).server
        server = try TestServer(logger: log.logger) { $0.authentication = ["sss"]; $0.keytab = keytab }
    }

    deinit {
        server.stop()
    }

    private func error(_ response: XRootDResponse?) -> ServerError? {
        if case .error(let error)? = response?.body { return error }
        return nil
    }

    private func ping(_ raw: RawConnection, stream: UInt16 = 5) -> Bool {
        raw.send(XRootDRequest.ping.encode(streamID: StreamID(stream)))
        if case .ok? = raw.readResponse()?.body { return true }
        return false
    }

    @Test func authBeforeLogin() throws {
        let raw = try RawConnection(port: server.port)
        raw.send(ClientHandshake().encode())
        _ = raw.receive(ServerHandshake.length)
        raw.send(XRootDRequest.protocol(ProtocolRequest()).encode(streamID: StreamID(1)))
        _ = raw.readResponse()
        raw.sendAuth(type: "sss", payload: [1, 2, 3])
        let refusal = try #require(error(raw.readResponse()))
        #expect(refusal.code == .invalidRequest && refusal.message.contains("kXR_auth before kXR_login"), "\(refusal)")
        #expect(ping(raw), "the connection stays usable for a login")
    }

    @Test func nothingButTheExchangeRunsBeforeAuthentication() throws {
        let raw = try RawConnection(port: server.port)
        guard case .ok(let body)? = raw.logInAnswer(user: "root")?.body else { Issue.record("no login answer"); return }
        #expect(String(decoding: body.dropFirst(16), as: UTF8.self).hasPrefix("&P=sss"), "\(body)")
        #expect(ping(raw), "kXR_ping is answered while the exchange is pending")
        raw.send(XRootDRequest.stat(StatRequest(path: "/")).encode(streamID: StreamID(6)))
        let refusal = try #require(error(raw.readResponse()))
        #expect(refusal.code == .notAuthorized && refusal.message.contains("user not authenticated"), "\(refusal)")
        #expect(raw.isClosedByPeer())
    }

    @Test func unknownProtocolAndForgedCredentialsThenClosed() throws {
        let raw = try RawConnection(port: server.port)
        _ = raw.logInAnswer()
        raw.sendAuth(type: "krb5", payload: Array("ticket".utf8))
        let unknown = try #require(error(raw.readResponse()))
        #expect(unknown.code == .authFailed && unknown.message.contains("unknown or not allowed protocol 'krb5'"), "\(unknown)")
        var rng = SystemRandomNumberGenerator()
        for attempt in 2...AuthenticationGateLimits.failures {
            raw.sendAuth(type: "sss", payload: (0..<200).map { _ in UInt8.random(in: 0...255, using: &rng) })
            let forged = try #require(error(raw.readResponse()))
            #expect(forged.code == .authFailed, "\(forged)")
            if attempt == AuthenticationGateLimits.failures { #expect(forged.message.contains("closing the connection")) }
        }
        #expect(raw.isClosedByPeer())
        #expect(!log.containing("authentication failed").isEmpty)
        #expect(log.containing("authenticated ").isEmpty)
    }

    @Test func credentialOfOneMegabyteIsRefusedAtItsHeader() throws {
        let raw = try RawConnection(port: server.port)
        _ = raw.logInAnswer()
        raw.sendAuth(type: "sss", payload: [UInt8](repeating: 7, count: 4096), announcing: 1 << 20)
        let refusal = try #require(error(raw.readResponse()))
        #expect(refusal.code == .argTooLong && refusal.message.contains("before authentication"), "\(refusal)")
        #expect(raw.isClosedByPeer())
        let next = try RawConnection(port: server.port)
        #expect(next.logInAnswer() != nil, "the server goes on serving")
    }

    @Test func exchangesCutMidwayAndLoginFloodLeaveNothingBehind() throws {
        var open: [RawConnection] = []
        for _ in 0..<50 {
            let raw = try RawConnection(port: server.port)
            _ = raw.logInAnswer()
            raw.sendAuth(type: "sss", payload: [UInt8](repeating: 1, count: 10), announcing: 100)  // cut after 10 bytes
            open.append(raw)
        }
        let flood = try RawConnection(port: server.port)
        _ = flood.logInAnswer()
        for index in 2...AuthenticationGateLimits.logins {
            flood.send(XRootDRequest.login(LoginRequest(processID: 1, user: "u")).encode(streamID: StreamID(UInt16(index))))
            #expect(flood.readResponse() != nil)
        }
        flood.send(XRootDRequest.login(LoginRequest(processID: 1, user: "u")).encode(streamID: StreamID(99)))
        let refusal = try #require(error(flood.readResponse()))
        #expect(refusal.message.contains("logins on one connection"), "\(refusal)")
        #expect(flood.isClosedByPeer())
        open.removeAll()
        let deadline = ContinuousClock.now + .seconds(5)
        while server.server.connectionCount > 0, ContinuousClock.now < deadline { usleep(10_000) }
        #expect(server.server.connectionCount == 0)
    }
}
