import BerylTestSupport
import Foundation
import Glibc
import Namespace
import Testing
import XRootD

/// krb5 through libXrdSec's krb5 plugin, end to end with a real KDC (`KerberosRealm`): `beryl-mgm serve
/// --auth krb5,unix` (a process of its own, in the realm's environment) with a service principal
/// `xrootd/localhost` in a keytab, a user principal `alice` with a ticket from `kinit`, and the stock
/// `xrdfs` and the project's console logging in with `XrdSecPROTOCOL=krb5`. The identity is the ticket's
/// (`alice`, mapped by `--idmap` to daemon), never the name the client process declares (root).
@Suite(.enabled(if: KerberosRealm.available && StockTools.hasXrdfs && ExecutableTests.haveExecutables,
                "krb5-kdc/krb5-admin-server/krb5-user, xrdfs or the built executables are missing: skipped"))
struct KerberosTests {
    @Test func stockClientAndConsoleLogInWithATicket() throws {
        let realm = try KerberosRealm()
        defer { realm.stop() }
        let service = try realm.addPrincipal("xrootd/localhost", keytab: "xrootd.keytab")
        let aliceKeytab = try realm.addPrincipal("alice", keytab: "alice.keytab")
        let alice = try realm.ticket(for: "alice", keytab: aliceKeytab)
        let idmap = realm.folder + "/idmap"
        try "krb5 alice uid=daemon\n".write(toFile: idmap, atomically: true, encoding: .utf8)

        // A namespace with a drop folder anyone may write in, made before the server starts.
        let data = realm.folder + "/data"
        let mgm = try #require(ExecutableTests.sibling("beryl-mgm"))
        #expect(try ProgramRun.run(mgm, ["tag", "master", "--data", data]).status == 0)
        do {
            let ns = try Namespace.boot(NamespaceConfiguration(directory: data, durability: .none))
            defer { ns.close() }
            try ns.createContainer("/drop", attributes: CreationAttributes(mode: 0o40777))
        }
        let port = try ExecutableTests.freePort()
        let log = realm.folder + "/serve.log"
        let server = try ServeProcess(mgm, ["serve", "--data", data, "--listen", "127.0.0.1:\(port)", "--durability", "none",
                                            "--auth", "krb5,unix", "--krb5-keytab", service,
                                            "--krb5-principal", "xrootd/localhost@\(KerberosRealm.realm)", "--idmap", idmap],
                                      log: log, environment: realm.environment)
        defer { server.stop() }
        func serveLog() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        try waitUntilListening(port: port, server: server, log: serveLog)

        let url = "root://127.0.0.1:\(port)"
        let krb5 = realm.environment.merging(["XrdSecPROTOCOL": "krb5", "KRB5CCNAME": alice]) { $1 }
        // One xrdfs session (one login): a mkdir where daemon may write, one where it may not.
        let made = try ProgramRun.run(StockTools.xrdfs, [url], environment: krb5, input: "mkdir /drop/alice\nmkdir /alice\n")
        #expect(!made.stderr.contains("/drop/alice"), "\(made.stderr)")
        #expect(made.stderr.contains("[3010] Unable to mkdir /alice; permission denied"), "\(made.stderr)")
        // Root (unix, from loopback) sees alice's directory owned by daemon, the map's user.
        let listing = try ProgramRun.run(StockTools.xrdfs, [url, "ls", "-l", "/drop"],
                                         environment: ["XrdSecPROTOCOL": "unix"], timeout: .seconds(60))
        #expect(listing.stdout.contains("daemon") && listing.stdout.contains("/drop/alice"), "\(listing.stdout) \(listing.stderr)")

        // No ticket: refused, nothing made.
        let none = try ProgramRun.run(StockTools.xrdfs, [url, "mkdir", "/drop/nobody"],
                                      environment: krb5.merging(["KRB5CCNAME": "FILE:\(realm.folder)/cc-missing"]) { $1 },
                                      timeout: .seconds(60))
        #expect(none.status != 0, "\(none.stdout)")

        // The console as alice: it lists, and its admin command is refused (daemon is not root).
        let beryl = try #require(ExecutableTests.sibling("beryl"))
        let ls = try ProgramRun.run(beryl, ["--mgm", url, "ls", "/drop"], environment: krb5, timeout: .seconds(60))
        #expect(ls.status == 0 && ls.stdout == "alice\n", "\(ls.stdout) \(ls.stderr)")
        let admin = try ProgramRun.run(beryl, ["--mgm", url, "ns", "stat"], environment: krb5, timeout: .seconds(60))
        #expect(admin.status != 0 && admin.stderr.contains("admin commands need uid 0"), "\(admin.stderr)")

        #expect(server.stop() == 0)
        let text = serveLog()
        #expect(text.components(separatedBy: "authenticated alice by krb5").count - 1 >= 3, "\(text)")
        #expect(!text.contains("authenticated root by krb5"), "\(text)")
    }

    /// A server that asks for authentication answers the login of a client that cannot give it.
    private func waitUntilListening(port: Int, server: ServeProcess, log: () -> String) throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, server.process.isRunning {
            do {
                _ = try XRootDClient(Endpoint(host: "127.0.0.1", port: port), options: .init(user: "root", connectTimeout: .seconds(1)))
                return
            } catch {
                if case .authenticationRequired = error { return }
            }
            usleep(50_000)
        }
        throw XRootDError.connectionFailed("beryl-mgm did not answer on \(port): \(log())", errno: 0)
    }
}
