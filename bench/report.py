#!/usr/bin/env python3
"""Reads a simdnorm-bench JSON file (Google Benchmark --benchmark_out) and
prints a compact table - GB/s (x read + y written), frac (throughput / same-run
memcpy of the same bytes) and the ratio to oneDNN on the same shape - then
renders a PNG: throughput against x size, one line per ISA, with the memcpy
roofline and oneDNN.

    report.py results.json [--png out.png]
"""
import argparse
import collections
import json
import re
import sys

NAME = re.compile(r"^(?P<op>[a-z_0-9]+?)(?:/(?P<isa>scalar|avx2|avx512|neon))?/(?P<shape>.+)/x:(?P<x>[0-9]+(?:B|KiB|MiB))/threads:(?P<threads>[0-9]+)(?:/real_time)?$")


UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def parse_size(s):
    for suffix, mul in (("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)):
        if s.endswith(suffix):
            return int(s[: -len(suffix)]) * mul
    raise ValueError(s)


def load(path):
    with open(path) as f:
        data = json.load(f)
    rows = []
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" or "error_occurred" in b and b["error_occurred"]:
            continue
        m = NAME.match(b["name"])
        if not m:
            continue
        op = m["op"]
        who = m["isa"] or ("memcpy" if op == "memcpy" else "onednn" if op.startswith("onednn_") else "?")
        if op.startswith("onednn_"):
            op = op[len("onednn_"):]
        rows.append(dict(op=op, who=who, shape=m["shape"], x=parse_size(m["x"]), threads=int(m["threads"]),
                         gbs=b["bytes_per_second"] / 1e9, frac=b.get("frac", float("nan")),
                         ns=b["real_time"] * UNIT_NS[b.get("time_unit", "ns")]))
    return data.get("context", {}), rows


def size_label(n):
    return f"{n >> 20}MiB" if n >= 1 << 20 else f"{n >> 10}KiB" if n >= 1 << 10 else f"{n}B"


def table(rows):
    onednn = {(r["op"], r["shape"], r["threads"]): r for r in rows if r["who"] == "onednn"}
    print(f"{'op':<22} {'shape':<24} {'x':>6} {'thr':>3} {'isa':<7} {'GB/s':>7} {'frac':>5} {'vs oneDNN':>9}")
    for r in rows:
        if r["who"] in ("memcpy", "onednn"):
            continue
        peer = onednn.get((r["op"], r["shape"], r["threads"]))
        ratio = f"{peer['ns'] / r['ns']:.2f}x" if peer else "-"
        print(f"{r['op']:<22} {r['shape']:<24} {size_label(r['x']):>6} {r['threads']:>3} {r['who']:<7} "
              f"{r['gbs']:7.1f} {r['frac']:5.2f} {ratio:>9}")
    for peer in onednn.values():
        print(f"{peer['op']:<22} {peer['shape']:<24} {size_label(peer['x']):>6} {peer['threads']:>3} "
              f"{'oneDNN':<7} {peer['gbs']:7.1f} {peer['frac']:5.2f}")


def scaling(rows):
    """Speed-up from the fewest to each other thread count, per op, shape and
    implementation, when the run had several thread counts."""
    counts = sorted({r["threads"] for r in rows})
    if len(counts) < 2:
        return
    base = counts[0]
    by = collections.defaultdict(dict)
    for r in rows:
        by[(r["op"], r["who"], r["shape"], r["x"])][r["threads"]] = r
    print(f"\nscaling from {base} thread(s): speed-up (frac vs a memcpy with as many threads)")
    print(f"{'op':<22} {'who':<7} {'shape':<24} {'x':>6} " + " ".join(f"{'t=' + str(c):>14}" for c in counts[1:]))
    for (op, who, shape, x), per in by.items():
        if base not in per or who == "memcpy":
            continue
        cells = []
        for c in counts[1:]:
            r = per.get(c)
            cells.append(f"{per[base]['ns'] / r['ns']:5.2f}x ({r['frac']:.2f})" if r else f"{'-':>14}")
        print(f"{op:<22} {who:<7} {shape:<24} {size_label(x):>6} " + " ".join(f"{c:>14}" for c in cells))


def fused(rows):
    """Each fused op beside its _unfused baseline (same run, same ISA, shape
    and thread count): GB/s of both and the speed-up; and each fused op
    beside the plain norm it extends (its cost over the plain call)."""
    idx = {(r["op"], r["who"], r["shape"], r["threads"]): r for r in rows}
    plain_of = {"layer_norm_gelu": "layer_norm", "layer_norm_residual": "layer_norm",
                "rms_norm_residual": "rms_norm"}
    lines = []
    for r in rows:
        base = idx.get((r["op"] + "_unfused", r["who"], r["shape"], r["threads"]))
        if not base or r["who"] in ("memcpy", "onednn"):
            continue
        plain = idx.get((plain_of.get(r["op"], ""), r["who"], r["shape"], r["threads"]))
        over = f"{r['ns'] / plain['ns'] - 1:+8.1%}" if plain else f"{'-':>8}"
        lines.append(f"{r['op']:<20} {r['shape']:<24} {size_label(r['x']):>8} {r['threads']:>3} "
                     f"{r['who']:<7} {r['gbs']:7.1f} {base['gbs']:9.1f} {base['ns'] / r['ns']:7.2f}x {over}")
    if not lines:
        return
    print("\nfused vs unfused (same run): GB/s of the op's bytes; time over the plain norm")
    print(f"{'op':<20} {'shape':<24} {'x':>8} {'thr':>3} {'isa':<7} {'fused':>7} {'unfused':>9} "
          f"{'speedup':>8} {'vs plain':>8}")
    for line in lines:
        print(line)


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # one panel per (op, feature size); lines: each ISA, memcpy, oneDNN
    fewest = min(r["threads"] for r in rows)
    rows = [r for r in rows if r["threads"] == fewest]
    panels = collections.OrderedDict()
    for r in rows:
        if r["who"] == "memcpy":
            continue
        feat = r["shape"].split("/")[0]
        panels.setdefault((r["op"], feat), []).append(r)
    memcpy = collections.defaultdict(list)
    for r in rows:
        if r["who"] == "memcpy":
            memcpy[r["shape"].split("/")[0]].append(r)
    keys = [k for k in panels if len({r["x"] for r in panels[k]}) > 1]
    if not keys:
        return
    cols = 4
    nrows = (len(keys) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.2 * nrows), squeeze=False)
    for ax, key in zip(axes.flat, keys):
        by_who = collections.defaultdict(list)
        for r in panels[key]:
            by_who[r["who"]].append(r)
        for who, rs in sorted(by_who.items()):
            rs.sort(key=lambda r: r["x"])
            style = "k--" if who == "onednn" else "-o"
            ax.plot([r["x"] for r in rs], [r["gbs"] for r in rs], style, label=who, markersize=3)
        mc = sorted(memcpy.get(key[1], []), key=lambda r: r["x"])
        if mc and key[0] in ("layer_norm", "rms_norm"):
            ax.plot([r["x"] for r in mc], [r["gbs"] for r in mc], ":", color="gray", label="memcpy")
        ax.set_xscale("log", base=2)
        ax.set_title(f"{key[0]} {key[1]}", fontsize=9)
        ax.set_xlabel("x bytes")
        ax.set_ylabel("GB/s (x+y)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    print(f"plot: {path}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("json")
    ap.add_argument("--png")
    a = ap.parse_args()
    context, rows = load(a.json)
    if not rows:
        print("no benchmark results", file=sys.stderr)
        return 1
    print(f"host: {context.get('host_name', '?')}, {context.get('num_cpus', '?')} CPUs, "
          f"default ISA {context.get('simdnorm_default_isa', '?')}")
    table(rows)
    scaling(rows)
    fused(rows)
    if a.png:
        plot(rows, a.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
