import ArgumentParser
import Glibc
import Changelog
import Namespace
import Platform

/// `beryl log convert --from-eos IN OUT`: a legacy EOS log into a native one.
struct LogConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a legacy EOS files or directories changelog into the native format.",
        discussion: "Decodes every legacy FileMD / ContainerMD (symlinks name//target, xattrs, the sys.mtime.s/ns pairs, unlinked files with container 0) and writes them as native records, in order, keeping deletes, stamps, the content kind and the compacted flag. Name the outputs files.mdlog and directories.mdlog in one directory to boot the namespace (see `beryl log tree`). A damaged legacy log stops the conversion at the damage: repair it with log-repair first.\n\nExit status: 0 when the whole log was converted; 1 when the conversion stopped at a damaged record (what came before it is written), or nothing was written (the output path exists as a file, directory, FIFO or link; the input is missing, not a regular file, or neither a files nor a directories log); 64 without --from-eos.")
    @Flag(name: .customLong("from-eos"), help: "The input is a legacy EOS changelog (required: the only conversion there is).")
    var fromEOS = false
    @Argument(help: "The legacy EOS changelog (read-only).") var input: String
    @Argument(help: "The native changelog to write (must not exist).") var output: String

    func validate() throws {
        guard fromEOS else { throw ValidationError("name the source format: --from-eos") }
    }

    func run() throws {
        let report = try LegacyConversion.convert(legacyPath: input, to: output)
        print("converted \(input) (\(report.contentKind)) -> \(output)")
        print("records: \(report.records)  updates: \(report.updates)  deletes: \(report.deletes)  stamps: \(report.stamps)  skipped: \(report.skipped.count)")
        for s in report.skipped { print("skipped record at 0x\(String(s.offset, radix: 16)): \(s.reason)") }
        if let stop = report.stoppedAt {
            print("stopped at damaged record at 0x\(String(stop.offset, radix: 16)): \(stop.reason); run log-repair on the input first")
            throw ExitCode(1)
        }
    }
}

/// `beryl log tree DATA_DIR [--tsv]`: boot a data directory offline, read-only, and list it.
struct LogTree: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tree",
        abstract: "Boot the namespace of a data directory offline (read-only) and list it.",
        discussion: """
            --tsv prints the columns of the legacy namespace listing (fixtures/eos/namespace-expected.tsv): \
            containers by id, then files by id, detached files with path '-'.

            Exit status: 0 when the namespace booted and was listed; 1 when it does not boot (a log is missing, \
            damaged or not a changelog; one log of the pair is missing or empty while the other holds records, \
            unless --allow-missing-log).
            """)
    @Argument(help: "Data directory holding files.mdlog and directories.mdlog.") var data: String
    @Flag(help: "Tab-separated listing of every field.") var tsv = false
    @Flag(name: .customLong("allow-missing-log"), help: "Boot even when one log of the pair is missing or empty while the other holds records.")
    var allowMissingLog = false

    func run() throws {
        let ns = try Namespace.boot(NamespaceConfiguration(directory: data, role: .masterReadOnly, allowMissingLog: allowMissingLog))
        defer { ns.close() }
        for repair in ns.bootReport.repairs { StandardError.write("boot repair (in memory only): \(repair)\n") }
        if tsv {
            print(ns.tsvListing(), terminator: "")
        } else {
            for p in ns.pathListing() { print(p) }
        }
    }
}
