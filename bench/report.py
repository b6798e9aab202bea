#!/usr/bin/env python3
"""Reads a simdnorm-bench JSON file (Google Benchmark --benchmark_out) and
prints a compact table - GB/s (x read + y written; backward: x and dy read,
dx written), frac (throughput / the same-run copy limit of the same bytes:
the faster of memcpy and a streaming copy; a "limit" line per shape says
which copy won), frac vs memcpy alone and the ratio to oneDNN on the same
shape - then a summary against the performance goals, per ISA, for
layer_norm and rms_norm, and one for the backward ops (issue 13); then
renders a PNG: throughput against x size, one line per ISA, with the memcpy
and streaming copy rooflines and oneDNN.

    report.py results.json [--png out.png]
"""
import argparse
import collections
import json
import math
import re
import sys

NAME = re.compile(r"^(?P<op>[a-z_0-9]+?)(?:/(?P<isa>scalar|avx2|avx512bf16|avx512|neon))?/(?P<shape>.+)/x:(?P<x>[0-9]+(?:B|KiB|MiB))/threads:(?P<threads>[0-9]+)(?:/real_time)?$")


UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
COPIES = ("memcpy", "stream_copy")  # the rooflines, not ops
LIMIT_OF = {"memcpy": "lim_memcpy", "stream_copy": "lim_stream"}  # each copy's counter on an op's row
ISAS = ("avx2", "avx512", "avx512bf16", "neon", "scalar")
# An ISA that cascades from another (kernels/isa_list.h) runs only the ops
# it has kernels of its own for (the bf16 twins); its float32 baseline is
# its parent's.
PARENT = {"avx512bf16": "avx512"}


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
        who = m["isa"] or (op if op in COPIES else "onednn" if op.startswith("onednn_") else "?")
        if op.startswith("onednn_"):
            op = op[len("onednn_"):]
        nan = float("nan")
        rows.append(dict(op=op, who=who, shape=m["shape"], x=parse_size(m["x"]), threads=int(m["threads"]),
                         gbs=b["bytes_per_second"] / 1e9, frac=b.get("frac", nan),
                         # files from before the streaming copy: frac was vs memcpy
                         frac_memcpy=b.get("frac_memcpy", b.get("frac", nan)),
                         lim_memcpy=b.get("limit_memcpy_gbs"), lim_stream=b.get("limit_stream_gbs"),
                         bytes=b.get("bytes"),
                         ns=b["real_time"] * UNIT_NS[b.get("time_unit", "ns")]))
    return data.get("context", {}), rows


def size_label(n):
    return f"{n >> 20}MiB" if n >= 1 << 20 else f"{n >> 10}KiB" if n >= 1 << 10 else f"{n}B"


def limit_line(r):
    """The copy limit behind a row's frac: both copies' GB/s, and which won."""
    mc, st = r["lim_memcpy"], r["lim_stream"]
    won = "stream_copy" if st > mc else "memcpy"
    return (f"{'limit':<22} {r['shape']:<24} {size_label(r['x']):>6} {r['threads']:>3} {won:<11} "
            f"memcpy {mc:.1f} GB/s, stream_copy {st:.1f} GB/s")


def table(rows):
    onednn = {(r["op"], r["shape"], r["threads"]): r for r in rows if r["who"] == "onednn"}
    print("frac: throughput / the copy limit (the faster of memcpy and stream_copy of the same bytes, "
          "same run); fmcpy: / memcpy alone")
    print(f"{'op':<22} {'shape':<24} {'x':>6} {'thr':>3} {'isa':<10} {'GB/s':>7} {'frac':>5} {'fmcpy':>5} "
          f"{'vs oneDNN':>9}")
    limits_shown = set()
    for r in rows:
        if r["who"] in COPIES or r["who"] == "onednn":
            continue
        key = (r["shape"], r["x"], r["threads"], r["bytes"])
        if r["lim_memcpy"] is not None and r["lim_stream"] is not None and key not in limits_shown:
            limits_shown.add(key)
            print(limit_line(r))
        peer = onednn.get((r["op"], r["shape"], r["threads"]))
        ratio = f"{peer['ns'] / r['ns']:.2f}x" if peer else "-"
        print(f"{r['op']:<22} {r['shape']:<24} {size_label(r['x']):>6} {r['threads']:>3} {r['who']:<10} "
              f"{r['gbs']:7.1f} {r['frac']:5.2f} {r['frac_memcpy']:5.2f} {ratio:>9}")
    for peer in onednn.values():
        print(f"{peer['op']:<22} {peer['shape']:<24} {size_label(peer['x']):>6} {peer['threads']:>3} "
              f"{'oneDNN':<10} {peer['gbs']:7.1f} {peer['frac']:5.2f} {peer['frac_memcpy']:5.2f}")


# Size classes by the bytes of x.
CLASSES = (("<=256KiB", lambda x: x <= 256 << 10),
           ("4MiB", lambda x: 256 << 10 < x <= 16 << 20),
           ("64MiB", lambda x: x > 16 << 20))
VS_ONEDNN_MIN, VS_ONEDNN_GEOMEAN = 1.0, 1.5

# The goals of one op: the oneDNN op it is timed against (oneDNN 2.6 has no
# RMSNorm: the rms ops against its LayerNorm); the frac floor per size class
# (CLASSES' order) for feature sizes >= 768 (None: no goal, the minimum is
# shown; frac_d768 None: no such line); the frac floor at given shapes; the
# ns per call of given shapes (None: no goal, the time is shown).
Goals = collections.namedtuple("Goals", "peer frac_d768 frac_at per_call")
# issue "Kernel architecture v2"
FORWARD = {
    "layer_norm": Goals("layer_norm", (0.5, 0.7, 0.8), (),
                        (("cols:8/rows:1", 40.0), ("cols:4096/rows:1", 250.0))),
    "rms_norm": Goals("layer_norm", (0.5, 0.7, 0.8), (),
                      (("cols:8/rows:1", None), ("cols:4096/rows:1", 150.0))),
}
# issue 13 "Backward passes": frac of three tensors (x, dy read, dx written)
# against the copy limit of the same bytes
BN_BWD_AT = (("n:32/c:64/s:3136", 0.5),)
BACKWARD = {
    "layer_norm_bwd": Goals("layer_norm_bwd", (None, 0.6, 0.75), (), ()),
    "rms_norm_bwd": Goals("layer_norm_bwd", (None, None, None), (), ()),
    "bn_bwd_nchw": Goals("bn_bwd_nchw", None, BN_BWD_AT, ()),
    "bn_bwd_nhwc": Goals("bn_bwd_nhwc", None, BN_BWD_AT, ()),
}


def cols_of(shape):
    m = re.match(r"cols:([0-9]+)/", shape)
    return int(m[1]) if m else 0


def verdict(ok):
    return "met" if ok else "MISSED"


def goal_text(value, goal, cmp=">="):
    if goal is None:
        return "(no goal)"
    ok = value >= goal if cmp == ">=" else value <= goal
    return f"(goal {cmp} {goal}) {verdict(ok)}"


def summary(rows, title, goals):
    """Each ISA's ops in `goals` (single thread) against them: (a) time
    ratio to the oneDNN peer on the same shape, per size class: geomean and
    minimum; (b) frac for feature sizes >= 768, per class: minimum; (c)
    frac at given shapes; (d) ns per call."""
    one = [r for r in rows if r["threads"] == 1]
    isas = [i for i in ISAS if any(r["who"] == i and r["op"] in goals for r in one)]
    if not isas:
        return
    onednn = {(r["op"], r["shape"]): r for r in one if r["who"] == "onednn"}
    print(f"\n{title} (single thread; x: bytes of the input; "
          "classes <=256KiB, 4MiB = (256KiB, 16MiB], 64MiB = over 16MiB)")
    print("  vs oneDNN = oneDNN's time / ours on the same shape; the op it is timed against is named "
          "(oneDNN 2.6 has no RMSNorm: RMSNorm against its LayerNorm)")
    for isa in isas:
        for op, g in goals.items():
            mine = [r for r in one if r["who"] == isa and r["op"] == op]
            if not mine:
                continue
            print(f"{isa} {op} (vs oneDNN {g.peer})")
            # (a) against oneDNN
            for name, member in CLASSES:
                pairs = [(onednn[(g.peer, r["shape"])]["ns"] / r["ns"], r) for r in mine
                         if member(r["x"]) and (g.peer, r["shape"]) in onednn]
                if not pairs:
                    print(f"  vs oneDNN   {name:<8} no oneDNN rows")
                    continue
                geo = math.exp(sum(math.log(p) for p, _ in pairs) / len(pairs))
                low, at = min(pairs, key=lambda p: p[0])
                print(f"  vs oneDNN   {name:<8} geomean {geo:5.2f}x over {len(pairs):2d} shapes "
                      f"(goal >= {VS_ONEDNN_GEOMEAN}x) {verdict(geo >= VS_ONEDNN_GEOMEAN)}")
                print(f"  vs oneDNN   {name:<8} min     {low:5.2f}x at {at['shape']} x:{size_label(at['x'])} "
                      f"(goal >= {VS_ONEDNN_MIN}x at every shape) {verdict(low >= VS_ONEDNN_MIN)}")
            # (b) frac, feature sizes >= 768
            for (name, member), goal in zip(CLASSES, g.frac_d768 or ()):
                sel = [r for r in mine if member(r["x"]) and cols_of(r["shape"]) >= 768
                       and not math.isnan(r["frac"])]
                if not sel:
                    print(f"  frac D>=768 {name:<8} no rows")
                    continue
                low = min(sel, key=lambda r: r["frac"])
                print(f"  frac D>=768 {name:<8} min     {low['frac']:5.2f}  at {low['shape']} "
                      f"x:{size_label(low['x'])} over {len(sel):2d} shapes {goal_text(low['frac'], goal)}")
            # (c) frac at given shapes
            for shape, goal in g.frac_at:
                r = next((r for r in mine if r["shape"] == shape), None)
                if r is None:
                    print(f"  frac at     {shape:<16} not run")
                    continue
                print(f"  frac at     {shape:<16} {r['frac']:5.2f}  x:{size_label(r['x'])} "
                      f"{goal_text(r['frac'], goal)}")
            # (d) ns per call
            for shape, goal in g.per_call:
                r = next((r for r in mine if r["shape"] == shape), None)
                if r is None:
                    print(f"  per call    {shape:<16} not run")
                    continue
                peer = onednn.get((g.peer, shape))
                dnn = f", oneDNN {g.peer} {peer['ns']:.0f} ns" if peer else ""
                goal_s = f"(goal <= {goal:.0f} ns) {verdict(r['ns'] <= goal)}" if goal else "(no goal)"
                print(f"  per call    {shape:<16} {r['ns']:7.1f} ns{dnn} {goal_s}")


# issue 15 "16-bit storage": each 16-bit twin's frac (of its 16-bit bytes,
# against the copy limit of as many bytes) at 4 MiB and 64 MiB of x within
# HALF_FRAC_SLACK of its float32 function's frac at the same feature size and
# x bytes (single thread, per ISA); and >= VS_ONEDNN_GEOMEAN x oneDNN's bf16
# LayerNorm, geomean over the shapes both ran.
HALF_OPS = {"layer_norm_bf16": "layer_norm", "rms_norm_bf16": "rms_norm",
            "layer_norm_f16": "layer_norm", "rms_norm_f16": "rms_norm"}
HALF_FRAC_SLACK = 0.1


def half_summary(rows):
    one = [r for r in rows if r["threads"] == 1]
    idx = {(r["op"], r["who"], cols_of(r["shape"]), r["x"]): r for r in one}
    isas = [i for i in ISAS if any(r["who"] == i and r["op"] in HALF_OPS for r in one)]
    if not isas:
        return
    print("\n16-bit storage: summary against the goals of issue 15 (single thread)")
    for isa in isas:
        print(f"{isa}:")
        for op, f32op in HALF_OPS.items():
            for cls in ("4MiB", "64MiB"):
                member = dict(CLASSES)[cls]
                pairs = []
                for r in one:
                    if r["op"] != op or r["who"] != isa or not member(r["x"]):
                        continue
                    base = idx.get((f32op, isa, cols_of(r["shape"]), r["x"])) or \
                        idx.get((f32op, PARENT.get(isa), cols_of(r["shape"]), r["x"]))
                    if base:
                        pairs.append((r, base))
                if not pairs:
                    continue
                worst = min(pairs, key=lambda p: p[0]["frac"] - p[1]["frac"])
                d = worst[0]["frac"] - worst[1]["frac"]
                print(f"  frac vs f32 {op:<16} {cls:>6}: worst {worst[0]['frac']:.2f} vs "
                      f"{worst[1]['frac']:.2f} ({d:+.2f}) at cols {cols_of(worst[0]['shape'])} over "
                      f"{len(pairs)} shapes (goal >= f32 - {HALF_FRAC_SLACK}) "
                      f"{verdict(d >= -HALF_FRAC_SLACK - 1e-9)}")
        peers = {(r["shape"], r["x"]): r for r in one if r["who"] == "onednn" and r["op"] == "layer_norm_bf16"}
        ratios = [peers[(r["shape"], r["x"])]["ns"] / r["ns"] for r in one
                  if r["who"] == isa and r["op"] == "layer_norm_bf16" and (r["shape"], r["x"]) in peers]
        if ratios:
            geo = math.exp(sum(math.log(v) for v in ratios) / len(ratios))
            print(f"  vs oneDNN bf16 layer_norm geomean {geo:5.2f}x over {len(ratios):2d} shapes "
                  f"(goal >= {VS_ONEDNN_GEOMEAN}x) {verdict(geo >= VS_ONEDNN_GEOMEAN)}")
        else:
            print("  vs oneDNN bf16 layer_norm: no oneDNN bf16 results (not built, or not run on this CPU)")


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
    print(f"{'op':<22} {'who':<10} {'shape':<24} {'x':>6} " + " ".join(f"{'t=' + str(c):>14}" for c in counts[1:]))
    for (op, who, shape, x), per in by.items():
        if base not in per or who in COPIES:
            continue
        cells = []
        for c in counts[1:]:
            r = per.get(c)
            cells.append(f"{per[base]['ns'] / r['ns']:5.2f}x ({r['frac']:.2f})" if r else f"{'-':>14}")
        print(f"{op:<22} {who:<10} {shape:<24} {size_label(x):>6} " + " ".join(f"{c:>14}" for c in cells))


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
        if not base or r["who"] in COPIES or r["who"] == "onednn":
            continue
        plain = idx.get((plain_of.get(r["op"], ""), r["who"], r["shape"], r["threads"]))
        over = f"{r['ns'] / plain['ns'] - 1:+8.1%}" if plain else f"{'-':>8}"
        lines.append(f"{r['op']:<20} {r['shape']:<24} {size_label(r['x']):>8} {r['threads']:>3} "
                     f"{r['who']:<10} {r['gbs']:7.1f} {base['gbs']:9.1f} {base['ns'] / r['ns']:7.2f}x {over}")
    if not lines:
        return
    print("\nfused vs unfused (same run): GB/s of the op's bytes; time over the plain norm")
    print(f"{'op':<20} {'shape':<24} {'x':>8} {'thr':>3} {'isa':<10} {'fused':>7} {'unfused':>9} "
          f"{'speedup':>8} {'vs plain':>8}")
    for line in lines:
        print(line)


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # one panel per (op, feature size); lines: each ISA, oneDNN, and the
    # memcpy and streaming copy rooflines
    fewest = min(r["threads"] for r in rows)
    rows = [r for r in rows if r["threads"] == fewest]
    panels = collections.OrderedDict()
    for r in rows:
        if r["who"] in COPIES:
            continue
        feat = r["shape"].split("/")[0]
        panels.setdefault((r["op"], feat), []).append(r)
    copies = {c: collections.defaultdict(list) for c in COPIES}
    for r in rows:
        if r["who"] in COPIES:
            copies[r["who"]][r["shape"].split("/")[0]].append(r)
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
        for copy, style, color in (("memcpy", ":", "gray"), ("stream_copy", "--", "tab:olive")):
            mc = sorted(copies[copy].get(key[1], []), key=lambda r: r["x"])
            if mc and key[0] in ("layer_norm", "rms_norm"):
                ax.plot([r["x"] for r in mc], [r["gbs"] for r in mc], style, color=color, label=copy)
            elif key[0] in BACKWARD:
                # no copy benchmarks of the backward's three tensors: the
                # limit counters its rows carry (the same-run copies)
                lim = sorted({r["x"]: r[LIMIT_OF[copy]] for r in panels[key]
                              if r[LIMIT_OF[copy]] is not None}.items())
                if lim:
                    ax.plot([x for x, _ in lim], [g for _, g in lim], style, color=color, label=copy)
        ax.set_xscale("log", base=2)
        ax.set_title(f"{key[0]} {key[1]}", fontsize=9)
        ax.set_xlabel("x bytes")
        ax.set_ylabel("GB/s (x+dy+dx)" if key[0] in BACKWARD else "GB/s (x+y)")
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
    summary(rows, "summary against the goals", FORWARD)
    summary(rows, "backward: summary against the goals of issue 13", BACKWARD)
    half_summary(rows)
    scaling(rows)
    fused(rows)
    if a.png:
        plot(rows, a.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
