import CBerylSupport
import Dispatch
import Platform

/// Writes records into a new log in blocks (compaction's output), remembering where each old
/// position went.
///
/// With `.compressedBlock` packing, records are encoded straight into the block layout
/// (`BlockLayout`) in one reused buffer, with no allocation per record. Full blocks (about 64 KiB)
/// gather into a batch of `batchBlocks`; a batch is compressed on every core at once
/// (`DispatchQueue.concurrentPerform`: LZ4 is the largest share of a compaction's CPU) and its
/// frames are written with one write. A block holding a single record is written as that record's
/// plain frame, one whose LZ4 output does not pay is stored raw (as `append(batch:packing:)` does).
struct BlockCopier {
    let output: Changelog
    let packing: BatchPacking
    /// Index of the new log, kept up to date record by record (updates and deletes), so the
    /// owner can swap it in at commit without walking its own index under the write lock.
    /// Offline compaction, which has no owner, turns it off (`keepsIndex`).
    var index = OffsetIndex()
    var keepsIndex = true
    var written = 0
    static let blockBytes = 64 << 10
    /// Blocks per batch: about 2 MiB of raw entries per compression round and write.
    static let batchBlocks = 32

    /// `.frames` packing: the records of the next `append(batch:)`.
    private var pending: [PendingRecord] = []
    private var pendingBytes = 0

    /// `.compressedBlock` packing: the encoded entries of the batch's blocks, back to back.
    private var raw: [UInt8] = []
    /// Where each block of the batch starts in `raw` (the last one may still be filling).
    private var blockStarts: [Int] = []
    /// Entries of the batch, in order; `blockEntryStarts[b]` is block b's first.
    private var entries: [Entry] = []
    private var blockEntryStarts: [Int] = []
    private var compressed: [UInt8] = []
    private var compressedLengths: [Int32] = []

    struct Entry {
        var type: RecordType
        var sequence: SequenceNumber
        /// The record's id (first 8 payload bytes), nil when the payload is shorter.
        var id: UInt64?
    }

    init(output: Changelog, packing: BatchPacking = .compressedBlock) {
        self.output = output
        self.packing = packing
    }

    mutating func add(_ r: RecordView) throws(ChangelogError) {
        guard packing == .compressedBlock else {
            var record = PendingRecord(r.type, payload: r.copyPayload())
            record.sequence = r.sequence
            pending.append(record)
            pendingBytes += r.payload.count + BlockLayout.entryHeaderSize
            if pendingBytes >= Self.blockBytes || pending.count >= BlockLayout.maximumEntries { try flush() }
            return
        }
        if blockStarts.isEmpty {
            blockStarts.append(raw.count)
            blockEntryStarts.append(entries.count)
        }
        let payload = r.payload
        let at = raw.count
        let padded = RecordFormat.padded(payload.count)
        raw.append(contentsOf: repeatElement(0, count: BlockLayout.entryHeaderSize + padded))
        raw.withUnsafeMutableBytes { p in
            p[at] = r.type.rawValue
            ByteCursor.store(UInt32(payload.count), at: at + 4, in: p)
            ByteCursor.store(r.sequence.rawValue, at: at + 8, in: p)
            if payload.count > 0 {
                UnsafeMutableRawBufferPointer(rebasing: p[(at + BlockLayout.entryHeaderSize)...]).copyMemory(from: payload)
            }
        }
        entries.append(Entry(type: r.type, sequence: r.sequence,
                             id: payload.count >= 8 ? ByteCursor(payload).u64(0) : nil))
        let blockBytes = raw.count - blockStarts[blockStarts.count - 1]
        let blockEntries = entries.count - blockEntryStarts[blockEntryStarts.count - 1]
        if blockBytes >= Self.blockBytes || blockEntries >= BlockLayout.maximumEntries {
            if blockStarts.count >= Self.batchBlocks {
                try writeBatch()
            } else {
                blockStarts.append(raw.count)
                blockEntryStarts.append(entries.count)
            }
        }
    }

    /// Writes everything added so far.
    mutating func flush() throws(ChangelogError) {
        guard packing == .compressedBlock else {
            guard !pending.isEmpty else { return }
            let results = try output.append(batch: pending, packing: pending.count == 1 ? .frames : packing)
            for (record, new) in zip(pending, results) where record.payload.count >= 8 {
                note(record.type, id: record.payload.withUnsafeBytes { ByteCursor($0).u64(0) }, at: new)
            }
            written += pending.count
            pending.removeAll(keepingCapacity: true)
            pendingBytes = 0
            return
        }
        try writeBatch()
    }

    private mutating func note(_ type: RecordType, id: UInt64, at new: AppendResult) {
        guard keepsIndex else { return }
        switch type {
        case .update: index.update(id, at: new.position, sequence: new.sequence)
        case .delete: index.remove(id)
        default: break
        }
    }

    /// Compresses the batch's blocks in parallel, appends their frames with one write, notes the
    /// new positions, and empties the batch.
    private mutating func writeBatch() throws(ChangelogError) {
        // Drop a trailing block that has no entry yet.
        if let last = blockEntryStarts.last, last == entries.count {
            blockStarts.removeLast()
            blockEntryStarts.removeLast()
        }
        let blocks = blockStarts.count
        guard blocks > 0 else { return }
        let starts = blockStarts + [raw.count]
        let bounds = (0..<blocks).map { b in Int(bs_lz4_compress_bound(Int32(starts[b + 1] - starts[b]))) }
        var outStarts = [0]
        for b in bounds { outStarts.append(outStarts[outStarts.count - 1] + b) }
        if compressed.count < outStarts[blocks] { compressed = [UInt8](repeating: 0, count: outStarts[blocks]) }
        compressedLengths = [Int32](repeating: 0, count: blocks)
        let entryStarts = blockEntryStarts + [entries.count]
        raw.withUnsafeBytes { input in
            compressed.withUnsafeMutableBytes { out in
                compressedLengths.withUnsafeMutableBufferPointer { lengths in
                    let job = CompressionJob(input: input.baseAddress!, output: out.baseAddress!, lengths: lengths.baseAddress!,
                                             starts: starts, outStarts: outStarts, bounds: bounds, entryStarts: entryStarts)
                    DispatchQueue.concurrentPerform(iterations: blocks) { b in job.compress(b) }
                }
            }
        }
        let results = try withArrayBytes(raw) { (input) throws(ChangelogError) -> [AppendResult] in
            try withArrayBytes(compressed) { (out) throws(ChangelogError) -> [AppendResult] in
                try output.appendFrames { buffer, offset, first in
                    var results: [AppendResult] = []
                    results.reserveCapacity(entries.count)
                    var floor = first
                    for b in 0..<blocks {
                        let rawBlock = UnsafeRawBufferPointer(rebasing: input[starts[b]..<starts[b + 1]])
                        let firstEntry = entryStarts[b], count = entryStarts[b + 1] - firstEntry
                        precondition(entries[firstEntry].sequence >= floor, "kept sequence numbers must increase")
                        let last = entries[firstEntry + count - 1].sequence
                        floor = last.next
                        if count == 1 {
                            let e = entries[firstEntry]
                            let h = BlockLayout.entryHeaderSize
                            let payload = UnsafeRawBufferPointer(rebasing: rawBlock[h..<(h + Int(ByteCursor(rawBlock).u32(4)))])
                            let start = Changelog.encodeFrame(into: &buffer, at: offset, type: e.type, flags: [],
                                                              stored: payload, rawLength: payload.count,
                                                              sequence: e.sequence, identity: output.headerState.identity)
                            results.append(AppendResult(position: LogPosition(offset: LogOffset(start)), sequence: e.sequence))
                            continue
                        }
                        let n = Int(compressedLengths[b])
                        let lz4 = n > 0 && n < rawBlock.count
                        let stored = lz4 ? UnsafeRawBufferPointer(rebasing: out[outStarts[b]..<(outStarts[b] + n)]) : rawBlock
                        let start = Changelog.encodeFrame(into: &buffer, at: offset, type: .block, flags: lz4 ? .lz4 : [],
                                                          stored: stored, rawLength: rawBlock.count, sequence: last,
                                                          identity: output.headerState.identity)
                        for i in 0..<count {
                            results.append(AppendResult(position: LogPosition(offset: LogOffset(start), slot: UInt16(i + 1)),
                                                        sequence: entries[firstEntry + i].sequence))
                        }
                    }
                    return results
                }
            }
        }
        if keepsIndex {
            for (e, new) in zip(entries, results) {
                if let id = e.id { note(e.type, id: id, at: new) }
            }
        }
        written += entries.count
        raw.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        blockStarts.removeAll(keepingCapacity: true)
        blockEntryStarts.removeAll(keepingCapacity: true)
    }
}

/// One batch's compression for the workers of `concurrentPerform`: pointers into the copier's
/// buffers, which stay put while the workers run; each worker writes only its own block's output
/// range and length, so no two touch the same byte.
private struct CompressionJob: @unchecked Sendable {
    let input: UnsafeRawPointer
    let output: UnsafeMutableRawPointer
    let lengths: UnsafeMutablePointer<Int32>
    let starts: [Int], outStarts: [Int], bounds: [Int], entryStarts: [Int]

    func compress(_ b: Int) {
        guard entryStarts[b + 1] - entryStarts[b] > 1 else { return }  // written as a plain frame
        lengths[b] = bs_lz4_compress(input + starts[b], Int32(starts[b + 1] - starts[b]),
                                     output + outStarts[b], Int32(bounds[b]))
    }
}

extension Changelog {
    /// Appends frames that `build` encodes (with kept sequence numbers, at least the log's next) in
    /// one write, acknowledged under the log's durability. Used by `BlockCopier`.
    func appendFrames(_ build: (inout [UInt8], UInt64, SequenceNumber) -> [AppendResult]) throws(ChangelogError) -> [AppendResult] {
        let (results, end) = try writeFrames(build)
        try acknowledge(upTo: end)
        return results
    }
}
