import CBerylSupport
import Platform

/// The inner layout of a `.block` record's (decompressed) payload: entries of a 16-byte header
/// (u8 type, u8 flags = 0, u16 reserved = 0, u32 length, u64 sequence) and the payload padded to 8.
enum BlockLayout {
    static let entryHeaderSize = 16
    static let maximumEntries = Int(UInt16.max)

    static func encode(_ records: [(type: RecordType, payload: [UInt8], sequence: SequenceNumber)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(records.reduce(0) { $0 + entryHeaderSize + RecordFormat.padded($1.payload.count) })
        for r in records {
            var h = [UInt8](repeating: 0, count: entryHeaderSize)
            h[0] = r.type.rawValue
            h.withUnsafeMutableBytes { p in
                ByteCursor.store(UInt32(r.payload.count), at: 4, in: p)
                ByteCursor.store(r.sequence.rawValue, at: 8, in: p)
            }
            out += h
            out += r.payload
            out += repeatElement(0, count: RecordFormat.padded(r.payload.count) - r.payload.count)
        }
        return out
    }

    /// Visits each entry; returns a reason if the block is malformed (after visiting the good prefix).
    static func forEachEntry(in block: UnsafeRawBufferPointer, after first: SequenceNumber, lastSequence: SequenceNumber,
                             _ body: (_ slot: UInt16, RecordType, SequenceNumber, UnsafeRawBufferPointer, _ bytes: Int) -> Bool)
        -> (reason: CorruptionReason?, stopped: Bool) {
        let r = ByteCursor(block)
        var o = 0
        var slot = 0
        var previous = first
        var sawEntry = false
        while o < block.count {
            guard o + entryHeaderSize <= block.count else { return (.badBlock("entry header past block end"), false) }
            guard r.u8(o + 1) == 0, r.u16(o + 2) == 0 else { return (.badBlock("reserved entry bytes not zero"), false) }
            let len = Int(r.u32(o + 4))
            let seq = SequenceNumber(r.u64(o + 8))
            let next = o + entryHeaderSize + RecordFormat.padded(len)
            guard len <= RecordFormat.maximumPayload, next <= block.count else { return (.badBlock("entry past block end"), false) }
            if seq <= previous { return (.sequenceRegression(previous: previous.rawValue, found: seq.rawValue), false) }
            slot += 1
            guard slot <= maximumEntries else { return (.badBlock("too many entries"), false) }
            previous = seq
            sawEntry = true
            let payload = UnsafeRawBufferPointer(rebasing: block[(o + entryHeaderSize)..<(o + entryHeaderSize + len)])
            if !body(UInt16(slot), RecordType(rawValue: r.u8(o)), seq, payload, next - o) { return (nil, true) }
            o = next
        }
        if !sawEntry || previous != lastSequence { return (.badBlock("last entry sequence does not match the frame"), false) }
        return (nil, false)
    }
}

/// LZ4 through the shim.
public enum LZ4 {
    /// Compresses; nil when the result would not be smaller than the input.
    public static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        guard input.count > 0, input.count < Int(Int32.max) else { return nil }
        let bound = Int(bs_lz4_compress_bound(Int32(input.count)))
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { o in
            bs_lz4_compress(input.baseAddress, Int32(input.count), o.baseAddress, Int32(bound))
        }
        guard n > 0, Int(n) < input.count else { return nil }
        out.removeLast(bound - Int(n))
        return out
    }

    /// Decompresses into `output`, which must be exactly the expected size. Returns false on any
    /// malformed input (never reads or writes out of bounds).
    public static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        guard input.count > 0, input.count < Int(Int32.max), output.count < Int(Int32.max) else { return output.isEmpty && input.isEmpty }
        let n = bs_lz4_decompress(input.baseAddress, Int32(input.count), output.baseAddress, Int32(output.count))
        return Int(n) == output.count
    }
}
