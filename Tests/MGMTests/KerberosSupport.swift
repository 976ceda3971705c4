import BerylTestSupport
import Foundation
import Glibc
import XRootD

/// A real Kerberos realm for one test, from Debian's `krb5-kdc` and `krb5-admin-server`: its
/// configuration, database, keytabs and credential caches in a private temporary folder, its KDC
/// (`krb5kdc`) listening on 127.0.0.1 only, on a free port. Programs reach it through `environment`
/// (`KRB5_CONFIG`, `KRB5_KDC_PROFILE`); nothing under /etc is read or written.
final class KerberosRealm {
    static let realm = "BERYL.TEST"
    static let tools = ["/usr/sbin/krb5kdc", "/usr/sbin/kdb5_util", "/usr/sbin/kadmin.local", "/usr/bin/kinit"]
    static var available: Bool { tools.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) } }

    let folder: String
    let port: Int
    private var kdc: ServeProcess?

    /// What every program of the realm needs; the KDC's replay cache stays in the folder too.
    var environment: [String: String] {
        ["KRB5_CONFIG": folder + "/krb5.conf", "KRB5_KDC_PROFILE": folder + "/kdc.conf", "KRB5RCACHEDIR": folder]
    }

    /// Makes the realm's database and starts its KDC.
    init() throws {
        folder = TestServer.temporaryDirectory()
        guard let port = freeLoopbackPort() else { throw XRootDError.connectionFailed("no free port for the KDC", errno: 0) }
        self.port = port
        let client = """
            [libdefaults]
                default_realm = \(Self.realm)
                dns_lookup_kdc = false
                dns_lookup_realm = false
                rdns = false
                dns_canonicalize_hostname = false
                udp_preference_limit = 1
            [realms]
                \(Self.realm) = {
                    kdc = 127.0.0.1:\(port)
                }

            """
        let server = """
            [kdcdefaults]
                kdc_listen = 127.0.0.1:\(port)
                kdc_tcp_listen = 127.0.0.1:\(port)
            [realms]
                \(Self.realm) = {
                    database_name = \(folder)/principal
                    key_stash_file = \(folder)/stash
                    acl_file = \(folder)/kadm5.acl
                    kdc_listen = 127.0.0.1:\(port)
                    kdc_tcp_listen = 127.0.0.1:\(port)
                }
            [logging]
                kdc = FILE:\(folder)/kdc.log

            """
        try client.write(toFile: folder + "/krb5.conf", atomically: true, encoding: .utf8)
        try server.write(toFile: folder + "/kdc.conf", atomically: true, encoding: .utf8)
        try run("/usr/sbin/kdb5_util", ["create", "-s", "-r", Self.realm, "-P", "master-\(getpid())"])
        kdc = try ServeProcess("/usr/sbin/krb5kdc", ["-n", "-P", folder + "/kdc.pid"], log: folder + "/krb5kdc.out",
                               environment: environment)
    }

    /// A principal with a random key, written to a keytab of its own (mode 0600): the path.
    @discardableResult
    func addPrincipal(_ name: String, keytab: String) throws -> String {
        let path = folder + "/" + keytab
        try run("/usr/sbin/kadmin.local", ["-q", "addprinc -randkey \(name)"])
        try run("/usr/sbin/kadmin.local", ["-q", "ktadd -k \(path) \(name)"])
        return path
    }

    /// `kinit` of `name` from its keytab into a credential cache of its own: the `KRB5CCNAME` value.
    /// Retried while the KDC starts (bounded).
    func ticket(for name: String, keytab: String) throws -> String {
        let cache = "FILE:\(folder)/cc-\(name.replacingOccurrences(of: "/", with: "_"))"
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let kinit = try ProgramRun.run("/usr/bin/kinit", ["-k", "-t", keytab, name],
                                           environment: environment.merging(["KRB5CCNAME": cache]) { $1 }, timeout: .seconds(20))
            if kinit.status == 0 { return cache }
            guard ContinuousClock.now < deadline else {
                throw XRootDError.unexpectedResponse("kinit \(name): \(kinit.stderr) \(log)")
            }
            usleep(100_000)
        }
    }

    /// The KDC's log and start-up output, for failure messages.
    var log: String {
        ["/kdc.log", "/krb5kdc.out"].compactMap { try? String(contentsOfFile: folder + $0, encoding: .utf8) }.joined()
    }

    /// SIGKILL: the KDC keeps nothing worth a clean stop, and it inherits the test process's signal mask,
    /// where SIGTERM may be blocked (it then waited out ServeProcess's 15 s).
    func stop() {
        if let kdc, kdc.process.isRunning {
            kill(kdc.process.processIdentifier, SIGKILL)
            kdc.process.waitUntilExit()
        }
        kdc = nil
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func run(_ program: String, _ arguments: [String]) throws {
        let result = try ProgramRun.run(program, arguments, environment: environment, timeout: .seconds(30))
        guard result.status == 0 else {
            throw XRootDError.unexpectedResponse("\(program) \(arguments.joined(separator: " ")): \(result.stdout) \(result.stderr)")
        }
    }
}
