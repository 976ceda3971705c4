import Glibc
import Testing
@testable import Replication

/// The secret file is refused unless only its owner can read it, it is a regular file, and it holds
/// 1...4096 bytes (one trailing newline removed).
@Suite struct SyncSecretTests {
    /// A fresh directory under /tmp, removed with its files by `cleanup`.
    static func directory() -> String {
        var template = Array("/tmp/beryl-secret-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        return path
    }

    static func write(_ path: String, _ bytes: [UInt8], mode: mode_t) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        fchmod(fd, mode)
        close(fd)
    }

    static func cleanup(_ directory: String) { _ = system("rm -rf '\(directory)'") }

    static func refusal(_ path: String) -> String? {
        do {
            _ = try SyncSecret.load(from: path)
            return nil
        } catch {
            guard case .secretFile(let errorPath, let reason) = error else { return "wrong error \(error)" }
            #expect(errorPath == path)
            return reason
        }
    }

    @Test func ownerOnlyFilesLoadWithoutTheTrailingNewline() throws {
        let dir = Self.directory()
        defer { Self.cleanup(dir) }
        Self.write(dir + "/rw", Array("s3cret\n".utf8), mode: 0o600)
        Self.write(dir + "/ro", Array("s3cret".utf8), mode: 0o400)
        Self.write(dir + "/two", Array("s3cret\n\n".utf8), mode: 0o600)
        #expect(try SyncSecret.load(from: dir + "/rw").bytes == Array("s3cret".utf8))
        #expect(try SyncSecret.load(from: dir + "/ro").bytes == Array("s3cret".utf8))
        #expect(try SyncSecret.load(from: dir + "/two").bytes == Array("s3cret\n".utf8))
        let binary = (0...255).map { UInt8($0) } + (0...255).map { UInt8($0) }
        Self.write(dir + "/bin", binary, mode: 0o600)
        #expect(try SyncSecret.load(from: dir + "/bin").bytes == binary)
    }

    @Test(arguments: [mode_t(0o640), 0o604, 0o644, 0o660, 0o666, 0o601, 0o610])
    func groupOrOtherBitsAreRefusedNamingTheMode(mode: mode_t) {
        let dir = Self.directory()
        defer { Self.cleanup(dir) }
        Self.write(dir + "/s", Array("secret".utf8), mode: mode)
        let reason = Self.refusal(dir + "/s")
        #expect(reason?.contains("0" + String(mode, radix: 8)) == true, "\(reason ?? "loaded")")
        #expect(reason?.contains("too open") == true)
    }

    @Test func missingFileIsRefused() {
        let reason = Self.refusal("/tmp/beryl-no-such-secret-\(getpid())")
        #expect(reason?.contains("No such file") == true, "\(reason ?? "loaded")")
    }

    @Test func directoryIsRefused() {
        let dir = Self.directory()
        defer { Self.cleanup(dir) }
        chmod(dir, 0o700)
        #expect(Self.refusal(dir) == "not a regular file")
    }

    @Test func fifoIsRefusedWithoutBlocking() {
        let dir = Self.directory()
        defer { Self.cleanup(dir) }
        mkfifo(dir + "/fifo", 0o600)
        #expect(Self.refusal(dir + "/fifo") == "not a regular file")
    }

    @Test func emptyFilesAreRefused() {
        let dir = Self.directory()
        defer { Self.cleanup(dir) }
        Self.write(dir + "/empty", [], mode: 0o600)
        Self.write(dir + "/newline", [10], mode: 0o600)
        #expect(Self.refusal(dir + "/empty") == "empty")
        #expect(Self.refusal(dir + "/newline") == "empty")
    }

    @Test func sizeLimitIs4096Bytes() throws {
        let dir = Self.directory()
        defer { Self.cleanup(dir) }
        Self.write(dir + "/max", [UInt8](repeating: 0x41, count: 4096), mode: 0o600)
        Self.write(dir + "/over", [UInt8](repeating: 0x41, count: 4097), mode: 0o600)
        #expect(try SyncSecret.load(from: dir + "/max").bytes.count == 4096)
        let reason = Self.refusal(dir + "/over")
        #expect(reason?.contains("4097 bytes") == true, "\(reason ?? "loaded")")
    }

    @Test func symbolicLinkIsCheckedAtItsTarget() throws {
        let dir = Self.directory()
        defer { Self.cleanup(dir) }
        Self.write(dir + "/good", Array("k".utf8), mode: 0o600)
        Self.write(dir + "/open", Array("k".utf8), mode: 0o644)
        symlink(dir + "/good", dir + "/link-good")
        symlink(dir + "/open", dir + "/link-open")
        #expect(try SyncSecret.load(from: dir + "/link-good").bytes == Array("k".utf8))
        #expect(Self.refusal(dir + "/link-open")?.contains("0644") == true)
    }

    @Test func descriptionHidesTheSecret() {
        #expect(SyncSecret(bytes: Array("hunter2".utf8)).description == "SyncSecret(7 bytes)")
        #expect(!"\(SyncSecret(bytes: Array("hunter2".utf8)))".contains("hunter2"))
    }
}
