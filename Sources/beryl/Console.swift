import ArgumentParser
import Glibc
import MGM
import XRootD
import Platform

/// How network commands reach the MGM.
enum Console {
    /// $BERYL_MGM (set from `--mgm`), then $EOS_MGM_URL, then root://127.0.0.1:1094.
    static var endpoint: Endpoint {
        get throws {
            let names = ["BERYL_MGM", "EOS_MGM_URL"]
            let text = names.lazy.compactMap { (name: String) -> String? in getenv(name).map { String(cString: $0) } }.first
                ?? "root://127.0.0.1:1094"
            guard let endpoint = Endpoint(parsing: text) else { throw ValidationError("bad MGM address '\(text)'") }
            return endpoint
        }
    }

    /// The Unix user running the console: the name declared at login (admin commands need root).
    static var user: String {
        guard let entry = getpwuid(getuid()) else { return "nobody" }
        return String(cString: entry.pointee.pw_name)
    }

    static func client() throws -> XRootDClient {
        let endpoint = try endpoint
        do {
            // A server that asks for authentication gets it as the stock clients give it (XrdSecPROTOCOL,
            // XrdSecSSSKT, ...; unix: the user running the console), through XRootD's own library.
            var options = XRootDClient.Options(user: user, maximumTotalWait: .seconds(300))
            options.authenticator = SecurityClient()
            return try XRootDClient(endpoint, options: options)
        } catch {
            throw fail(error, "connect to \(endpoint)")
        }
    }

    /// Prints an error as the legacy console did and returns the exit code: the errno of the failure.
    static func fail(_ error: XRootDError, _ what: String) -> ExitCode {
        let code: Int32
        if let server = error.serverError {
            printError("error: \(server.message) (errno=\(server.errno))")
            code = server.errno
        } else {
            printError("error: \(what): \(error)")
            code = EIO
        }
        return ExitCode(code)
    }

    static func printError(_ text: String) {
        writeError(text + "\n")
    }

    /// Writes to standard error (`StandardError`: file descriptor 2).
    static func writeError(_ text: String) { StandardError.write(text) }

    /// Runs `operation`, turning an XRootD error into the printed message and exit code.
    static func run<T>(_ what: String, _ operation: () throws(XRootDError) -> T) throws -> T {
        do throws(XRootDError) {
            return try operation()
        } catch {
            throw fail(error, what)
        }
    }

    /// `name -> target` of the symbolic links in `directory` (empty when the server does not say: a
    /// user other than root, or an older server).
    static func symlinks(in directory: String) -> [String: String] {
        guard let client = try? client(),
              let bytes = try? client.readFile(AdminRequest.path(for: ["fileinfo", "--symlinks", directory])),
              let result = AdminResult(encoded: String(decoding: bytes, as: UTF8.self)), result.returnCode == 0 else { return [:] }
        var links: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            if parts.count == 2 { links[String(parts[0])] = String(parts[1]) }
        }
        return links
    }

    /// Runs an admin command: prints its stdout and stderr, exits with its return code.
    static func admin(_ words: [String]) throws {
        let client = try client()
        let bytes = try run(words.joined(separator: " ")) { () throws(XRootDError) in
            try client.readFile(AdminRequest.path(for: words))
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let result = AdminResult(encoded: text) else {
            printError("error: unexpected answer to '\(words.joined(separator: " "))': \(text.prefix(200))")
            throw ExitCode(EIO)
        }
        if !result.stdout.isEmpty { print(result.stdout, terminator: result.stdout.hasSuffix("\n") ? "" : "\n") }
        if !result.stderr.isEmpty { writeError(result.stderr) }
        if result.returnCode != 0 { throw ExitCode(result.returnCode) }
    }
}
