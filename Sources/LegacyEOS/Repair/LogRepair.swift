import Changelog
import Platform

/// Which format to read the input as.
public enum FormatSelection: String, Sendable, CaseIterable {
    /// By the file magic; for a damaged header, by which format's records verify.
    case automatic = "auto"
    case beryl
    case eos
}

/// Offline repair of a native or legacy changelog (`log-repair`).
///
/// The input is only read (opened read-only and mapped); the output is created with `O_EXCL`, so
/// an existing file is never overwritten, and is written in the input's format with the input's
/// content kind and header flags. If the repair fails after the output was created, the partial
/// output is removed. The output is fsynced (and its directory entry) before returning.
public enum LogRepair {
    /// Repairs `input` into a new file `output`; returns the figures. Throws `.alreadyExists`
    /// when `output` exists, `.io` (ENOENT) when `input` is missing, `.notARegularFile` for a
    /// directory, FIFO or device, `.notAChangelog` when the format cannot be determined under
    /// `.automatic`, `.nothingRecovered` when a forced format recovers no record from a file that
    /// is not a valid empty log of that format (no output is left), `.io` on write errors.
    public static func repair(_ input: String, to output: String, format: FormatSelection = .automatic,
                              progress: ((RepairProgress) -> Void)? = nil) throws(ChangelogError) -> RepairReport {
        if FileSystem.exists(output) { throw ChangelogError(.alreadyExists, path: output, errno: Errno.alreadyExists) }
        return try run(input, output: output, format: format, progress: progress)
    }

    /// Scans `input` exactly as `repair` would and returns the same figures, writing nothing.
    public static func verify(_ input: String, format: FormatSelection = .automatic,
                              progress: ((RepairProgress) -> Void)? = nil) throws(ChangelogError) -> RepairReport {
        try run(input, output: nil, format: format, progress: progress)
    }

    private static func run(_ input: String, output: String?, format selection: FormatSelection,
                            progress: ((RepairProgress) -> Void)?) throws(ChangelogError) -> RepairReport {
        let started = ContinuousClock.now
        let file = try system { () throws(SystemError) in try SystemFile.open(input, access: .readOnly, creation: .openExisting) }
        let size = Int(try system { () throws(SystemError) in try file.size() })
        let region = try system { () throws(SystemError) in try MappedRegion(file: file, length: size) }
        region.advise(.sequential)
        let bytes = region.bytes(count: size)
        let format: LogFormat
        switch selection {
        case .beryl: format = .beryl
        case .eos: format = .eos
        case .automatic:
            guard let guessed = LogFormat.guess(bytes) else {
                throw ChangelogError(.notAChangelog, path: input, offset: LogOffset(0),
                                     detail: "neither a Beryl nor a legacy EOS changelog (no file magic, no valid record in the first MiB); name the format")
            }
            format = guessed
        }
        let report: (UInt64) -> Void = { done in
            progress?(RepairProgress(bytesDone: done, bytesTotal: UInt64(size), elapsedSeconds: seconds(since: started)))
        }
        var result = try withExtendedLifetime(region) { () throws(ChangelogError) -> RepairReport in
            switch format {
            case .eos: try repairLegacy(input, bytes: bytes, output: output, progress: progress == nil ? nil : report)
            case .beryl: try repairNative(input, bytes: bytes, output: output, progress: progress == nil ? nil : report)
            }
        }
        // A forced format that recovers nothing from a file that holds something is a mistake, not a
        // repair: say what the file is, and leave no empty output behind.
        if selection != .automatic && result.healthy == 0 && !(result.header.isOK && result.bytesDiscarded == 0) {
            if let output { try? FileSystem.remove(output) }
            let actual: String = withExtendedLifetime(region) {
                switch LogFormat.guess(bytes) {
                case .eos?: return "a legacy EOS log (use --format eos or auto)"
                case .beryl?: return "a Beryl log (use --format beryl or auto)"
                case nil: return size == 0 ? "empty" : "neither a Beryl nor a legacy EOS log"
                }
            }
            throw ChangelogError(.nothingRecovered, path: input,
                                 detail: "read as --format \(selection.rawValue), \(size) bytes gave no valid record; the file is \(actual)")
        }
        result.elapsedSeconds = seconds(since: started)
        progress?(RepairProgress(bytesDone: UInt64(size), bytesTotal: UInt64(size), elapsedSeconds: result.elapsedSeconds))
        return result
    }

    private static func repairLegacy(_ input: String, bytes: UnsafeRawBufferPointer, output: String?,
                                     progress: ((UInt64) -> Void)?) throws(ChangelogError) -> RepairReport {
        var header = LegacyHeader(version: 1, contentFlag: 0)
        var status: HeaderStatus
        do throws(ChangelogError) {
            let h = try LegacyHeader.decode(bytes, path: input)
            status = .ok(version: UInt16(h.version), content: h.contentFlag)
            header = LegacyHeader(version: 1, contentFlag: h.contentFlag, userFlags: h.userFlags)
        } catch {
            status = .broken(error.detail)
        }
        var repair = LegacyRepair(bytes: bytes, report: RepairReport(format: .eos, header: status))
        guard let output else {
            try repair.run(store: { _, _, _ throws(ChangelogError) in }, progress: progress)
            if !status.isOK { header = repair.inference.header }
            return finish(repair.report, content: header.contentFlag, flags: header.flagsWord)
        }
        let writer = try LegacyLogWriter.create(at: output, header: header)
        do throws(ChangelogError) {
            try repair.run(store: { type, payload, checksum throws(ChangelogError) in
                try writer.append(RecordType(rawValue: type), payload: payload, knownChecksum: checksum)
            }, progress: progress)
            if !status.isOK {
                header = repair.inference.header
                try writer.rewriteHeader(header)
            }
            try writer.close()
        } catch {
            try? FileSystem.remove(output)
            throw error
        }
        return finish(repair.report, content: header.contentFlag, flags: header.flagsWord)
    }

    private static func repairNative(_ input: String, bytes: UnsafeRawBufferPointer, output: String?,
                                     progress: ((UInt64) -> Void)?) throws(ChangelogError) -> RepairReport {
        var repair = NativeRepair(bytes: bytes, path: input, report: RepairReport(format: .beryl, header: .broken("")))
        let header = repair.outputHeader
        guard let output else {
            try repair.run(into: nil, identity: header.identity, progress: progress)
            return finish(repair.report, content: header.contentKind.rawValue, flags: header.flags.rawValue)
        }
        let file = try system { () throws(SystemError) in try SystemFile.open(output, access: .readWrite, creation: .createNew) }
        do throws(ChangelogError) {
            try system { () throws(SystemError) in try file.write(header.encoded(), at: 0) }
            let writer = BufferedFileWriter(file: file, at: UInt64(RecordFormat.fileHeaderSize))
            try repair.run(into: writer, identity: header.identity, progress: progress)
            try writer.flush()
            try system { () throws(SystemError) in try file.syncAll() }
            try system { () throws(SystemError) in try FileSystem.syncDirectory(FileSystem.directory(of: output)) }
        } catch {
            try? FileSystem.remove(output)
            throw error
        }
        return finish(repair.report, content: header.contentKind.rawValue, flags: header.flags.rawValue)
    }

    private static func finish(_ report: RepairReport, content: UInt16, flags: UInt32) -> RepairReport {
        var r = report
        r.outputContent = content
        r.outputFlags = flags
        return r
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
