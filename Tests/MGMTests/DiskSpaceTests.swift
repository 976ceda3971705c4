import Foundation
import Glibc
import MGM
import Replication
import Testing
import XRootD

/// A single master whose data disk falls below `--min-free`: mutations are refused with kXR_NoSpace
/// (a message naming the free bytes and the minimum) and change nothing, reads go on, and once space
/// returns writes are accepted again (the stall that replaced this never cleared on a single master).
/// The disk is a 64 MiB tmpfs mounted on the data directory when this process may mount one; otherwise
/// the free figure is injected (`BERYL_FAULT_FREE_BYTES_FILE`, debug builds).
@Suite(.serialized) struct DiskSpaceTests {
    static let minimum = 16 << 20

    @Test func lowDiskRefusesMutationsWithNoSpaceAndClearsWhenSpaceReturns() throws {
        let hookDirectory = TestServer.temporaryDirectory()
        let hook = hookDirectory + "/free-bytes"
        var mountPoint: String?
        let node = try MGMNode.singleMaster(arguments: ["--min-free", "\(Self.minimum)", "--log-level", "info"],
                                            environment: ["BERYL_FAULT_FREE_BYTES_FILE": hook]) { directory in
            let run = try? ProgramRun.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", directory])
            if run?.status == 0 { mountPoint = directory }
        }
        defer {
            node.terminate()
            if let mountPoint { _ = try? ProgramRun.run("/bin/umount", [mountPoint]) }
            node.stop()
            try? FileManager.default.removeItem(atPath: hookDirectory)
        }
        let client = try node.directClient()
        try client.mkdir("/kept")
        let filler = node.directory + "/filler"
        // Fill the disk to below the minimum (or say so through the hook).
        if mountPoint != nil {
            var s = statvfs()
            #expect(statvfs(node.directory, &s) == 0)
            let free = Int(s.f_bavail) * Int(s.f_frsize)
            let fd = open(filler, O_CREAT | O_WRONLY, 0o600)
            #expect(fd >= 0 && posix_fallocate(fd, 0, off_t(free - (8 << 20))) == 0)
            close(fd)
        } else {
            try "\(8 << 20)\n".write(toFile: hook, atomically: true, encoding: .utf8)
        }
        // The supervisor notices within a round (1 s) and logs it.
        #expect(PairFixture.eventually(10) { try !node.masterLogLines(containing: "disk space low").isEmpty })
        let refusal = serverErrorOf { try client.mkdir("/refused") }
        #expect(refusal?.code == .noSpace, "\(String(describing: refusal))")
        let message = refusal?.message ?? ""
        #expect(message.hasPrefix("Unable to mkdir /refused; no space left on device: the data disk has "), "\(message)")
        #expect(message.contains(" bytes free, below the minimum of \(Self.minimum) bytes (--min-free)"), "\(message)")
        // Every mutation is refused at once (no kXR_wait), and changes nothing; reads go on.
        #expect(serverErrorOf { _ = try client.open("/new-file", options: [.new]) }?.code == .noSpace)
        #expect(serverErrorOf { try client.rmdir("/kept") }?.code == .noSpace)
        #expect(serverErrorOf { try client.mv("/kept", to: "/moved") }?.code == .noSpace)
        #expect(try client.stat("/kept").isDirectory)
        #expect(try client.dirlist("/").names == ["kept"])
        #expect(serverErrorOf { _ = try client.stat("/refused") }?.code == .notFound)
        // Space returns: writes are accepted again within a supervisor round or two.
        if mountPoint != nil {
            #expect(unlink(filler) == 0)
        } else {
            try "\(1 << 40)\n".write(toFile: hook, atomically: true, encoding: .utf8)
        }
        #expect(PairFixture.eventually(10) { (try? client.mkdir("/back")) != nil }, "writes still refused after space returned")
        #expect(try client.dirlist("/").names.sorted() == ["back", "kept"])
        let lows = try node.masterLogLines(containing: "disk space low")
        let backs = try node.masterLogLines(containing: "disk space is back")
        #expect(lows.count == 1 && backs.count == 1, "\(lows) \(backs)")
        #expect(lows.first?.contains("WARN") == true && backs.first?.contains("INFO") == true)
        // Both changes are in the service log too, once each.
        let service = node.serviceLog
        #expect(service.components(separatedBy: "disk space low").count == 2, "\(service.suffix(800))")
        #expect(service.components(separatedBy: "disk space is back").count == 2, "\(service.suffix(800))")
        print("disk space: refused with \"\(message)\" (\(mountPoint != nil ? "64 MiB tmpfs" : "injected free figure")), cleared")
    }

    /// The default minimum is the smaller of 100 MiB and 5 % of the file system.
    @Test func defaultMinimumIsTheSmallerOfOneHundredMiBAndFivePercent() {
        #expect(DiskSpace.defaultMinimum(fileSystemSize: 64 << 20) == (64 << 20) / 20)
        #expect(DiskSpace.defaultMinimum(fileSystemSize: 1 << 40) == 100 << 20)
        #expect(DiskSpace.defaultMinimum(fileSystemSize: 2000 << 20) == 100 << 20)
    }
}
