import Glibc
import MGM
import Testing
import XRootD

/// Regressions found by the differential test: error answers as the stock server words them.
@Suite struct StockErrorAnswerTests {
    private func serverError(_ operation: () throws(XRootDError) -> Void) -> ServerError? {
        do throws(XRootDError) {
            try operation()
            return nil
        } catch {
            return error.serverError
        }
    }

    /// XrdOfs's words: a stat is "locate", mkdir "mkdir", chmod "change", a mv names its source only,
    /// an open that may create is "create".
    @Test func errorTextsUseTheStockServerWords() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        try client.mkdir("/d/e", options: .makePath)
        try client.close(client.open("/d/f", options: [.new, .update]))
        let cases: [(String, () throws(XRootDError) -> Void)] = [
            ("[3011] Unable to locate /nope; no such file or directory", { () throws(XRootDError) in _ = try client.stat("/nope") }),
            ("[3005] Unable to locate /d/f/x; not a directory", { () throws(XRootDError) in _ = try client.stat("/d/f/x") }),
            ("[3011] Unable to mkdir /x/y; no such file or directory", { () throws(XRootDError) in try client.mkdir("/x/y") }),
            ("[3018] Unable to mkdir /d/f; file exists", { () throws(XRootDError) in try client.mkdir("/d/f") }),
            ("[3011] Unable to change /nope; no such file or directory", { () throws(XRootDError) in try client.chmod("/nope", mode: 0o700) }),
            ("[3011] Unable to rename /nope; no such file or directory", { () throws(XRootDError) in try client.mv("/nope", to: "/d/z") }),
            ("[3000] Unable to rename /d; invalid argument", { () throws(XRootDError) in try client.mv("/d", to: "/d/e/inside") }),
            ("[3018] Unable to create /d/f; file exists", { () throws(XRootDError) in _ = try client.open("/d/f", options: [.new, .update]) }),
            ("[3016] Unable to create /d/e; is a directory", { () throws(XRootDError) in _ = try client.open("/d/e", options: [.delete, .update]) }),
            ("[3011] Unable to open /nope; no such file or directory", { () throws(XRootDError) in _ = try client.open("/nope") }),
        ]
        for (expected, operation) in cases {
            let error = serverError(operation)
            #expect(error.map { "[\($0.code.rawValue)] \($0.message)" } == expected)
        }
    }
}
