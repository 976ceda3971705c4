#!/usr/bin/env python3
"""Refreshes the generated blocks of docs/BENCHMARKS.md from Benchmarks/results/*.json (run by `make bench`).

Standard library only. Each block sits between two markers and is replaced whole:

    <!-- results:run begin -->   ...   <!-- results:run end -->      the run header (date, commit, machine)
    <!-- results:<suite> begin --> ... <!-- results:<suite> end -->  the tables of one suite

Everything outside the markers is written by hand and left as it is. A suite whose JSON is missing
keeps its block unchanged. `--check` exits 1 if the document would change (nothing is written).
`--started-file F` (from `make bench`; F holds the start time in seconds, the load average then and
whether the build was clean or incremental)
records the run's wall time, commit, machine and load in Benchmarks/results/run.json, which the
run header is made from.
"""
import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import datetime, timezone

RESULTS = os.environ.get("BERYL_BENCH_RESULTS", "Benchmarks/results")
DOC = os.environ.get("BERYL_BENCH_DOC", "docs/BENCHMARKS.md")
SUITES = ["core", "namespace", "compaction", "ratio", "scale", "tools", "xrootd", "replication", "compare"]


# ---------------------------------------------------------------------------------------- formatting

def number(v, unit=""):
    """A value for a table: thousands separators, about three significant digits below 1,000."""
    if v is None:
        return "n/a"
    if isinstance(v, float) and v != v:
        return "n/a"
    a = abs(v)
    if unit in ("bytes", "records", "samples", "ops", "syncs", "holds", "rounds", "reads", "files") and v == int(v):
        return f"{int(v):,}"
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    if a == 0:
        return "0"
    # below 1: three significant digits (0.253, 0.0046)
    s = f"{v:.3g}"
    return s if "e" not in s else f"{v:.2e}"


def target_text(t):
    """">= 1000000" -> "≥ 1,000,000"."""
    if t is None:
        return ""
    m = re.match(r"\s*(>=|<=)\s*([-0-9.e+]+)\s*$", t)
    if not m:
        return t
    op = "≥" if m.group(1) == ">=" else "≤"
    v = float(m.group(2))
    return f"{op} {v:,.0f}" if v == int(v) else f"{op} {v:g}"


def met_text(met):
    return "" if met is None else ("yes" if met else "**no**")


def run_line(data):
    date = data.get("date", "")
    try:
        d = datetime.strptime(date, "%Y-%m-%dT%H:%M:%SZ")
        date = d.strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        pass
    return f"Run of {date}, commit `{data.get('commit', '?')}` ({data.get('machine', '')}); from `Benchmarks/results/{data['suite']}.json`."


def table(header, aligns, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if a == "r" else "---" for a in aligns) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def figure_table(figs):
    rows = []
    for f in figs:
        rows.append([f"`{f['name']}`", number(f["value"], f["unit"]), f["unit"], target_text(f["target"]), met_text(f["met"])])
    return table(["figure", "value", "unit", "target", "met"], ["l", "r", "l", "r", "l"], rows)


def notes(data, skip=()):
    n = [x for x in data.get("notes") or [] if not x.startswith(skip)]
    if not n:
        return []
    return ["", "Notes printed by the run:", ""] + [f"* {x}" for x in n]


# ---------------------------------------------------------------------------------------- suites

def generic(data):
    return [run_line(data), ""] + figure_table(data["figures"]) + notes(data)


def ratio(data):
    f = {x["name"]: x["value"] for x in data["figures"]}
    out = [run_line(data), ""]
    rows = []
    for u in [1, 3, 10, 30]:
        for d in [0, 10, 50]:
            t = f"u{u}_d{d}"
            rows.append([u, f"{d} %", number(f.get(f"log_bytes_{t}"), "bytes"), number(f.get(f"live_records_{t}"), "records"),
                         number(f.get(f"compacted_bytes_{t}_plain"), "bytes"), number(f.get(f"compacted_bytes_{t}_lz4"), "bytes"),
                         number(f.get(f"ratio_{t}_plain")), number(f.get(f"ratio_{t}_lz4"))])
    out += table(["updates per file", "deleted", "log bytes", "live records", "compacted, plain frames", "compacted, LZ4 blocks",
                  "ratio plain", "ratio LZ4"], ["r"] * 8, rows)
    fixture_rows = []
    for name in ["files", "directories"]:
        p = f"eos_fixture_{name}_"
        if p + "ratio_beryl" not in f:
            continue
        records = f"{name} ({number(f.get(p + 'records'), 'records')} records, {number(f.get(p + 'live_records'), 'records')} live)"
        fixture_rows.append([records, number(f.get(p + "legacy_bytes"), "bytes"),
                             f"{number(f.get(p + 'eos_log_compact_bytes'), 'bytes')} ({number(f[p + 'ratio_eos_log_compact'])}x)",
                             f"{number(f.get(p + 'beryl_bytes'), 'bytes')} ({number(f[p + 'ratio_beryl'])}x)",
                             f"{number(f[p + 'size_ratio_vs_eos_log_compact'])}x"])
    out += ["", "The EOS namespace of the shared fixtures, converted and compacted in the same run:", ""]
    if fixture_rows:
        out += table(["log", "legacy log bytes", "`eos-log-compact` output", "Beryl compacted (LZ4 blocks)", "Beryl output smaller by"],
                     ["l", "r", "r", "r", "r"], fixture_rows)
    else:
        out += ["(not measured in this run: the fixtures were not found; set `BERYL_FIXTURES`)"]
    return out + notes(data)


def scale(data):
    f = {x["name"]: x for x in data["figures"]}
    out = [run_line(data), ""]
    rows = []
    for e in range(3, 10):
        t = f"1e{e}"
        if f"boot_seconds_{t}" not in f:
            continue
        rows.append([f"10^{e}", f"{number(f[f'boot_seconds_{t}']['value'])} s", number(f[f"resident_bytes_per_file_{t}"]["value"]),
                     f"{number(f[f'compaction_seconds_{t}']['value'])} s"])
    out += table(["files", "boot", "resident bytes per file", "offline compaction"], ["r"] * 4, rows)
    out += [""]
    out += figure_table([x for x in data["figures"] if x["name"].endswith("_growth_exponent")])
    return out + notes(data)


def compare(data):
    f = {x["name"]: x["value"] for x in data["figures"]}
    peers = [("rocksdb", "RocksDB"), ("sqlite", "SQLite")]

    def speed(metric, peer, suffix=""):
        v = f.get(f"{metric}_speedup_vs_{peer}{suffix}")
        return "n/a" if v is None else (f"{number(v)}x" if v >= 1 else f"**{number(v)}x**")

    def per_s(key):
        v = f.get(key)
        return "n/a" if v is None else f"{number(v)} ops/s"

    def secs(key):
        v = f.get(key)
        return "n/a" if v is None else f"{number(v)} s"

    def mb(key):
        v = f.get(key)
        return "n/a" if v is None else f"{v / 1e6:,.1f} MB"

    rows = []
    for label, metric, suffix, value in [
        ("bulk load (creates)", "bulk_load", "", lambda e: per_s(f"{e}_bulk_load_per_s")),
        ("random updates", "random_update", "", lambda e: per_s(f"{e}_random_update_per_s")),
        ("synced updates (`always` / `sync` / `FULL`)", "synced_update", "_sync", lambda e: per_s(f"{e}_synced_update_per_s")),
        ("synced updates, 16 writers", "synced_update16", "_sync", lambda e: per_s(f"{e}_synced_update16_per_s")),
        ("reopen to ready", "reopen", "", lambda e: secs(f"{e}_reopen_s")),
        ("compaction", "compaction", "", lambda e: secs(f"{e}_compaction_s")),
    ]:
        row = [label, value("beryl")]
        for p, _ in peers:
            row += [value(p), speed(metric, p, suffix)]
        rows.append(row)
    row = ["disk size after compaction (before)", f"{mb('beryl_disk_bytes')} ({mb('beryl_disk_bytes_before_compaction')})"]
    for p, _ in peers:
        v = f.get(f"disk_size_ratio_vs_{p}")
        ratio_text = "n/a" if v is None else (f"{number(v)}x" if v >= 1 else f"**{number(v)}x**")
        row += [f"{mb(f'{p}_disk_bytes')} ({mb(f'{p}_disk_bytes_before_compaction')})", ratio_text]
    rows.append(row)
    row = ["device writes: load + updates + compaction", mb("beryl_device_write_bytes")]
    for p, _ in peers:
        v = f.get(f"write_amplification_ratio_vs_{p}")
        ratio_text = "n/a" if v is None else (f"{number(v)}x" if v >= 1 else f"**{number(v)}x**")
        row += [mb(f"{p}_device_write_bytes"), ratio_text]
    rows.append(row)
    header = ["metric", "Beryl"]
    for _, name in peers:
        header += [name, f"ratio vs {name}"]
    out = [run_line(data), ""]
    out += table(header, ["l", "r", "r", "r", "r", "r"], rows)
    out += ["", "Ratios are the figures `<metric>_speedup_vs_<peer>` (their time / ours: above 1, Beryl is faster), "
            "`disk_size_ratio_vs_<peer>` and `write_amplification_ratio_vs_<peer>` (their bytes / ours: above 1, Beryl is smaller); **bold** where the peer wins."]
    return out + notes(data, skip=("speedup = ",))


RENDER = {"ratio": ratio, "scale": scale, "compare": compare}


# ---------------------------------------------------------------------------------------- run header

def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
            mem = f", {kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, Linux {platform.release()}"


def git_commit():
    try:
        c = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "Sources", "Benchmarks", "CSupport",
                                "Package.swift", ":(exclude)Benchmarks/results"], capture_output=True, text=True).stdout.strip()
        return f"`{c}`" + (" (with uncommitted changes to the sources or benchmarks)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "(unknown)"


def run_record(started_file):
    """The record of this `make bench` run, kept in Benchmarks/results/run.json so `make bench-docs`
    can render the header again later. With `--started-file` (from `make bench`): a new record."""
    path = os.path.join(RESULTS, "run.json")
    if started_file:
        with open(started_file) as fh:
            fields = fh.read().split()
        started = int(fields[0])
        with open("/proc/loadavg") as fh:
            load_end = fh.read().split()[:3]
        record = {
            "started": datetime.fromtimestamp(started, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "finished": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "wall_seconds": int(time.time() - started),
            "build": fields[4] if len(fields) > 4 else "unknown",
            "load_average_start": fields[1:4],
            "load_average_end": load_end,
            "commit": git_commit(),
            "machine": machine(),
        }
        with open(path, "w") as fh:
            json.dump(record, fh, indent=2)
            fh.write("\n")
        return record
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def run_header(loaded, record):
    lines = []
    if record:
        w = record["wall_seconds"]
        build = {"clean": "builds from a clean checkout included", "incremental": "incremental builds (`.build` was there)"}
        lines.append(f"`make bench` from {record['started']} to {record['finished']}: **{w // 60} min {w % 60} s** wall time, "
                     f"{build.get(record.get('build'), 'builds included')}.")
        lines.append(f"Commit {record['commit']}.")
        lines.append(f"Machine: {record['machine']}.")
        if record.get("load_average_start"):
            lines.append(f"Load average (1, 5, 15 min) at the start {', '.join(record['load_average_start'])}, at the end "
                         f"{', '.join(record['load_average_end'])}: other processes share the cores.")
    else:
        lines.append(f"Tables written at commit {git_commit()} on {machine()} (no record of a `make bench` run in "
                     f"`{RESULTS}/run.json`).")
    if loaded:
        dates = sorted(d["date"] for d in loaded.values())
        lines.append(f"Results of the suites {', '.join(f'`{s}`' for s in SUITES if s in loaded)}, dated {dates[0]} to {dates[-1]}.")
    return ["* " + line for line in lines]


# ---------------------------------------------------------------------------------------- main

def replace_block(doc, name, body):
    begin, end = f"<!-- results:{name} begin -->", f"<!-- results:{name} end -->"
    i, j = doc.find(begin), doc.find(end)
    if i < 0 or j < i:
        print(f"render: no markers for {name} in {DOC}", file=sys.stderr)
        return doc, False
    text = begin + "\n\n" + "\n".join(body) + "\n\n" + end
    return doc[:i] + text + doc[j + len(end):], True


def main():
    args = sys.argv[1:]
    check = "--check" in args
    started_file = args[args.index("--started-file") + 1] if "--started-file" in args else None
    with open(DOC) as fh:
        doc = original = fh.read()
    loaded = {}
    for suite in SUITES:
        path = os.path.join(RESULTS, suite + ".json")
        if not os.path.exists(path):
            print(f"render: {path} missing; block {suite} left as it is", file=sys.stderr)
            continue
        with open(path) as fh:
            loaded[suite] = json.load(fh)
    ok = True
    for suite, data in loaded.items():
        doc, found = replace_block(doc, suite, RENDER.get(suite, generic)(data))
        ok = ok and found
    doc, found = replace_block(doc, "run", run_header(loaded, run_record(None if check else started_file)))
    ok = ok and found
    if check:
        if doc != original:
            print(f"render: {DOC} is not up to date with {RESULTS}", file=sys.stderr)
            sys.exit(1)
        return
    if doc != original:
        with open(DOC, "w") as fh:
            fh.write(doc)
    print(f"render: {DOC} refreshed from {RESULTS} ({len(loaded)} suites)", file=sys.stderr)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
