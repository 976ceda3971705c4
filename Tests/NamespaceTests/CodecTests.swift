import Testing
@testable import Namespace

@Suite struct CodecTests {
    static func randomFile(_ g: inout SeededGenerator) -> FileMetadata {
        var m = FileMetadata(id: FileID(UInt64.random(in: 1...UInt64.max, using: &g)),
                             container: ContainerID(UInt64.random(in: 0...1000, using: &g)),
                             name: "f\(UInt32.random(in: 0...UInt32.max, using: &g))é")
        m.ctime = Timestamp(seconds: Int64.random(in: -5...Int64.max, using: &g), nanoseconds: 999_999_999)
        m.mtime = Timestamp(seconds: 42, nanoseconds: UInt32.random(in: 0...999_999_999, using: &g))
        m.size = UInt64.random(in: 0...UInt64.max, using: &g)
        m.flags = UInt32.random(in: 0...UInt32.max, using: &g)
        m.uid = 1
        m.gid = 2
        m.mode = 0o100600
        m.layoutID = 0x0010_0112
        m.checksum = (0..<Int.random(in: 0...20, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
        m.locations = (0..<Int.random(in: 0...4, using: &g)).map { UInt32($0 + 1) }
        m.unlinkedLocations = (0..<Int.random(in: 0...2, using: &g)).map { UInt32($0 + 100) }
        for i in 0..<Int.random(in: 0...3, using: &g) { m.xattrs["user.k\(i)"] = String(repeating: "v", count: i) }
        if Bool.random(using: &g) { m.symlinkTarget = "/some/where/\(m.id)" }
        return m
    }

    @Test func fileRoundTrip() throws {
        var g = SeededGenerator(seed: 1)
        for _ in 0..<200 {
            let m = Self.randomFile(&g)
            let bytes = try FileCodec.encode(m)
            #expect(bytes.prefix(8).elementsEqual(withUnsafeBytes(of: m.id.rawValue.littleEndian) { Array($0) }))
            #expect(bytes[8] == FileCodec.version)
            #expect(try FileCodec.decode(bytes) == m)
        }
    }

    @Test func containerRoundTrip() throws {
        let root = ContainerMetadata(id: .root, parent: .root, name: "", ctime: fixedTime, mtime: fixedTime)
        #expect(try ContainerCodec.decode(try ContainerCodec.encode(root)) == root)
        let c = ContainerMetadata(id: ContainerID(77), parent: ContainerID(5), name: "data", ctime: fixedTime,
                                  mtime: Timestamp(seconds: 9, nanoseconds: 8), uid: 3, gid: 4, mode: 0o40700, flags: 1,
                                  xattrs: ["sys.acl": "u:1:rwx", "a": "", "z": "last"])
        let bytes = try ContainerCodec.encode(c)
        #expect(bytes.count == ContainerCodec.fixedSize + 1 + 4 + 2 + (4 + 7 + 7) + (4 + 1) + (4 + 1 + 4))
        #expect(try ContainerCodec.decode(bytes) == c)
    }

    @Test func everyTruncationThrows() throws {
        var g = SeededGenerator(seed: 2)
        for _ in 0..<20 {
            let bytes = try FileCodec.encode(Self.randomFile(&g))
            for n in 0..<bytes.count { #expect(throws: CodecError.self) { try FileCodec.decode(Array(bytes[0..<n])) } }
        }
        let c = try ContainerCodec.encode(ContainerMetadata(id: ContainerID(9), parent: .root, name: "d", xattrs: ["k": "v"]))
        for n in 0..<c.count { #expect(throws: CodecError.self) { try ContainerCodec.decode(Array(c[0..<n])) } }
    }

    @Test func badBytesNeverTrap() throws {
        var g = SeededGenerator(seed: 3)
        var decoded = 0
        for i in 0..<20_000 {
            var bytes: [UInt8]
            if i % 2 == 0 {
                bytes = (0..<Int.random(in: 0...120, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
                if bytes.count > 8 { bytes[8] = 1 } // get past the version check
            } else {
                bytes = try FileCodec.encode(Self.randomFile(&g))
                for _ in 0..<Int.random(in: 1...3, using: &g) {
                    bytes[Int.random(in: 0..<bytes.count, using: &g)] = UInt8.random(in: 0...255, using: &g)
                }
            }
            if (try? FileCodec.decode(bytes)) != nil { decoded += 1 }
            _ = try? ContainerCodec.decode(bytes)
        }
        #expect(decoded > 0) // flips in fixed fields still decode
    }

    @Test func specificErrors() throws {
        var bytes = try FileCodec.encode(FileMetadata(id: FileID(5), container: .root, name: "x"))
        bytes[8] = 3
        #expect(throws: CodecError.unsupportedVersion(3)) { try FileCodec.decode(bytes) }
        bytes[8] = 1
        #expect(throws: CodecError.trailingBytes(1)) { try FileCodec.decode(bytes + [0]) }
        bytes[FileCodec.fixedSize + 1] = 0x2F // name "/"
        #expect(throws: CodecError.invalidName(offset: FileCodec.fixedSize)) { try FileCodec.decode(bytes) }
        let zero = try FileCodec.encode(FileMetadata(id: FileID(0), container: .root, name: "x"))
        #expect(throws: CodecError.zeroID) { try FileCodec.decode(zero) }
        #expect(throws: CodecError.self) { try FileCodec.encode(FileMetadata(id: FileID(1), container: .root, name: "x",
                                                                              checksum: [UInt8](repeating: 1, count: 256))) }
    }
}
