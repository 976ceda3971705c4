import Foundation
import Glibc
import MGM
import XRootD

/// sss keytabs made by the stock `xrdsssadmin`, in a private temporary folder removed by `remove()`.
struct Keytabs {
    static let admin = "/usr/bin/xrdsssadmin"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: admin) && StockTools.hasXrdfs }

    let folder: String

    init() { folder = TestServer.temporaryDirectory() }

    /// The keytab every in-process sss server uses: the library sets its sss plugin up once per process,
    /// with the first keytab it is given (one server per process in production). Key `beryl` for user
    /// daemon, group staff; `wrong` holds the same key (number, name, user) with another secret, so the
    /// server finds the key and fails to decrypt ("Unable to decrypt credentials"). Kept for the whole run.
    static let shared: (server: String, wrong: String)? = {
        let keytabs = Keytabs()
        guard let server = try? keytabs.make("server.keytab", user: "daemon", groups: "staff"),
              let other = try? keytabs.make("other.keytab", user: "daemon", groups: "staff"),
              let wrong = try? keytabs.forge("wrong.keytab", key: server, secret: other) else { return nil }
        return (server, wrong)
    }()

    /// A keytab holding `key`'s entry with the secret of `secret`'s entry. xrdsssadmin numbers a key from
    /// the second it was made, so two keytabs made a second apart differ in number too, and the server
    /// would answer "Decryption key not found" instead of trying the wrong secret.
    func forge(_ file: String, key: String, secret: String) throws -> String {
        func fields(_ path: String) throws -> [Substring] {
            try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isWhitespace)
        }
        let entry = try fields(key), other = try fields(secret)
        guard let newSecret = other.first(where: { $0.hasPrefix("k:") }), entry.contains(where: { $0.hasPrefix("k:") }) else {
            throw XRootDError.unexpectedResponse("no key field in \(key) or \(secret)")
        }
        let line = entry.map { $0.hasPrefix("k:") ? newSecret : $0 }.joined(separator: " ") + "\n"
        let path = folder + "/" + file
        guard FileManager.default.createFile(atPath: path, contents: Data(line.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw XRootDError.unexpectedResponse("cannot write \(path)")
        }
        return path
    }

    /// A new keytab holding one key named `name` for `user` with `groups` (mode 0600, as xrdsssadmin makes it).
    func make(_ file: String, name: String = "beryl", user: String, groups: String? = nil) throws -> String {
        let path = folder + "/" + file
        var arguments = ["-k", name, "-u", user]
        if let groups { arguments += ["-g", groups] }
        let run = try ProgramRun.run(Self.admin, arguments + ["add", path], input: "y\n", timeout: .seconds(20))
        guard run.status == 0, FileManager.default.fileExists(atPath: path) else {
            throw XRootDError.unexpectedResponse("xrdsssadmin failed: \(run.stdout) \(run.stderr)")
        }
        return path
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}

extension RawConnection {
    /// Handshake, kXR_protocol and kXR_login as `user`; the login answer (nil when not answered).
    func logInAnswer(user: String = "raw") -> XRootDResponse? {
        send(ClientHandshake().encode())
        guard receive(ServerHandshake.length).count == ServerHandshake.length else { return nil }
        send(XRootDRequest.protocol(ProtocolRequest()).encode(streamID: StreamID(1)))
        guard readResponse() != nil else { return nil }
        send(XRootDRequest.login(LoginRequest(processID: 1, user: user)).encode(streamID: StreamID(2)))
        return readResponse()
    }

    /// A kXR_auth frame naming `type`, with `length` payload bytes announced (`payload` sent after the header).
    func sendAuth(type: String, payload: [UInt8], announcing length: Int? = nil, stream: UInt16 = 9) {
        var typeBytes = Array(type.utf8.prefix(4))
        typeBytes += [UInt8](repeating: 0, count: 4 - typeBytes.count)
        let header = RequestHeader(streamID: StreamID(stream), requestCode: RequestID.auth.rawValue,
                                   parameters: [UInt8](repeating: 0, count: 12) + typeBytes,
                                   payloadLength: Int32(length ?? payload.count))
        send(header.encode() + payload)
    }
}

extension ProgramRun {
    /// `program` run with `variables` added to the environment (through /usr/bin/env).
    static func run(_ program: String, _ arguments: [String], environment variables: [String: String],
                    input: String = "", timeout: Duration = .seconds(60)) throws -> ProgramRun {
        try run("/usr/bin/env", variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [program] + arguments,
                input: input, timeout: timeout)
    }
}
