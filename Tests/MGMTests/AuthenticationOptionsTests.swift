import Foundation
import Glibc
import MGM
import Testing

/// `--auth`, `--keytab`, `--krb5-keytab` and `--krb5-principal` as `serve` checks them before anything
/// starts (`AuthenticationService.validate`): each bad combination refused with its reason.
@Suite struct AuthenticationOptionsTests {
    struct Case: CustomStringConvertible {
        var names: [String]
        var keytab: String? = nil
        var krb5Keytab: String? = nil
        var krb5Principal: String? = nil
        /// nil: accepted; else a part of the refusal.
        var refusal: String?
        var description: String { "\(names) keytab=\(keytab ?? "-") krb5=\(krb5Keytab ?? "-") \(krb5Principal ?? "-")" }
    }

    @Test func eachCombinationIsAcceptedOrRefusedWithItsReason() throws {
        let folder = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let privateFile = folder + "/private.keytab", sharedFile = folder + "/shared.keytab"
        for path in [privateFile, sharedFile] { _ = FileManager.default.createFile(atPath: path, contents: Data([5, 2])) }
        chmod(privateFile, 0o600)
        chmod(sharedFile, 0o644)
        let cases: [Case] = [
            Case(names: ["unix"], refusal: nil),
            Case(names: ["none"], refusal: nil),
            Case(names: ["sss", "unix"], keytab: privateFile, refusal: nil),
            Case(names: ["krb5", "unix"], krb5Keytab: privateFile, krb5Principal: "xrootd/localhost@BERYL.TEST", refusal: nil),
            Case(names: ["krb5", "sss"], keytab: privateFile, krb5Keytab: privateFile, refusal: nil),
            Case(names: [], refusal: "no protocol given"),
            Case(names: ["gsi"], refusal: "unknown protocol 'gsi'"),
            Case(names: ["none", "unix"], refusal: "cannot be combined"),
            Case(names: ["sss", "sss"], keytab: privateFile, refusal: "named twice"),
            Case(names: ["sss"], refusal: "--auth sss needs --keytab"),
            Case(names: ["unix"], keytab: privateFile, refusal: "--keytab is for sss"),
            Case(names: ["sss"], keytab: sharedFile, refusal: "readable by others (mode 644)"),
            Case(names: ["sss"], keytab: folder + "/missing", refusal: "No such file or directory"),
            Case(names: ["sss"], keytab: folder, refusal: "not a regular file"),
            Case(names: ["krb5"], krb5Keytab: "relative.keytab", refusal: "give an absolute path"),
            Case(names: ["krb5"], krb5Keytab: sharedFile, refusal: "--krb5-keytab \(sharedFile): readable by others"),
            Case(names: ["krb5"], krb5Keytab: folder + "/missing", refusal: "--krb5-keytab \(folder)/missing"),
            Case(names: ["krb5"], krb5Keytab: privateFile, krb5Principal: "xrootd/a b", refusal: "expected a principal"),
            Case(names: ["krb5"], krb5Keytab: privateFile, krb5Principal: "-exptkn", refusal: "expected a principal"),
            Case(names: ["sss"], keytab: privateFile, krb5Keytab: privateFile, refusal: "for krb5, which --auth does not name"),
            Case(names: ["unix"], krb5Principal: "xrootd/localhost", refusal: "for krb5, which --auth does not name"),
        ]
        for test in cases {
            do {
                try AuthenticationService.validate(test.names, keytab: test.keytab, krb5Keytab: test.krb5Keytab,
                                                   krb5Principal: test.krb5Principal)
                #expect(test.refusal == nil, "accepted: \(test)")
            } catch {
                let text = "\(error)"
                #expect(test.refusal.map { text.contains($0) } == true, "\(test): \(text)")
            }
        }
    }
}
