import BerylTestSupport
import Foundation
import Glibc
import MGM
import Testing
import XRootD

/// The differential protocol test (Tests/Differential): the stock `xrootd` and `beryl-mgm` answer the
/// same scripted sequence; any difference not listed as intended in differential.py fails.
@Suite(.serialized, .enabled(if: StockTools.hasStockServerAndBindings,
                             "xrootd (xrootd-server) or python3-xrootd is not installed: skipped (make test installs them)"))
struct DifferentialTests {
    static let directory: String = {
        // Tests/MGMTests/DifferentialTests.swift -> Tests/Differential
        var path = "\(#filePath)"
        for _ in 0..<2 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/Differential"
    }()
    static var script: String { directory + "/differential.sh" }

    @Test func stockServerAndBerylAgree() throws {
        let mgm = try #require(ChildProcess.sibling("beryl-mgm"), "beryl-mgm is not built (swift build --build-tests)")
        let scratch = TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let started = ContinuousClock.now
        let run = try ProgramRun.run("/bin/bash", [Self.script, mgm, scratch], timeout: .seconds(90))
        let elapsed = ContinuousClock.now - started
        #expect(run.status == 0, "differential run failed (exit \(run.status)):\n\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("with unintended differences"), "\(run.stdout)\n\(run.stderr)")
        #expect(elapsed < .seconds(30), "the differential run took \(elapsed)")
    }

    /// The script starts the stock server with the stock-server tests' configuration, not a copy that drifted.
    @Test func scriptUsesTheStockServerTestConfiguration() throws {
        let run = try ProgramRun.run("/bin/bash", [Self.script, "--print-config", "/x/y", "1234"], timeout: .seconds(10))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == stockXRootDConfiguration(directory: "/x/y", port: 1234))
    }
}

extension StockTools {
    static var hasStockServerAndBindings: Bool {
        let xrootd = ["/usr/bin/xrootd", "/usr/local/bin/xrootd"].contains { FileManager.default.isExecutableFile(atPath: $0) }
        return xrootd && hasPythonBindings
    }
}
