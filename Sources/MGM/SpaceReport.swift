import Glibc

/// Space figures of the data directory's file system, for `kXR_Qspace` and `kXR_stat` with `kXR_vfs`.
struct SpaceReport {
    var total: UInt64 = 0
    var free: UInt64 = 0

    init(directory: String) {
        var info = statvfs()
        if statvfs(directory, &info) == 0 {
            total = UInt64(info.f_blocks) * UInt64(info.f_frsize)
            free = UInt64(info.f_bavail) * UInt64(info.f_frsize)
        }
    }

    var used: UInt64 { total >= free ? total - free : 0 }

    /// `oss.cgroup=public&oss.space=...&oss.free=...&oss.maxf=...&oss.used=...&oss.quota=-1` and a NUL.
    func querySpaceBody() -> [UInt8] {
        Array("oss.cgroup=public&oss.space=\(total)&oss.free=\(free)&oss.maxf=\(free)&oss.used=\(used)&oss.quota=-1".utf8) + [0]
    }

    /// `<rw nodes> <rw free MB> <rw util %> <staging nodes> <staging free MB> <staging util %>` and a NUL.
    func vfsStatBody() -> [UInt8] {
        let utilization = total > 0 ? Int(used * 100 / total) : 0
        return Array("1 \(free >> 20) \(utilization) 0 0 0".utf8) + [0]
    }
}
