import Changelog
import Glibc
import Namespace
import Testing

/// Keeps the namespace-decoder fuzz seeds real: they must decode (the fuzzer starts from valid
/// payloads). Writes them on first run; the committed corpus is then checked on every run.
@Suite struct FuzzSeedTests {
    static var corpus: String {
        let here = "\(#filePath)"
        var parts = here.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/Fuzz/corpus/namespacedecoders"
    }

    @Test func seedsDecode() throws {
        let file = FileMetadata(id: FileID(42), container: ContainerID(7), name: "run1.root", size: 1 << 30, uid: 1000, gid: 1000,
                                layoutID: 0x0010_0002, checksum: [0xde, 0xad, 0xbe, 0xef], locations: [1, 5, 9],
                                unlinkedLocations: [3], xattrs: ["user.tag": "atlas", "sys.acl": "u:1000:rwx"])
        let link = FileMetadata(id: FileID(43), container: ContainerID(7), name: "latest", symlinkTarget: "run1.root")
        let dir = ContainerMetadata(id: ContainerID(7), parent: ContainerID(1), name: "alice", uid: 1000, gid: 1000,
                                    xattrs: ["sys.forced.checksum": "adler"])
        let seeds: [(String, [UInt8])] = [("file", try FileCodec.encode(file)), ("symlink", try FileCodec.encode(link)),
                                          ("container", try ContainerCodec.encode(dir))]
        for (name, bytes) in seeds {
            let path = Self.corpus + "/" + name
            if access(path, F_OK) != 0 {
                let f = fopen(path, "wb")!
                _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
                fclose(f)
            }
        }
        #expect(try FileCodec.decode(seeds[0].1) == file)
        #expect(try ContainerCodec.decode(seeds[2].1) == dir)
    }
}
