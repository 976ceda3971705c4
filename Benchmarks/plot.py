#!/usr/bin/env python3
"""Renders the benchmark charts in docs/img/ from Benchmarks/results/*.json (run by `make bench`)."""
import json
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RESULTS = os.environ.get("BERYL_BENCH_RESULTS", "Benchmarks/results")
OUT = "docs/img"


def figures(suite):
    path = os.path.join(RESULTS, suite + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return {fig["name"]: fig["value"] for fig in json.load(f)["figures"]}


def boot_vs_entries():
    f = figures("scale")
    if not f:
        return
    points = sorted((10 ** int(k.split("_1e")[1]), v) for k, v in f.items() if k.startswith("boot_seconds_1e"))
    comp = sorted((10 ** int(k.split("_1e")[1]), v) for k, v in f.items() if k.startswith("compaction_seconds_1e"))
    ckpt = sorted((10 ** int(k.split("_1e")[1]), v) for k, v in f.items() if k.startswith("checkpoint_boot_seconds_1e"))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog([p[0] for p in points], [p[1] for p in points], "o-", label="boot by full replay")
    if ckpt:
        ax.loglog([p[0] for p in ckpt], [p[1] for p in ckpt], "^-", label="boot from checkpoint")
    ax.loglog([p[0] for p in comp], [p[1] for p in comp], "s-", label="offline compaction")
    xs = [p[0] for p in points]
    ax.loglog(xs, [points[0][1] * x / xs[0] for x in xs], ":", color="gray", label="linear")
    ax.set_xlabel("files")
    ax.set_ylabel("seconds")
    ax.set_title("Boot (replay vs checkpoint) and compaction time vs namespace size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "scale.png"), dpi=110)


def ratio_heatmap():
    f = figures("ratio")
    if not f:
        return
    updates, deletes = [1, 3, 10, 30], [0, 10, 50]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, kind in zip(axes, ["plain", "lz4"]):
        grid = [[f.get(f"ratio_u{u}_d{d}_{kind}", 0) for u in updates] for d in deletes]
        im = ax.imshow(grid, cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(updates)), [str(u) for u in updates])
        ax.set_yticks(range(len(deletes)), [f"{d} %" for d in deletes])
        ax.set_xlabel("updates per file")
        ax.set_ylabel("deleted")
        ax.set_title("plain frames" if kind == "plain" else "LZ4 blocks")
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                ax.text(j, i, f"{v:.1f}", ha="center", va="center", color="white" if v < max(map(max, grid)) / 2 else "black")
        fig.colorbar(im, ax=ax)
    fig.suptitle("Compaction ratio (old size / new size)")
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "ratio.png"), dpi=110)


def lock_holds():
    path = os.path.join(RESULTS, "compaction.lock_hold_ms.samples.json")
    if not os.path.exists(path):
        return
    with open(path) as f:
        holds = json.load(f)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.hist(holds, bins=20)
    ax.axvline(1.0, color="red", linestyle="--", label="p99 target 1 ms")
    ax.set_xlabel("lock hold (ms)")
    ax.set_ylabel("holds")
    ax.set_title("Owner-lock holds by online compaction (prepare + commit)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "lock-holds.png"), dpi=110)


def replication_lag_cdf():
    path = os.path.join(RESULTS, "replication.lag_ms.samples.json")
    if not os.path.exists(path):
        return
    with open(path) as f:
        lags = sorted(x for x in json.load(f) if x is not None)
    if not lags:
        return
    n = len(lags)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.step(lags, [(i + 1) / n for i in range(n)], where="post")
    ax.axvline(10.0, color="red", linestyle="--", label="p99 target 10 ms")
    ax.axvline(500.0, color="gray", linestyle=":", label="legacy follower poll (500 ms)")
    ax.set_xscale("log")
    ax.set_xlabel("ack on the master to visible on the slave (ms)")
    ax.set_ylabel("fraction of probes")
    ax.set_title(f"Replication lag under load ({n} probes)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "replication_lag_cdf.png"), dpi=110)


def main():
    os.makedirs(OUT, exist_ok=True)
    boot_vs_entries()
    ratio_heatmap()
    lock_holds()
    replication_lag_cdf()
    print("charts written to", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
