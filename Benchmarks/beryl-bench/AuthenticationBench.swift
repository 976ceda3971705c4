import BenchSupport
import Foundation
import Glibc
import MGM
import Namespace
import XRootD

/// The cost of authentication and permission checks in `beryl-bench xrootd`: stat of a file 6
/// directories deep on 16 connections, server CPU per operation, three ways in the same run, the
/// phases interleaved over 3 rounds:
///
/// * `root`: a `beryl-mgm` with the default `--auth unix`, clients logged in as root (uid 0: no
///   permission check, no walk) — the server as it was before authentication and permissions;
/// * `checked`: the same server, clients logged in as `daemon` (unix, not authenticated: the search
///   right checked on `/` and on all 6 directories);
/// * `auth`: a second `beryl-mgm` with `--auth sss`, clients authenticated by sss with a key for
///   `daemon` (libXrdSec's client side, `SecurityClient`; the same checks as `checked`).
///
/// Ratios are the median over the rounds of each round's ratio. Then the login time (connect,
/// handshake, kXR_protocol, kXR_login and, for sss, the kXR_auth exchange) of one client, sss and
/// unix alternating, median of 200 each.
extension XRootDSuite {
    /// 6 directories below the root, made (uid 0, mode 0755) before the servers start.
    static let deepPath = "/deep/d2/d3/d4/d5/d6/file"

    static func seedDeepPath(_ directory: String) throws {
        let ns = try Namespace.boot(NamespaceConfiguration(directory: directory, durability: .none))
        defer { ns.close() }
        let parent = String(deepPath[..<deepPath.lastIndex(of: "/")!])
        try ns.createContainer(parent, attributes: CreationAttributes(mode: 0o40755), missingParents: .create)
        _ = try ns.createFile(deepPath)
    }

    func measureAuthentication() throws -> [Figure] {
        let folder = scratchDirectory("sss-keytab")
        let keytab = folder + "/bench.keytab"
        guard shell("printf 'y\\n' | /usr/bin/xrdsssadmin -k bench -u daemon -g daemon add \(keytab) >/dev/null 2>&1; echo $?") == "0" else {
            throw BenchError("xrdsssadmin (Debian xrootd-server) could not make a keytab")
        }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The client side of libXrdSec reads these, as the stock clients do (no server runs in this process).
        setenv("XrdSecPROTOCOL", "sss", 1)
        setenv("XrdSecSSSKT", keytab, 1)
        let plain = try BenchServer.beryl(durability: "none", seed: Self.seedDeepPath)
        defer { plain.stop() }
        var sss = try BenchServer.beryl(durability: "none", arguments: ["--auth", "sss", "--keytab", keytab], seed: Self.seedDeepPath)
        sss.authenticator = SecurityClient()
        defer { sss.stop() }
        // Every phase must succeed as measured: a refused stat throws (and the identity is the key's).
        guard try sss.client().stat(Self.deepPath).size == 0 else { throw BenchError("stat of \(Self.deepPath)") }

        var root: [Phase] = [], checked: [Phase] = [], auth: [Phase] = []
        for _ in 0..<3 {
            root.append(try phase(plain, "stat-deep-root", user: "root") { client, _, _ in _ = try client.stat(Self.deepPath) })
            checked.append(try phase(plain, "stat-deep-daemon", user: "daemon") { client, _, _ in _ = try client.stat(Self.deepPath) })
            auth.append(try phase(sss, "stat-deep-sss") { client, _, _ in _ = try client.stat(Self.deepPath) })
        }
        func median(_ values: [Double]) -> Double { let s = values.sorted(); return s[s.count / 2] }
        func cpu(_ phases: [Phase]) -> Double { median(phases.map(\.cpuMicrosecondsPerOp)) }
        func ratio(_ over: [Phase], _ under: [Phase]) -> Double {
            median(zip(over, under).map { $0.cpuMicrosecondsPerOp / $1.cpuMicrosecondsPerOp })
        }

        var sssLogins: [Double] = [], unixLogins: [Double] = []
        func login(_ server: BenchServer) throws -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            let client = try server.client()
            let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            client.disconnect()
            return milliseconds
        }
        for _ in 0..<(quick ? 50 : 200) {
            sssLogins.append(try login(sss))
            unixLogins.append(try login(plain))
        }
        print("  login: sss median \(String(format: "%.3f", median(sssLogins))) ms, unix \(String(format: "%.3f", median(unixLogins))) ms, of \(sssLogins.count) each")
        return [
            Figure(name: "stat_deep_cpu_us_per_op_beryl_root", value: cpu(root), unit: "us", goal: .report),
            Figure(name: "stat_deep_cpu_us_per_op_beryl_checked", value: cpu(checked), unit: "us", goal: .report),
            Figure(name: "stat_cpu_us_per_op_beryl_auth", value: cpu(auth), unit: "us", goal: .report),
            Figure(name: "permission_overhead_ratio", value: ratio(checked, root), unit: "x", goal: .atMost(1.10)),
            Figure(name: "auth_overhead_ratio", value: ratio(auth, root), unit: "x", goal: .atMost(1.10)),
            Figure(name: "sss_vs_unix_stat_cpu_ratio", value: ratio(auth, checked), unit: "x", goal: .report),
            Figure(name: "sss_login_ms", value: median(sssLogins), unit: "ms", goal: .report),
            Figure(name: "unix_login_ms", value: median(unixLogins), unit: "ms", goal: .report),
        ]
    }
}
