import Glibc
import Platform

/// A record to append.
public struct PendingRecord: Sendable {
    public var type: RecordType
    public var payload: [UInt8]
    /// Set by compaction to keep a copied record's sequence number (must exceed the log's last).
    var sequence: SequenceNumber? = nil
    public init(_ type: RecordType, payload: [UInt8]) {
        self.type = type
        self.payload = payload
    }
}

/// Where an appended record went.
public struct AppendResult: Sendable, Equatable {
    public var position: LogPosition
    public var sequence: SequenceNumber
}

/// A written record whose acknowledgement (under the log's durability) is still to be awaited.
public struct PendingAcknowledgement: Sendable {
    let end: UInt64
}

/// How `append(batch:)` lays out its records.
public enum BatchPacking: Sendable {
    /// One frame per record (each record individually addressable and verifiable).
    case frames
    /// One LZ4-compressed block frame holding all records (stored raw if LZ4 does not pay).
    case compressedBlock
}

extension Changelog {
    /// Appends one record; returns when it is acknowledged under the log's durability.
    @discardableResult
    public func append(_ type: RecordType, payload: [UInt8]) throws(ChangelogError) -> AppendResult {
        try withArrayBytes(payload) { (p) throws(ChangelogError) in try append(type, payload: p) }
    }

    @discardableResult
    public func append(_ type: RecordType, payload: UnsafeRawBufferPointer) throws(ChangelogError) -> AppendResult {
        let (result, pending) = try appendDeferringAcknowledgement(type, payload: payload)
        try waitUntilAcknowledged(pending)
        return result
    }

    /// Appends one record and returns as soon as it is written (visible to scans, in the page
    /// cache), without waiting for the durability mode's acknowledgement point. Call
    /// `waitUntilAcknowledged` before telling anyone the change is done. This lets an owner
    /// release its own lock before the wait, so concurrent mutations share one fdatasync.
    public func appendDeferringAcknowledgement(_ type: RecordType, payload: [UInt8]) throws(ChangelogError) -> (AppendResult, PendingAcknowledgement) {
        try withArrayBytes(payload) { (p) throws(ChangelogError) in try appendDeferringAcknowledgement(type, payload: p) }
    }

    public func appendDeferringAcknowledgement(_ type: RecordType, payload: UnsafeRawBufferPointer) throws(ChangelogError) -> (AppendResult, PendingAcknowledgement) {
        guard payload.count <= RecordFormat.maximumPayload else { throw ChangelogError(.payloadTooLarge(payload.count), path: path) }
        var stored = payload
        var flags: RecordFlags = []
        var compressed: [UInt8]? = nil
        if case .lz4(let minimum) = configuration.compression, payload.count >= minimum,
           let c = LZ4.compress(payload), c.count + c.count / 8 < payload.count {
            compressed = c
            flags = .lz4
        }
        let written: Result<([AppendResult], UInt64), ChangelogError> = (compressed ?? []).withUnsafeBytes { c in
            if compressed != nil { stored = c }
            return Result { () throws(ChangelogError) in try writeFrames { buffer, offset, sequence in
                let start = Self.encodeFrame(into: &buffer, at: offset, type: type, flags: flags, stored: stored,
                                             rawLength: payload.count, sequence: sequence, identity: headerState.identity)
                return [AppendResult(position: LogPosition(offset: LogOffset(start)), sequence: sequence)]
            } }
        }
        let (results, end) = try written.get()
        return (results[0], PendingAcknowledgement(end: end))
    }

    /// Appends several records with one write (and, under `batch`/`always`, one sync).
    @discardableResult
    public func append(batch records: [PendingRecord], packing: BatchPacking = .frames) throws(ChangelogError) -> [AppendResult] {
        guard !records.isEmpty else { return [] }
        for r in records where r.payload.count > RecordFormat.maximumPayload {
            throw ChangelogError(.payloadTooLarge(r.payload.count), path: path)
        }
        guard packing == .compressedBlock else {
            let (results, end) = try writeFrames { buffer, offset, first in
                var results: [AppendResult] = []
                results.reserveCapacity(records.count)
                var seq = first
                for r in records {
                    if let kept = r.sequence {
                        precondition(kept >= seq, "kept sequence numbers must increase")
                        seq = kept
                    }
                    let start = r.payload.withUnsafeBytes { p in
                        Self.encodeFrame(into: &buffer, at: offset, type: r.type, flags: [], stored: p, rawLength: p.count,
                                         sequence: seq, identity: headerState.identity)
                    }
                    results.append(AppendResult(position: LogPosition(offset: LogOffset(start)), sequence: seq))
                    seq = seq.next
                }
                return results
            }
            try acknowledge(upTo: end)
            return results
        }
        guard records.count <= BlockLayout.maximumEntries else {
            var all: [AppendResult] = []
            var i = 0
            while i < records.count {
                let chunk = Array(records[i..<min(i + BlockLayout.maximumEntries, records.count)])
                all += try append(batch: chunk, packing: .compressedBlock)
                i += chunk.count
            }
            return all
        }
        let (results, end) = try writeFrames { buffer, offset, first in
            var seq = first
            var entries: [(type: RecordType, payload: [UInt8], sequence: SequenceNumber)] = []
            for r in records {
                if let kept = r.sequence {
                    precondition(kept >= seq, "kept sequence numbers must increase")
                    seq = kept
                }
                entries.append((r.type, r.payload, seq))
                seq = seq.next
            }
            let last = entries[entries.count - 1].sequence
            let raw = BlockLayout.encode(entries)
            let compressed = raw.withUnsafeBytes { LZ4.compress($0) }
            let start: UInt64
            if let compressed {
                start = compressed.withUnsafeBytes { c in
                    Self.encodeFrame(into: &buffer, at: offset, type: .block, flags: .lz4, stored: c, rawLength: raw.count,
                                     sequence: last, identity: headerState.identity)
                }
            } else {
                start = raw.withUnsafeBytes { c in
                    Self.encodeFrame(into: &buffer, at: offset, type: .block, flags: [], stored: c, rawLength: raw.count,
                                     sequence: last, identity: headerState.identity)
                }
            }
            return entries.indices.map { i in
                AppendResult(position: LogPosition(offset: LogOffset(start), slot: UInt16(i + 1)), sequence: entries[i].sequence)
            }
        }
        try acknowledge(upTo: end)
        return results
    }

    /// Appends a compaction stamp (an empty record marking where a compacted snapshot ends).
    @discardableResult
    public func appendCompactionStamp() throws(ChangelogError) -> AppendResult {
        try append(.compactionStamp, payload: [])
    }

    /// Appends a compaction stamp whose sequence number is above `source`'s last one, so that
    /// sequences keep increasing across a compaction even when the source's last records were
    /// dropped as dead (a replica relies on it to tell what it has already applied).
    @discardableResult
    func appendCompactionStamp(after source: SequenceNumber) throws(ChangelogError) -> AppendResult {
        var stamp = PendingRecord(.compactionStamp, payload: [])
        stamp.sequence = max(lastSequence.next, source.next)
        return try append(batch: [stamp])[0]
    }

    /// Returns when the record behind `pending` is acknowledged under the log's durability
    /// (immediately for `none`; after a covering fdatasync for `batch` and `always`).
    public func waitUntilAcknowledged(_ pending: PendingAcknowledgement) throws(ChangelogError) {
        try acknowledge(upTo: pending.end)
    }

    /// Makes every record appended so far durable (fdatasync), whatever the durability mode.
    public func sync() throws(ChangelogError) {
        try waitDurable(lock.withLock { endOffset })
    }

    /// Sets or clears header flags, rewriting the header in place (64 bytes, one sector) and syncing.
    public func setFlags(_ flags: LogFlags) throws(ChangelogError) {
        try lock.withLock { () throws(ChangelogError) in
            guard configurationState.access != .readOnly else { throw ChangelogError(.readOnly, path: pathState) }
            var h = headerState
            h.flags = flags
            try system { () throws(SystemError) in try file.write(h.encoded(), at: 0) }
            try system { () throws(SystemError) in try file.syncData() }
            headerState = h
        }
    }

    // MARK: - Internals

    /// Appends a frame (with any alignment gap before it) to `buffer`, whose first byte will land
    /// at file offset `base`. Returns the frame's start offset.
    static func encodeFrame(into buffer: inout [UInt8], at base: UInt64, type: RecordType, flags: RecordFlags,
                            stored: UnsafeRawBufferPointer, rawLength: Int, sequence: SequenceNumber,
                            identity: LogIdentity) -> UInt64 {
        let cursor = base + UInt64(buffer.count)
        let start = RecordFormat.recordStart(after: cursor)
        let headerAt = buffer.count + Int(start - cursor)
        let padded = RecordFormat.padded(stored.count)
        buffer.append(contentsOf: repeatElement(0, count: Int(start - cursor) + RecordFormat.frameHeaderSize + padded))
        buffer.withUnsafeMutableBytes { b in
            let payloadAt = headerAt + RecordFormat.frameHeaderSize
            if stored.count > 0 {
                UnsafeMutableRawBufferPointer(rebasing: b[payloadAt..<(payloadAt + stored.count)]).copyMemory(from: stored)
            }
            FrameHeader.write(type: type, flags: flags, storedLength: stored.count, rawLength: rawLength,
                              sequence: sequence, identity: identity,
                              paddedPayload: UnsafeRawBufferPointer(rebasing: b[payloadAt..<(payloadAt + padded)]),
                              into: UnsafeMutableRawBufferPointer(rebasing: b[headerAt...]).baseAddress!)
        }
        return start
    }

    /// Under the lock: lets `build` encode frames starting at the current end with the next
    /// sequence numbers, writes them, and publishes the new end. On a failed write the file is cut
    /// back to the old end; if that fails too, the log is poisoned.
    func writeFrames(_ build: (inout [UInt8], UInt64, SequenceNumber) -> [AppendResult]) throws(ChangelogError) -> ([AppendResult], UInt64) {
        try lock.withLock { () throws(ChangelogError) -> ([AppendResult], UInt64) in
            if isClosed { throw ChangelogError(.closed, path: pathState) }
            if configurationState.access == .readOnly { throw ChangelogError(.readOnly, path: pathState) }
            if let poison { throw ChangelogError(.poisoned, path: pathState, errno: poison.errno, detail: poison.description) }
            scratch.removeAll(keepingCapacity: true)
            let results = build(&scratch, endOffset, lastSequenceState.next)
            let newEnd = endOffset + UInt64(scratch.count)
            guard newEnd <= LogPosition.maximumOffset else {
                throw ChangelogError(.io, path: pathState, offset: LogOffset(endOffset), errno: Errno.fileTooLarge, detail: "log exceeds 256 TiB")
            }
            if extendsWithWrites {
                _ = try withArrayBytes(scratch) { (b) throws(ChangelogError) in try writeUnpublished(b) }
            } else {
                if newEnd > capacity { try grow(toFit: newEnd) }
                try store(scratch, at: endOffset)
                prefault(after: newEnd)
            }
            endOffset = newEnd
            lastSequenceState = results.last!.sequence
            appendsSinceOpen += results.count
            lock.broadcast()
            return (results, newEnd)
        }
    }

    /// Allocates more file space (fallocate, so later stores cannot hit ENOSPC). Steps double from
    /// 1 MiB up to 256 MiB. The writable mapping reaches well past the allocated space (address space
    /// only: nothing past `capacity` is ever touched), so most steps do not remap; when one does, the
    /// old mapping goes to the `MappingWorker` to be unmapped off this lock. Readers keep their lease
    /// on the old mapping.
    func grow(toFit end: UInt64) throws(ChangelogError) {
        let newCapacity = (end + growthStep + 4095) & ~4095
        try system { () throws(SystemError) in try file.allocate(newCapacity - capacity, at: capacity) }
        if (region?.length ?? 0) < Int(newCapacity) {
            let mapped: MappedRegion
            do throws(ChangelogError) {
                do throws(ChangelogError) {
                    mapped = try system { () throws(SystemError) in try MappedRegion(file: file, length: max(Int(newCapacity) * 4, 64 << 20), writable: true) }
                } catch {
                    // Address space is short (ulimit -v, a log of tens of TiB): map just what is allocated.
                    mapped = try system { () throws(SystemError) in try MappedRegion(file: file, length: Int(newCapacity), writable: true) }
                }
            } catch {
                try? file.truncate(to: capacity)
                throw error
            }
            replaceRegion(with: mapped)
        }
        capacity = newCapacity
    }

    /// How much `grow` allocates past the end: the capacity again, from 1 MiB up to 256 MiB.
    private var growthStep: UInt64 { min(max(capacity, 1 << 20), 256 << 20) }

    /// Allocates and maps room for the next appends, as their first append would (see `grow`), ahead
    /// of time: a compaction's output does this before its commit, so that once it is the live log
    /// the writer's first append neither allocates nor maps under the owner's lock.
    func reserveGrowth() throws(ChangelogError) {
        try lock.withLock { () throws(ChangelogError) in
            if capacity < endOffset + growthStep / 2 { try grow(toFit: endOffset) }
        }
    }

    /// Under the lock: writes `bytes` at the end with `pwrite` (past the end of the file, or into space
    /// preallocated before) and keeps the writable mapping covering the new end, without publishing
    /// it. Mapping past the end of the file is allowed; nothing reads past `endOffset`. Used instead of
    /// a store into fresh mapped pages of preallocated space, which are first read in as zeros
    /// (readahead over unwritten extents) and then overwritten: a compaction's output
    /// (`extendsWithWrites`) and a replica's verbatim chunks. On a failed write nothing stays past the
    /// published end. Returns the capacity before, for `discardUnpublished`.
    func writeUnpublished(_ bytes: UnsafeRawBufferPointer) throws(ChangelogError) -> UInt64 {
        let newEnd = endOffset + UInt64(bytes.count)
        if region == nil || region!.length < Int(newEnd) {
            replaceRegion(with: try system { () throws(SystemError) in try MappedRegion(file: file, length: max(Int(newEnd), (region?.length ?? 0) * 2, 1 << 20), writable: true) })
        }
        let previousCapacity = capacity
        if newEnd > capacity { capacity = newEnd }
        do throws(ChangelogError) {
            try system { () throws(SystemError) in try file.write(bytes, at: endOffset) }
        } catch {
            discardUnpublished(upTo: newEnd, previousCapacity: previousCapacity)
            throw error
        }
        return previousCapacity
    }

    /// Under the lock: removes what `writeUnpublished` put past the published end: cuts what extended
    /// the file, zeroes what landed in space preallocated before.
    func discardUnpublished(upTo newEnd: UInt64, previousCapacity: UInt64) {
        if previousCapacity < newEnd {
            try? file.truncate(to: max(previousCapacity, endOffset))
            capacity = max(previousCapacity, endOffset)
        }
        if previousCapacity > endOffset {
            let zeros = [UInt8](repeating: 0, count: 1 << 16)
            var at = endOffset
            while at < min(previousCapacity, newEnd) {
                let n = Int(min(UInt64(zeros.count), min(previousCapacity, newEnd) - at))
                try? file.write(Array(zeros[0..<n]), at: at)
                at += UInt64(n)
            }
        }
    }

    /// Switches between pwrite-extending and mapped appends (see `extendsWithWrites`).
    func setExtendsWithWrites(_ on: Bool) {
        lock.withLock { extendsWithWrites = on }
    }

    /// Copies encoded frames into the writable mapping at `offset`.
    private func store(_ bytes: [UInt8], at offset: UInt64) throws(ChangelogError) {
        #if DEBUG
        // Debug builds simulate a failed or partial write here, as pwrite would report it.
        if let fault = FaultInjection.fault(.write, path: pathState) {
            var copied = 0
            if case .short(let n) = fault {
                copied = min(n, bytes.count)
                bytes.withUnsafeBytes { region!.store(UnsafeRawBufferPointer(rebasing: $0[0..<copied]), at: Int(offset)) }
            }
            let e: Int32
            if case .error(let code) = fault { e = code } else { e = Errno.noSpace }
            throw ChangelogError(.io, path: pathState, offset: LogOffset(offset + UInt64(copied)), errno: e, detail: "injected write fault")
        }
        #endif
        bytes.withUnsafeBytes { region!.store($0, at: Int(offset)) }
    }

    /// Returns when the bytes up to `end` are acknowledged under the configured durability.
    func acknowledge(upTo end: UInt64) throws(ChangelogError) {
        switch configuration.durability {
        case .none: return
        // `always` shares an fdatasync too: one that started after this append's write covers
        // it exactly as the appender's own would (docs/DURABILITY.md), so concurrent appenders
        // need not queue one flush each.
        case .batch, .always: try waitDurable(end)
        }
    }

    /// Group commit: the first waiter becomes the leader and syncs everything written so far;
    /// others wait for a sync that covers them.
    ///
    /// Who is woken, and by what: a waiter the flush in progress covers (its records end at or
    /// before the flush's target) sleeps on that flush's word (`flushWords[g % 2]`), which the
    /// flush's end bumps and wakes; it then reads the durable end (`durablePublished`) and returns
    /// without taking the lock again. A waiter that appended after the flush started sleeps on the
    /// next generation's word, and the flush's end wakes one of them to lead the next flush (which
    /// covers all of them: they appended before it starts). Appends wake neither. On 2 cores,
    /// waking every waiter at every append and every flush, and then handing each woken waiter the
    /// log's mutex in turn (pthread condition variables), cost the released writers the time they
    /// needed to join the next group.
    func waitDurable(_ end: UInt64) throws(ChangelogError) {
        if durablePublished.load(ordering: .acquiring) >= end { return }
        durableWaiters.add(1, ordering: .relaxed)
        defer { durableWaiters.subtract(1, ordering: .relaxed) }
        lock.lock()
        while syncedEnd < end {
            if let poison {
                lock.unlock()
                throw ChangelogError(.poisoned, path: pathState, errno: poison.errno, detail: poison.description)
            }
            if syncing {
                let word = flushWords[(end <= flushTarget ? flushGeneration : flushGeneration + 1) & 1]
                let seen = word.value
                lock.unlock()
                word.wait(while: seen)
                if durablePublished.load(ordering: .acquiring) >= end { return }
                lock.lock()
                continue
            }
            syncing = true
            if durableWaiters.load(ordering: .relaxed) > 1 {
                // Other writers wait: let the ones the last flush released (runnable now) append
                // first, so that this flush covers them too.
                lock.unlock()
                sched_yield()
                lock.lock()
            }
            let target = endOffset
            flushTarget = target
            flushGeneration += 1
            let generation = flushGeneration
            lock.unlock()
            var failure: ChangelogError? = nil
            do throws(ChangelogError) {
                try system { () throws(SystemError) in try file.syncData() }
                try syncPendingDirectory()
            } catch { failure = error }
            lock.lock()
            syncing = false
            if let failure {
                poison = failure
                for word in flushWords { word.bump() }
                lock.unlock()
                for word in flushWords { word.wake() }
                throw failure
            }
            if syncedEnd < target {
                syncedEnd = target
                durablePublished.store(target, ordering: .releasing)
            }
            let covered = flushWords[generation & 1], next = flushWords[(generation + 1) & 1]
            covered.bump()
            next.bump()
            lock.unlock()
            covered.wake()
            next.wake(1)
            // This flush covered the leader's own records (written before it started).
            return
        }
        lock.unlock()
    }
}
