import BenchSupport
import Foundation
import Glibc
import MGM
import XRootD

/// The cost of sss authentication in `beryl-bench xrootd`: stat of a path 6 directories deep on 16
/// sss-authenticated connections (`beryl-mgm --auth sss`) against the same on unauthenticated ones (the
/// default `--auth unix`), server CPU per operation, phases interleaved twice; and the sss login time
/// (connect, handshake, kXR_login, kXR_auth) of one client, median of 200.
extension XRootDSuite {
    static let deepPath = "/bench/d1/d2/d3/d4/d5/d6/file"

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
        let plain = try BenchServer.beryl(durability: "none")
        defer { plain.stop() }
        var sss = try BenchServer.beryl(durability: "none", arguments: ["--auth", "sss", "--keytab", keytab])
        sss.authenticator = SecurityClient()
        defer { sss.stop() }
        for server in [plain, sss] {
            let client = try server.client()
            try client.mkdir("/bench/d1/d2/d3/d4/d5/d6", options: .makePath)
            try client.close(try client.open(Self.deepPath, options: [.delete, .update], mode: 0o644))
        }
        var unauthenticated: [Phase] = [], authenticated: [Phase] = []
        for _ in 0..<2 {
            unauthenticated.append(try phase(plain, "stat-deep") { client, _, _ in _ = try client.stat(Self.deepPath) })
            authenticated.append(try phase(sss, "stat-deep-sss") { client, _, _ in _ = try client.stat(Self.deepPath) })
        }
        func cpu(_ phases: [Phase]) -> Double {
            phases.reduce(0) { $0 + $1.serverCPUSeconds } * 1e6 / Double(max(1, phases.reduce(0) { $0 + $1.operations }))
        }
        var logins: [Double] = []
        for _ in 0..<(quick ? 50 : 200) {
            let start = DispatchTime.now().uptimeNanoseconds
            let client = try sss.client()
            logins.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            client.disconnect()
        }
        logins.sort()
        let ours = cpu(authenticated), base = cpu(unauthenticated)
        print("  sss login: median \(String(format: "%.3f", logins[logins.count / 2])) ms of \(logins.count)")
        return [
            Figure(name: "stat_cpu_us_per_op_beryl_auth", value: ours, unit: "us", goal: .report),
            Figure(name: "stat_cpu_us_per_op_beryl_unauth", value: base, unit: "us", goal: .report),
            Figure(name: "auth_overhead_ratio", value: ours / base, unit: "x", goal: .atMost(1.10)),
            Figure(name: "sss_login_ms", value: logins[logins.count / 2], unit: "ms", goal: .report),
        ]
    }
}
