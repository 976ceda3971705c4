import Changelog
import Platform

/// Infers what a legacy log holds when its header is damaged, from the records repair rebuilt.
///
/// EOS's tool wrote content flag 0 in that case, which the MGM then refuses to open as a files or
/// directories log. Here each update record is parsed as a `FileMD` and as a `ContainerMD`
/// (layouts in `eos-namespace.md` §8); when at least 90 % of the updates parse as one kind and
/// fewer than 10 % as the other, that kind's flag is used, else 0 as before. A compaction stamp
/// (type 3) implies the COMPACTED user flag, which only `addCompactionMark` sets.
struct LegacyContentInference {
    private(set) var updates = 0
    private(set) var fileLike = 0
    private(set) var containerLike = 0
    private(set) var sawStamp = false

    mutating func observe(type: UInt8, payload: UnsafeRawBufferPointer) {
        switch type {
        case RecordType.update.rawValue:
            updates += 1
            if Self.parsesAsFile(payload) { fileLike += 1 }
            if Self.parsesAsContainer(payload) { containerLike += 1 }
        case RecordType.compactionStamp.rawValue:
            sawStamp = true
        default:
            break
        }
    }

    /// The header to write for a log whose own header was unreadable.
    var header: LegacyHeader {
        var content: UInt16 = 0
        if updates > 0 {
            let most = updates * 9 / 10
            let few = updates / 10
            if fileLike >= most && fileLike > 0 && containerLike <= few { content = 1 }
            if containerLike >= most && containerLike > 0 && fileLike <= few { content = 2 }
        }
        return LegacyHeader(version: 1, contentFlag: content, userFlags: sawStamp ? .compacted : [])
    }

    /// u64 id, 2 timespecs, u64 size|flags, u64 container id, u16 len + name\0, u16 n + u32
    /// locations, u16 n + u32 unlinked, uid, gid, layout, u8 n + checksum, [xattrs], padding.
    static func parsesAsFile(_ p: UnsafeRawBufferPointer) -> Bool {
        let r = ByteCursor(p)
        var o = 56
        guard string(p, at: &o) != nil else { return false }
        for _ in 0..<2 {
            guard o + 2 <= p.count else { return false }
            let n = Int(r.u16(o))
            o += 2 + 4 * n
        }
        o += 12
        guard o + 1 <= p.count else { return false }
        o += 1 + Int(r.u8(o))
        guard o <= p.count else { return false }
        if p.count - o >= 4 { return pairs(p, at: o, count: Int(r.u16(o)), from: o + 2) }
        return true
    }

    /// u64 id, u64 parent, u16 flags, timespec, uid, gid, mode, u16 acl, u16 len + name\0,
    /// u16 n + n key/value pairs (n includes the two mtime pairs), padding.
    static func parsesAsContainer(_ p: UnsafeRawBufferPointer) -> Bool {
        var o = 48
        guard string(p, at: &o) != nil, o + 2 <= p.count else { return false }
        return pairs(p, at: o, count: Int(ByteCursor(p).u16(o)), from: o + 2)
    }

    /// `count` key/value string pairs from `from`, ending within 3 padding bytes of the payload end.
    private static func pairs(_ p: UnsafeRawBufferPointer, at _: Int, count: Int, from: Int) -> Bool {
        var o = from
        for _ in 0..<(2 * count) {
            guard string(p, at: &o) != nil else { return false }
        }
        return o <= p.count && p.count - o < 4
    }

    /// A u16 length (with the NUL) followed by that many bytes ending in NUL; advances `o`.
    private static func string(_ p: UnsafeRawBufferPointer, at o: inout Int) -> Int? {
        guard o >= 0, o + 2 <= p.count else { return nil }
        let len = Int(ByteCursor(p).u16(o))
        guard len >= 1, o + 2 + len <= p.count, p[o + 2 + len - 1] == 0 else { return nil }
        o += 2 + len
        return len
    }
}
