import Changelog
import Glibc
import Namespace
import LegacyEOS

extension FuzzBodies {
    /// The legacy EOS scanner and header decoder on arbitrary bytes (as a whole file).
    public static func legacyScanner(_ data: UnsafeRawBufferPointer) {
        _ = try? LegacyHeader.decode(data, path: "<fuzz>")
        var total = 0
        _ = LegacyScanner(bytes: data).forEachRecord(from: min(8, data.count)) { r in
            total &+= r.payload.count
            return true
        }
    }

    /// Both repair engines (and format detection) on arbitrary bytes written to a file, output
    /// to another file; both files are removed afterwards.
    public static func repair(_ data: UnsafeRawBufferPointer) {
        let dir = "/tmp/beryl-fuzz-repair-\(getpid())"
        mkdir(dir, 0o755)
        let input = dir + "/in", output = dir + "/out"
        let fd = open(input, O_CREAT | O_TRUNC | O_WRONLY, 0o644)
        if fd >= 0 {
            _ = write(fd, data.baseAddress, data.count)
            close(fd)
        }
        for format in [FormatSelection.automatic, .beryl, .eos] {
            unlink(output)
            _ = try? LogRepair.repair(input, to: output, format: format)
        }
        unlink(output)
        unlink(input)
    }

    /// The namespace payload decoders.
    public static func namespaceDecoders(_ data: UnsafeRawBufferPointer) {
        _ = try? FileCodec.decode(data)
        _ = try? ContainerCodec.decode(data)
    }
}
