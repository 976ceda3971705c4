import CXrdSec
import Glibc
import NIOCore

/// Client authentication on the XRootD port through XRootD's own security framework (libXrdSec-5, the
/// library the stock server uses): the `kXR_login` answer carries its security token (`&P=sss,...&P=unix`)
/// and each `kXR_auth` is one step of the chosen protocol's exchange (`AuthenticationSession`).
///
/// Built from `--auth` (in order of preference), `--keytab` (sss) and `--krb5-keytab`/`--krb5-principal`
/// (krb5). `unix` alone (the default) and `none`
/// need no exchange: the name declared at login is used, so no service is made (`make(...)` returns nil).
public final class AuthenticationService: @unchecked Sendable {
    /// The protocols `--auth` accepts (each one a stock `libXrdSec<name>-5.so`).
    public static let protocols = ["sss", "krb5", "unix"]
    /// krb5's defaults, as the stock server's documentation writes them: the host's keytab, and the
    /// service principal `xrootd/<host>` (the library puts in this host's name; no realm: the default realm).
    public static let defaultKrb5Keytab = "/etc/krb5.keytab"
    public static let defaultKrb5Principal = "xrootd/<host>"

    /// `service` is MT-safe (XrdSecInterface.hh) and lives as long as the process: never freed.
    private let service: OpaquePointer
    /// The security token of every login answer.
    let token: [UInt8]
    public let protocolNames: [String]

    private init(service: OpaquePointer, token: [UInt8], protocolNames: [String]) {
        self.service = service
        self.token = token
        self.protocolNames = protocolNames
    }

    /// The service for `names` (e.g. ["sss", "unix"]), or nil when none is needed (`unix` alone, `none`).
    /// Throws a readable reason for an unknown protocol, a missing or unreadable keytab, or a
    /// configuration the library refuses.
    public static func make(_ names: [String], keytab: String?, krb5Keytab: String? = nil,
                            krb5Principal: String? = nil) throws(MGMError) -> AuthenticationService? {
        try validate(names, keytab: keytab, krb5Keytab: krb5Keytab, krb5Principal: krb5Principal)
        if names == ["unix"] || names == ["none"] { return nil }
        var lines: [String] = []
        for name in names {
            switch name {
            case "sss": lines.append("sec.protocol sss -s \(keytab ?? "")")
            // `[<keytab>] <principal>` (the stock directive; no -ipchk, no -exptkn: tickets are not kept).
            case "krb5":
                lines.append("sec.protocol krb5 \(krb5Keytab ?? defaultKrb5Keytab) \(krb5Principal ?? defaultKrb5Principal)")
            default: lines.append("sec.protocol \(name)")
            }
        }
        lines.append("sec.protbind * only " + names.joined(separator: " "))
        let configuration = lines.joined(separator: "\n") + "\n"
        let path = try writeConfiguration(configuration)
        defer { unlink(path) }
        // The framework's configuration reader wants an instance name (the stock server sets it).
        setenv("XRDINSTANCE", "beryl-mgm anon@localhost", 0)
        var error = [CChar](repeating: 0, count: 512)
        guard let service = beryl_sec_service_create(path, STDERR_FILENO, &error, error.count) else {
            throw .security("--auth \(names.joined(separator: ",")): \(cText(error))")
        }
        var size: Int32 = 0
        let parms = beryl_sec_service_parms(service, &size)
        let token = parms.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(max(0, size)))) } ?? []
        return AuthenticationService(service: service, token: token, protocolNames: names)
    }

    /// Checks `--auth`, `--keytab` and the krb5 options before anything starts: known names, no
    /// duplicates, `none` alone, a keytab for each protocol that needs one (sss: `--keytab`; krb5:
    /// `--krb5-keytab`, default /etc/krb5.keytab) that exists, is a regular file and is readable by this
    /// process only, and options only for protocols `--auth` names.
    public static func validate(_ names: [String], keytab: String?, krb5Keytab: String? = nil,
                                krb5Principal: String? = nil) throws(MGMError) {
        guard !names.isEmpty else { throw .security("--auth: no protocol given (e.g. --auth sss,unix)") }
        if names.contains("none") {
            guard names == ["none"] else { throw .security("--auth: none (no authentication) cannot be combined with other protocols") }
        } else {
            for name in names where !protocols.contains(name) {
                throw .security("--auth: unknown protocol '\(name)' (known: \(protocols.joined(separator: ", ")), or none)")
            }
            guard Set(names).count == names.count else { throw .security("--auth: a protocol is named twice") }
        }
        if names.contains("sss") {
            guard let keytab else { throw .security("--auth sss needs --keytab FILE (made with xrdsssadmin)") }
            try checkKeytab(keytab, option: "--keytab")
        } else if keytab != nil {
            throw .security("--keytab is for sss, which --auth does not name")
        }
        if names.contains("krb5") {
            let path = krb5Keytab ?? defaultKrb5Keytab
            // The library takes a keytab only as an absolute path (`sec.protocol krb5 /path principal`).
            guard path.hasPrefix("/") else { throw .security("--krb5-keytab \(path): give an absolute path") }
            try checkKeytab(path, option: "--krb5-keytab")
            let principal = krb5Principal ?? defaultKrb5Principal
            guard !principal.isEmpty, !principal.hasPrefix("-"), !principal.hasPrefix("/"),
                  !principal.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) else {
                throw .security("--krb5-principal '\(principal)': expected a principal such as xrootd/<host>@EXAMPLE.ORG")
            }
        } else if krb5Keytab != nil || krb5Principal != nil {
            throw .security("--krb5-keytab and --krb5-principal are for krb5, which --auth does not name")
        }
    }

    /// A keytab (sss or krb5) holds secrets: it must be a regular file this process can read and
    /// nobody but its owner can (as ssh refuses a private key readable by others).
    private static func checkKeytab(_ path: String, option: String) throws(MGMError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .security("\(option) \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .security("\(option) \(path): not a regular file") }
        guard access(path, R_OK) == 0 else { throw .security("\(option) \(path): not readable by this process") }
        guard info.st_mode & 0o077 == 0 else {
            throw .security("\(option) \(path): readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
    }

    private static func writeConfiguration(_ text: String) throws(MGMError) -> String {
        var template = Array("/tmp/beryl-sec-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw .security("--auth: cannot write the security configuration: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let path = cText(template)
        guard written == bytes.count else {
            unlink(path)
            throw .security("--auth: cannot write the security configuration")
        }
        return path
    }

    /// A new exchange for the client at `remote` (its socket address; `address` is its IP as text).
    func session(remote: SocketAddress?, address: String) -> AuthenticationSession? {
        let session: OpaquePointer?
        if let remote {
            session = remote.withSockAddr { pointer, _ in beryl_sec_session_create(service, pointer, address) }
        } else {
            session = beryl_sec_session_create(service, nil, address)
        }
        return session.map(AuthenticationSession.init)
    }
}

/// One connection's authentication exchange (owned by its handler, on its event loop).
final class AuthenticationSession {
    /// What one `kXR_auth` step came to.
    enum Step: Equatable {
        /// Authenticated: the protocol, the proven name and the credential's groups.
        case authenticated(protocolName: String, user: String, groups: [String])
        /// The protocol needs another round: these parameters go back in a `kXR_authmore`.
        case more([UInt8])
        case failed(String)
    }

    private let session: OpaquePointer

    init(_ session: OpaquePointer) { self.session = session }
    deinit { beryl_sec_session_free(session) }

    /// One step with the credentials of a `kXR_auth` whose header names `credentialType` (4 bytes).
    func step(credentialType: [UInt8], credentials: [UInt8]) -> Step {
        var more: UnsafeMutablePointer<CChar>?
        var moreSize: Int32 = 0
        var error = [CChar](repeating: 0, count: 512)
        var type = credentialType + [UInt8](repeating: 0, count: max(0, 4 - credentialType.count))
        let rc = type.withUnsafeMutableBytes { typeBytes in
            credentials.withUnsafeBytes { cred in
                beryl_sec_authenticate(session, typeBytes.baseAddress!.assumingMemoryBound(to: CChar.self),
                                       cred.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(cred.count),
                                       &more, &moreSize, &error, error.count)
            }
        }
        switch rc {
        case 0:
            let groups = String(cString: beryl_sec_session_groups(session))
                .split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
            return .authenticated(protocolName: String(cString: beryl_sec_session_protocol(session)),
                                  user: String(cString: beryl_sec_session_name(session)), groups: groups)
        case 1:
            defer { free(more) }
            return .more(more.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(moreSize))) } ?? [])
        default:
            return .failed(cText(error))
        }
    }
}

/// The text of a NUL-terminated C buffer.
func cText(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
