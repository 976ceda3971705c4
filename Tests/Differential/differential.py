#!/usr/bin/python3
"""Differential protocol test: one scripted sequence of xrdfs-like operations against the stock
XRootD server and against beryl-mgm, compared step by step.

    /usr/bin/python3 differential.py STOCK_PORT BERYL_PORT

Started by differential.sh (which starts both servers). Each server is driven by one long-lived
libXrdCl client (the Python bindings, the library behind xrdfs), so each step yields the status
xrdfs would see: success or failure, the kXR error number, the message and the shell code xrdfs
would exit with. The bindings' StatInfo has no mode, owner or group, so the nine-field stat text
is also read over a raw protocol connection (`rawstat`).

Prints a table step / command / stock / beryl / verdict and exits 1 on any difference that is not
listed in INTENDED (each entry there carries its reason), 2 when the run itself failed.
"""
import socket
import struct
import sys

from XRootD import client
from XRootD.client.flags import AccessMode, DirListFlags, MkDirFlags, OpenFlags, QueryCode

# ----------------------------------------------------------------------------------------------
# Intended differences: (step, field) -> reason. step "*" applies to every step. A field listed
# here is still recorded and shown; it only does not fail the run when the two servers disagree.
# ----------------------------------------------------------------------------------------------
INTENDED = {
    ("*", "id"): "ids are each server's own: the stock server derives them from the local file system "
                 "(device and inode), Beryl from its namespace ids (a file's id << 28, the EOS scheme)",
    ("*", "mtime"): "times are when each server executed the step (the two runs are a moment apart)",
    ("*", "ctime"): "times are when each server executed the step (the two runs are a moment apart)",
    ("*", "atime"): "times are when each server executed the step; Beryl keeps no access time (atime = mtime)",
    ("*", "owner"): "the stock server runs as `nobody` and its entries belong to it; Beryl records the "
                    "logged-in user's uid and gid (here root), docs/MGM.md",
    ("*", "group"): "as owner: the stock server's group (nogroup) against the logged-in user's group",
    ("*", "dirsize"): "a directory's size is the local file system's st_size on the stock server "
                      "(4096 on ext4, other values on tmpfs, btrfs, overlayfs); Beryl always reports 4096",
    ("query config version", "value"): "each server names its own version (v5.5.3 against beryl-x.y.z)",
    ("query config role", "value"): "Beryl answers its role (master or slave); the stock server "
                                    "does not know the key and echoes it back",
    ("statvfs", "vfs"): "free space of each server's data folder, which moves between the two runs",
    ("locate /dt", "address"): "each server names itself as the location (a different port)",
    # "result" stands for status, code, shellcode and message together.
    ("mkdir /dt/a (exists, no -p)", "result"):
        "Beryl answers kXR_ItExists for an existing directory without kXR_mkdirpath (POSIX mkdir(2) and "
        "the EOS MGM); the stock server answers kXR_ok",
    ("create missing parent", "result"):
        "the stock server creates missing parents for an open with kXR_new|kXR_async (what libXrdCl "
        "sends; kXR_new alone is ENOENT there too); Beryl, like open(2) with O_CREAT, needs kXR_mkpath",
    ("mv onto missing parent", "result"):
        "the stock server's oss creates the target's missing parents; Beryl answers ENOENT, as "
        "rename(2) does",
    ("write data", "result"): "Beryl is a metadata server and stores no file data: writes are kXR_Unsupported",
    ("stat after write", "result"): "the stock server stored the 4 bytes written; Beryl refused them and removed the "
                                    "entry the upload's open created (a refused upload leaves nothing behind, docs/MGM.md)",
    ("rm file", "result"): "the file written above exists only on the stock server (Beryl removed the refused upload's entry)",
    ("rm a directory", "result"):
        "Beryl's rm refuses a directory (kXR_isDirectory, as unlink(2): EISDIR); the stock server's "
        "oss rmdir()s a directory given to rm, so a non-empty one is ENOTEMPTY (kXR_FSError)",
    ("rm an empty directory", "result"):
        "as above: the stock server removes an empty directory given to rm; Beryl answers kXR_isDirectory",
    ("stat with a . component", "result"):
        "Beryl's namespace takes canonical paths: a '.' component is kXR_ArgInvalid; the stock server "
        "lets the kernel resolve it (libXrdCl and xrdfs send the paths they are given)",
    ("rmdir missing", "result"):
        "the stock server answers kXR_ok for rmdir of a missing path; Beryl answers ENOENT "
        "(kXR_NotFound), as rmdir(2) does",
}
RESULT_FIELDS = ("status", "code", "shellcode", "message")

DIR_MODE = AccessMode.UR | AccessMode.UW | AccessMode.UX | AccessMode.GR | AccessMode.GX  # xrdfs mkdir default, 0750
FILE_MODE = AccessMode.UR | AccessMode.UW | AccessMode.GR | AccessMode.OR  # 0644


# ----------------------------------------------------------------------------------------------
# A minimal raw protocol client for the full stat text (mode, owner, group, ctime, atime).
# ----------------------------------------------------------------------------------------------
class Raw:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(struct.pack(">5i", 0, 0, 0, 4, 2012))
        self._recv(16)  # handshake answer: header + protocol version + server type
        self.request(3006, struct.pack(">iBB10x", 0x511, 0, 0))  # kXR_protocol
        user = b"root"
        self.request(3007, struct.pack(">i8sBBBB", 4242, user.ljust(8, b"\0"), 0, 0, 5, 0))  # kXR_login

    def _recv(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise IOError("connection closed")
            data += chunk
        return data

    def request(self, code, params, payload=b""):
        assert len(params) == 16
        self.sock.sendall(struct.pack(">2sH", b"\0\1", code) + params + struct.pack(">i", len(payload)) + payload)
        body = b""
        while True:
            _, status, length = struct.unpack(">2sHi", self._recv(8))
            body += self._recv(length)
            if status != 4000:  # kXR_oksofar: more follows
                return status, body

    def stat(self, path):
        status, body = self.request(3017, bytes(16), path.encode())
        if status == 0:
            return {"ok": True, "fields": body.rstrip(b"\0").decode().split()}
        if status == 4003:
            return {"ok": False, "code": struct.unpack(">i", body[:4])[0], "message": body[4:].rstrip(b"\0").decode()}
        return {"ok": False, "code": -status, "message": "unexpected status %d" % status}


# ----------------------------------------------------------------------------------------------
# The sequence. Each step is (name, xrdfs command it stands for, function(server) -> result dict).
# ----------------------------------------------------------------------------------------------
def status_fields(st):
    r = {"status": "ok" if st.ok else "error", "shellcode": st.shellcode}
    if not st.ok:
        r["code"] = st.errno
        r["message"] = st.message.replace("[ERROR] Server responded with an error: ", "")
    return r


def statinfo_fields(info):
    is_dir = bool(info.flags & 2)
    r = {"flags": info.flags, "id": info.id, "mtime": info.modtime}
    if is_dir:
        r["dirsize"] = info.size
    else:
        r["size"] = info.size
    return r


class Server:
    def __init__(self, name, port):
        self.name = name
        self.port = port
        self.url = "root://127.0.0.1:%d" % port
        self.fs = client.FileSystem(self.url)
        self.raw = Raw(port)

    def plain(self, method, *args):
        st, _ = getattr(self.fs, method)(*args)
        return status_fields(st)

    def stat(self, path):
        st, info = self.fs.stat(path)
        r = status_fields(st)
        if st.ok:
            r.update(statinfo_fields(info))
        return r

    def rawstat(self, path):
        raw = self.raw.stat(path)
        if not raw["ok"]:
            return {"status": "error", "code": raw["code"], "message": raw["message"]}
        f = raw["fields"]
        r = {"status": "ok", "fieldcount": len(f), "id": f[0], "flags": int(f[2]), "mtime": f[3]}
        r["dirsize" if int(f[2]) & 2 else "size"] = int(f[1])
        if len(f) >= 9:
            r.update({"ctime": f[4], "atime": f[5], "mode": f[6], "owner": f[7], "group": f[8]})
        return r

    def ls(self, path, long):
        flags = DirListFlags.LOCATE | (DirListFlags.STAT if long else 0)
        st, listing = self.fs.dirlist(path, flags)
        r = status_fields(st)
        if st.ok:
            names = [e.name for e in listing]
            # The order is each server's (readdir order on the stock server): compare the sorted names.
            r["names"] = " ".join(sorted(names))
            if long:
                entries = sorted(listing, key=lambda e: e.name)
                r["types"] = " ".join("d" if e.statinfo.flags & 2 else "f" for e in entries)
                r["flags"] = " ".join(str(e.statinfo.flags) for e in entries)
                r["size"] = " ".join(str(e.statinfo.size) for e in entries if not e.statinfo.flags & 2)
                r["dirsize"] = " ".join(str(e.statinfo.size) for e in entries if e.statinfo.flags & 2)
                r["id"] = " ".join(str(e.statinfo.id) for e in entries)
                r["mtime"] = " ".join(str(e.statinfo.modtime) for e in entries)
        return r

    def create(self, path, flags, mode=FILE_MODE, data=None):
        f = client.File()
        st, _ = f.open(self.url + "/" + path, flags, mode)
        r = status_fields(st)
        if st.ok:
            if data is not None:
                wst, _ = f.write(data)
                r = status_fields(wst)
            f.close()
        return r

    def xattr(self, verb, path, args=None):
        if verb == "list":
            st, answer = self.fs.list_xattr(path)
        else:
            st, answer = getattr(self.fs, verb + "_xattr")(path, args)
        r = status_fields(st)
        if st.ok:
            r["names"] = " ".join(sorted("%s:%s" % (x[0], x[-1]["errno"]) for x in answer))
            if verb in ("get", "list"):
                r["values"] = " ".join(sorted("%s=%s" % (x[0], x[1]) for x in answer))
        return r

    def sync(self, path):
        f = client.File()
        st, _ = f.open(self.url + "/" + path, OpenFlags.READ)
        if st.ok:
            st, _ = f.sync()
            f.close()
        return status_fields(st)

    def query(self, code, arg):
        st, answer = self.fs.query(code, arg)
        r = status_fields(st)
        if st.ok:
            r["value"] = answer.decode(errors="replace").rstrip("\0").strip()
        return r

    def locate(self, path):
        st, info = self.fs.locate(path, OpenFlags.NONE)
        r = status_fields(st)
        if st.ok:
            r["count"] = len(info.locations)
            r["address"] = " ".join(l.address for l in info)
            r["type"] = " ".join(str(l.type) for l in info)
            r["access"] = " ".join(str(l.accesstype) for l in info)
        return r

    def raw_request(self, verb, code, params, path):
        status, body = self.raw.request(code, params, path.encode())
        if status == 0:
            return {"status": "ok"}
        if status == 4003:
            return {"status": "error", "code": struct.unpack(">i", body[:4])[0],
                    "message": body[4:].rstrip(b"\0").decode()}
        return {"status": "unexpected %d" % status}

    def tidy(self, files, directories, listed=None):
        """Restores a common state after a step where the servers intentionally diverged: removes
        `files` then `directories` (results ignored), and answers what must now agree: the stat of
        each path (or the listing of `listed`)."""
        for path in files:
            self.fs.rm(path)
        for path in directories:
            self.fs.rmdir(path)
        if listed:
            return {"status": "ok", "state": self.ls(listed, False).get("names")}
        return {"status": "ok", "state": " ".join(summary(self.stat(p)) for p in files + directories)}

    def restore_move(self, moved, back, directory):
        """After an intended divergence of a mv: puts the file back where it was, if it moved."""
        st, _ = self.fs.stat(moved)
        if st.ok:
            self.fs.mv(moved, back)
            self.fs.rmdir(directory)
        return {"status": "ok", "state": " ".join(summary(self.stat(p)) for p in (moved, back, directory))}

    def statvfs(self, path):
        st, info = self.fs.statvfs(path)
        r = status_fields(st)
        if st.ok:
            r["vfs"] = "%d/%d" % (info.nodes_rw, info.free_rw)
        return r


STEPS = [
    ("ping", "ping", lambda s: s.plain("ping")),
    ("query config version", "query config version", lambda s: s.query(QueryCode.CONFIG, "version")),
    ("query config role", "query config role", lambda s: s.query(QueryCode.CONFIG, "role")),
    ("query config unknown key", "query config bogus.key", lambda s: s.query(QueryCode.CONFIG, "bogus.key")),
    # mkdir
    ("mkdir -p nested", "mkdir -p /dt/a/b/c", lambda s: s.plain("mkdir", "/dt/a/b/c", MkDirFlags.MAKEPATH, DIR_MODE)),
    ("mkdir -p existing", "mkdir -p /dt/a/b", lambda s: s.plain("mkdir", "/dt/a/b", MkDirFlags.MAKEPATH, DIR_MODE)),
    ("mkdir /dt/a (exists, no -p)", "mkdir /dt/a", lambda s: s.plain("mkdir", "/dt/a", MkDirFlags.NONE, DIR_MODE)),
    ("mkdir missing parent", "mkdir /dt/x/y", lambda s: s.plain("mkdir", "/dt/x/y", MkDirFlags.NONE, DIR_MODE)),
    ("stat dir", "stat /dt/a", lambda s: s.stat("/dt/a")),
    ("stat dir: mode of a -p parent", "stat /dt/a (Mode, Owner: 0750)", lambda s: s.rawstat("/dt/a")),
    # files (xrdfs has no touch: an open with kXR_new, as xrdcp does)
    ("create file", "touch /dt/a/f1 (open kXR_new)", lambda s: s.create("/dt/a/f1", OpenFlags.NEW)),
    ("create existing file", "open kXR_new /dt/a/f1", lambda s: s.create("/dt/a/f1", OpenFlags.NEW)),
    ("create with mkpath", "open kXR_new|kXR_mkpath /dt/p/q/f", lambda s: s.create("/dt/p/q/f", OpenFlags.NEW | OpenFlags.MAKEPATH)),
    ("create missing parent", "open kXR_new /dt/nodir/f", lambda s: s.create("/dt/nodir/f", OpenFlags.NEW)),
    ("restore: rm /dt/nodir", "(rm /dt/nodir/f; rmdir /dt/nodir; stat)", lambda s: s.tidy(["/dt/nodir/f"], ["/dt/nodir"])),
    ("create over a directory", "open kXR_delete /dt/a/b", lambda s: s.create("/dt/a/b", OpenFlags.DELETE)),
    ("mkdir over a file", "mkdir /dt/a/f1", lambda s: s.plain("mkdir", "/dt/a/f1", MkDirFlags.NONE, DIR_MODE)),
    ("mkdir -p through a file", "mkdir -p /dt/a/f1/x/y", lambda s: s.plain("mkdir", "/dt/a/f1/x/y", MkDirFlags.MAKEPATH, DIR_MODE)),
    # stat
    ("stat empty file", "stat /dt/a/f1", lambda s: s.stat("/dt/a/f1")),
    ("stat file: mode 0644", "stat /dt/a/f1 (Mode, Owner)", lambda s: s.rawstat("/dt/a/f1")),
    ("stat missing", "stat /nope", lambda s: s.stat("/nope")),
    ("stat through a file", "stat /dt/a/f1/x", lambda s: s.stat("/dt/a/f1/x")),
    ("stat with // and trailing /", "stat //dt//a/", lambda s: s.rawstat("//dt//a/")),
    ("stat with a . component", "stat /dt/./a (raw)", lambda s: s.rawstat("/dt/./a")),
    ("stat relative path", "stat dt (raw)", lambda s: s.raw_request("stat", 3017, bytes(16), "dt")),
    ("stat with ..", "stat /dt/../dt (raw)", lambda s: s.raw_request("stat", 3017, bytes(16), "/dt/../dt")),
    ("mkdir relative path", "mkdir dt2 (raw)", lambda s: s.raw_request("mkdir", 3008, bytes(16), "dt2")),
    ("mv to a relative path", "mv /dt/a q (raw)", lambda s: s.raw_request("mv", 3009, bytes(16), "/dt/a q")),
    ("statvfs", "statvfs /", lambda s: s.statvfs("/")),
    ("locate /dt", "locate /dt", lambda s: s.locate("/dt")),
    ("locate missing", "locate /nope", lambda s: s.locate("/nope")),
    # ls
    ("ls", "ls /dt/a", lambda s: s.ls("/dt/a", False)),
    ("ls -l", "ls -l /dt/a", lambda s: s.ls("/dt/a", True)),
    ("ls empty dir", "ls -l /dt/a/b/c", lambda s: s.ls("/dt/a/b/c", True)),
    ("ls missing", "ls /nope", lambda s: s.ls("/nope", False)),
    ("ls a file", "ls /dt/a/f1", lambda s: s.ls("/dt/a/f1", False)),
    # mv
    ("mv file", "mv /dt/a/f1 /dt/a/f2", lambda s: s.plain("mv", "/dt/a/f1", "/dt/a/f2")),
    ("stat moved-away source", "stat /dt/a/f1", lambda s: s.stat("/dt/a/f1")),
    ("mv onto missing parent", "mv /dt/a/f2 /dt/missing/f2", lambda s: s.plain("mv", "/dt/a/f2", "/dt/missing/f2")),
    ("restore: mv back", "(mv /dt/missing/f2 /dt/a/f2; rmdir /dt/missing; stat)",
     lambda s: s.restore_move("/dt/missing/f2", "/dt/a/f2", "/dt/missing")),
    ("mv missing source", "mv /nope /dt/z", lambda s: s.plain("mv", "/nope", "/dt/z")),
    ("mv dir into itself", "mv /dt/a /dt/a/b/inside", lambda s: s.plain("mv", "/dt/a", "/dt/a/b/inside")),
    ("mv directory", "mv /dt/a/b /dt/b", lambda s: s.plain("mv", "/dt/a/b", "/dt/b")),
    ("create second file", "touch /dt/a/g", lambda s: s.create("/dt/a/g", OpenFlags.NEW)),
    ("mv file onto existing file", "mv /dt/a/f2 /dt/a/g", lambda s: s.plain("mv", "/dt/a/f2", "/dt/a/g")),
    ("ls after mv onto existing", "ls /dt/a", lambda s: s.ls("/dt/a", False)),
    ("mv file onto a directory", "mv /dt/a/g /dt/b", lambda s: s.plain("mv", "/dt/a/g", "/dt/b")),
    # extended attributes (several names per request) and a sync on a read-only handle
    ("xattr set", "xattr /dt/a/g set user.a=1 user.b=2", lambda s: s.xattr("set", "/dt/a/g", [(b"user.a", b"1"), (b"user.b", b"2")])),
    ("xattr get", "xattr /dt/a/g get user.a user.zz", lambda s: s.xattr("get", "/dt/a/g", [b"user.a", b"user.zz"])),
    ("xattr list", "xattr /dt/a/g list", lambda s: s.xattr("list", "/dt/a/g")),
    ("xattr del", "xattr /dt/a/g del user.a user.zz", lambda s: s.xattr("del", "/dt/a/g", [b"user.a", b"user.zz"])),
    ("xattr list after del", "xattr /dt/a/g list", lambda s: s.xattr("list", "/dt/a/g")),
    ("xattr set on a directory", "xattr /dt/a set user.d=x", lambda s: s.xattr("set", "/dt/a", [(b"user.d", b"x")])),
    ("xattr list missing", "xattr /nope list", lambda s: s.xattr("list", "/nope")),
    ("sync read-only handle", "open /dt/a/g; sync", lambda s: s.sync("/dt/a/g")),
    ("sendinfo", "sendinfo hello", lambda s: s.plain("sendinfo", "hello")),
    # chmod
    ("chmod file 0600", "chmod /dt/a/g rw-------", lambda s: s.plain("chmod", "/dt/a/g", AccessMode.UR | AccessMode.UW)),
    ("stat after chmod file", "stat /dt/a/g (Mode: 0600)", lambda s: s.rawstat("/dt/a/g")),
    ("chmod dir 0700", "chmod /dt/b rwx------", lambda s: s.plain("chmod", "/dt/b", AccessMode.UR | AccessMode.UW | AccessMode.UX)),
    ("stat after chmod dir", "stat /dt/b (Mode: 0700)", lambda s: s.rawstat("/dt/b")),
    ("chmod missing", "chmod /nope rwx------", lambda s: s.plain("chmod", "/nope", AccessMode.UR)),
    # truncation and data
    ("truncate via kXR_delete", "open kXR_delete /dt/a/g", lambda s: s.create("/dt/a/g", OpenFlags.DELETE)),
    ("write data", "xrdcp - /dt/w (4 bytes)", lambda s: s.create("/dt/w", OpenFlags.NEW, data=b"data")),
    ("stat after write", "stat /dt/w", lambda s: s.stat("/dt/w")),
    # rm, rmdir
    ("rm file", "rm /dt/w", lambda s: s.plain("rm", "/dt/w")),
    ("rm missing", "rm /dt/w", lambda s: s.plain("rm", "/dt/w")),
    ("rm a directory", "rm /dt/b", lambda s: s.plain("rm", "/dt/b")),
    ("rm an empty directory", "rm /dt/b/c", lambda s: s.plain("rm", "/dt/b/c")),
    ("restore: rmdir /dt/b/c", "(rmdir /dt/b/c; stat)", lambda s: s.tidy([], ["/dt/b/c"])),
    ("rmdir non-empty", "rmdir /dt/a", lambda s: s.plain("rmdir", "/dt/a")),
    ("rmdir a file", "rmdir /dt/a/g", lambda s: s.plain("rmdir", "/dt/a/g")),
    ("rmdir missing", "rmdir /nope", lambda s: s.plain("rmdir", "/nope")),
    ("rm file in a mkpath dir", "rm /dt/p/q/f", lambda s: s.plain("rm", "/dt/p/q/f")),
    ("rmdir empty", "rmdir /dt/p/q", lambda s: s.plain("rmdir", "/dt/p/q")),
    ("rmdir emptied dir", "rmdir /dt/b", lambda s: s.plain("rmdir", "/dt/b")),
    ("ls -l tree", "ls -l /dt", lambda s: s.ls("/dt", True)),
    ("ls -l after rm", "ls -l /dt/a", lambda s: s.ls("/dt/a", True)),
]


def summary(result):
    if result is None:
        return "-"
    if result.get("status") == "ok":
        return "ok"
    return "err %s (exit %s)" % (result.get("code"), result.get("shellcode", "-"))


def intended_key(step, field):
    """The INTENDED entry that allows `field` of `step` to differ, or None."""
    names = (field, "result") if field in RESULT_FIELDS else (field,)
    for key in [(step, name) for name in names] + [("*", name) for name in names]:
        if key in INTENDED:
            return key
    return None


def main():
    stock_port, beryl_port = int(sys.argv[1]), int(sys.argv[2])
    results = {}
    for name, port in (("stock", stock_port), ("beryl", beryl_port)):
        server = Server(name, port)
        results[name] = []
        for step, _, run in STEPS:
            try:
                results[name].append(run(server))
            except Exception as e:  # a client-side failure is a result too
                results[name].append({"status": "exception", "message": repr(e)})

    rows, failures, used = [], 0, set()
    for index, (step, command, _) in enumerate(STEPS):
        a, b = results["stock"][index], results["beryl"][index]
        unintended, allowed = [], []
        # When success and failure differ as intended, what only one side answers differs with it.
        result_key = intended_key(step, "status") if a.get("status") != b.get("status") else None
        for field in sorted(set(a) | set(b)):
            if a.get(field) == b.get(field):
                continue
            key = intended_key(step, field) or result_key
            if key:
                label = "result" if key[1] == "result" else field
                if label not in allowed:
                    allowed.append(label)
                used.add(key)
            else:
                unintended.append(field)
        if unintended:
            failures += 1
            verdict = "DIFFERENT: " + ", ".join(
                "%s %r / %r" % (f, a.get(f), b.get(f)) for f in unintended)
        elif allowed:
            verdict = "intended (" + ", ".join(allowed) + ")"
        else:
            verdict = "same"
        rows.append((str(index + 1), command, summary(a), summary(b), verdict))

    header = ("#", "command", "stock", "beryl", "verdict")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(4)]
    fmt = "  ".join("%%-%ds" % w for w in widths) + "  %s"
    print(fmt % header)
    for row in rows:
        print(fmt % row)
    print()
    print("Intended differences seen (field: reason):")
    for key in sorted(used):
        print("  %s / %s: %s" % (key[0], key[1], INTENDED[key]))
    print()
    print("%d steps, %d with unintended differences" % (len(rows), failures))
    if "-v" in sys.argv:
        for index, (step, command, _) in enumerate(STEPS):
            print(command, "\n  stock:", results["stock"][index], "\n  beryl:", results["beryl"][index])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
