import BerylTestSupport
import Foundation
import Glibc
import MGM
import Namespace
import Testing
import XRootD

/// The console's entry commands against a server, golden outputs: fileinfo (text and JSON), attr,
/// find, and `ls -l` showing a symlink as `l... name -> target`.
@Suite(.enabled(if: ExecutableTests.haveExecutables, "build the executables first (swift build)"))
struct SurfaceConsoleTests {
    static let time = Timestamp(seconds: 1_600_000_000, nanoseconds: 170_947_710)

    /// /g/f: two replicas with adler32 (layout 0x00100112), a checksum, locations, an xattr; /g/link -> f;
    /// /g/sub/deep/x; all with fixed times.
    static func seed(_ ns: Namespace) throws {
        try ns.createContainer("/g/sub/deep", attributes: CreationAttributes(time: time), missingParents: .create)
        let id = try ns.createFile("/g/f", attributes: CreationAttributes(uid: 0, gid: 0, mode: 0o100644, time: time,
                                                                         layoutID: 0x0010_0112))
        try ns.setChecksum(id, [0x0f, 0xc8, 0x02, 0x71])
        try ns.addLocation(3, to: id)
        try ns.addLocation(5, to: id)
        try ns.setXattr(id, key: "user.b", value: "2")
        _ = try ns.createSymlink("/g/link", target: "f", attributes: CreationAttributes(time: time))
        _ = try ns.createFile("/g/sub/deep/x.txt", attributes: CreationAttributes(time: time))
        _ = try ns.createFile("/g/sub/y.dat", attributes: CreationAttributes(time: time))
    }

    @Test func fileinfoAttrFindAndSymlinks() throws {
        let server = try TestServer()
        defer { server.stop() }
        try Self.seed(server.namespace)
        let fid = try server.namespace.fileID(at: "/g/f").rawValue
        let parent = try server.namespace.containerID(at: "/g").rawValue
        let beryl = try #require(ExecutableTests.sibling("beryl"))
        func console(_ arguments: String...) throws -> ProgramRun {
            try ProgramRun.run(beryl, ["--mgm", server.url] + arguments, timeout: .seconds(30))
        }
        func hex8(_ v: UInt64) -> String { let d = String(v, radix: 16); return String(repeating: "0", count: 8 - d.count) + d }

        let info = try console("fileinfo", "/g/f")
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout == """
              File: '/g/f'  Flags: 0644
              Size: 0
            Modify: Sun Sep 13 12:26:40 2020 Timestamp: 1600000000.170947710
            Change: Sun Sep 13 12:26:40 2020 Timestamp: 1600000000.170947710
              CUid: 0 CGid: 0  Fxid: \(hex8(fid)) Fid: \(fid)  Pid: \(parent)  Pxid: \(hex8(parent))
            XStype: adler32  XS: 0fc80271
            Layout: replica Stripes: 2 Blocksize: 4k LayoutId: 0x00100112 Blockxs: none
              #Rep: 2  Locations: 3,5  Unlinked: -  FileFlags: 0x0
             Xattr: user.b="2"

            """, "\(info.stdout)")
        let json = try console("fileinfo", "--json", "/g/f")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((object?["checksum"] as? [String: Any])?["value"] as? String == "0fc80271", "\(json.stdout)")
        #expect((object?["checksum"] as? [String: Any])?["type"] as? String == "adler32")
        #expect((object?["layout"] as? [String: Any])?["stripes"] as? Int == 2)
        #expect(object?["locations"] as? [Int] == [3, 5])
        #expect(object?["xattrs"] as? [String: String] == ["user.b": "2"])
        #expect(object?["mtime"] as? String == "1600000000.170947710")
        let missing = try console("fileinfo", "/g/nope")
        #expect(missing.status == ENOENT && missing.stderr.contains("fileinfo /g/nope: no such file or directory"), "\(missing.stderr)")

        // attr: set (a quoted value), get, ls, rm, and -r over the directories of a tree.
        #expect(try console("attr", "set", "user.color=\"blue\"", "/g/f").status == 0)
        #expect(try console("attr", "get", "user.color", "/g/f").stdout == "user.color=\"blue\"\n")
        #expect(try console("attr", "ls", "/g/f").stdout == "user.b=\"2\"\nuser.color=\"blue\"\n")
        #expect(try console("attr", "rm", "user.color", "/g/f").status == 0)
        let gone = try console("attr", "get", "user.color", "/g/f")
        #expect(gone.status == ENODATA && gone.stderr.contains("no such attribute"), "\(gone.stderr)")
        #expect(try console("attr", "-r", "set", "sys.forced.checksum=adler", "/g").status == 0)
        #expect(try console("attr", "-r", "ls", "/g").stdout == """
            /g:
            sys.forced.checksum="adler"
            /g/sub:
            sys.forced.checksum="adler"
            /g/sub/deep:
            sys.forced.checksum="adler"

            """)
        #expect(try console("attr", "set", "novalue", "/g").status == 64)

        // find: each directory's listing printed as it arrives (its entries sorted), then its subdirectories.
        #expect(try console("find", "/g").stdout == "/g/\n/g/f\n/g/link\n/g/sub/\n/g/sub/deep/\n/g/sub/y.dat\n/g/sub/deep/x.txt\n")
        #expect(try console("find", "-d", "/g").stdout == "/g/\n/g/sub/\n/g/sub/deep/\n")
        #expect(try console("find", "-f", "--maxdepth", "1", "/g").stdout == "/g/f\n/g/link\n")
        #expect(try console("find", "--name", "*.txt", "/g").stdout == "/g/sub/deep/x.txt\n")

        // ls -l: the symlink as l... name -> target.
        let long = try console("ls", "-l", "/g")
        let link = long.stdout.split(separator: "\n").first { $0.hasSuffix("link -> f") }
        #expect(link?.hasPrefix("lrwxrwxrwx") == true, "\(long.stdout)")
        #expect(long.stdout.split(separator: "\n").contains { $0.hasPrefix("-rw-r--r--") && $0.hasSuffix(" f") }, "\(long.stdout)")
    }
}
