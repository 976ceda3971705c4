import Foundation
import MGM
import Testing
import XRootD

/// The server's `ns` answer against a golden text: the legacy layout line for line (the `# ----` and
/// `# ....` decoration, the groups, `memory growths`, `threads`, and the `Replication` line's legacy
/// fields first), with the figures that vary from run to run masked.
@Suite struct NsOutputGoldenTests {
    /// Numbers become `N`, readable sizes `N <size>`, the data directory `<data>` and the port `<port>`.
    static func masked(_ text: String, directory: String, port: Int) -> String {
        var s = text.replacingOccurrences(of: directory, with: "<data>").replacingOccurrences(of: ":\(port)", with: ":<port>")
        s = s.replacingOccurrences(of: "[0-9]+(\\.[0-9]+)?", with: "N", options: .regularExpression)
        return s.replacingOccurrences(of: "N (B|kB|MB|GB|TB)\\b", with: "N <size>", options: .regularExpression)
    }

    @Test func nsOfAMaster() throws {
        let server = try TestServer()
        defer { server.stop() }
        try server.namespace.createContainer("/data/x", missingParents: .create)
        let root = try server.client(user: "root")
        let text = String(decoding: try root.readFile(AdminRequest.path(for: ["ns"])), as: UTF8.self)
        let answer = try #require(AdminResult(encoded: text))
        let dashes = "# ------------------------------------------------------------------------------------"
        let dots = "# ...................................................................................."
        #expect(Self.masked(answer.stdout, directory: server.directory, port: server.port) == """
            \(dashes)
            # Namespace Statistic
            \(dashes)
            ALL      Files                            N [booted] (Ns)
            ALL      Directories                      N
            ALL      Total boot time                  N s
            \(dots)
            ALL      Compactification                 status=off waitstart=N interval=N ratio-file=N:N ratio-dir=N:N
            \(dots)
            ALL      Replication                      mode=master-rw state=master-rw master=N.N:<port> configdir=<data> config=none active=true epoch=N sync=none remotecheck=disabled
            \(dots)
            ALL      File Changelog Size              N <size>
            ALL      Dir  Changelog Size              N <size>
            \(dots)
            ALL      avg. File Entry Size             N <size>
            ALL      avg. Dir  Entry Size             N <size>
            \(dashes)
            ALL      files created since boot         N
            ALL      container created since boot     N
            ALL      current file id                  N
            ALL      current container id             N
            \(dashes)
            ALL      memory virtual                   N <size>
            ALL      memory resident                  N <size>
            ALL      memory share                     N <size>
            ALL      memory growths                   N <size>
            ALL      threads                          N
            \(dashes)

            """)
    }
}
