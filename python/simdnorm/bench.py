"""python -m simdnorm.bench: simdnorm against torch.nn.functional (and NumPy) on
this machine, single thread by default, per ISA.

Each cell is the median of several timed batches of calls (a batch lasts
about --min-time seconds), in microseconds per call; "x torch" is torch's
time over simdnorm's with the best ISA (> 1: simdnorm faster). Inputs are
allocated and touched before timing; outputs are allocated per call by both
libraries (as a user calls them), except the "out=" column. A PNG of the
ratios is written when matplotlib is installed (--png, '' for none).

    python -m simdnorm.bench [--threads 1] [--quick] [--png simdnorm-bench.png]
"""
import argparse
import statistics
import sys
import time

import numpy as np

import simdnorm


def timeit(fn, min_time):
    fn()
    n = 1
    while True:                       # calls per batch: about min_time seconds
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time or n >= 1 << 22:
            break
        n = max(n * 2, int(n * min_time / max(dt, 1e-9)))
    samples = [dt / n]
    for _ in range(4):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t0) / n)
    return statistics.median(samples) * 1e6


def np_layer_norm(x, g, b, eps=1e-5):
    m = x.mean(-1, keepdims=True)
    v = x.var(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


def cases(torch, quick):
    """(name, shape text, bytes of x, {impl: callable}) for each benchmark."""
    F = torch.nn.functional
    import simdnorm.torch as snt
    rng = np.random.default_rng(0)
    out = []

    def ln_rows(rows, cols, with_numpy):
        x = rng.standard_normal((rows, cols), dtype=np.float32)
        g = rng.standard_normal(cols, dtype=np.float32)
        b = rng.standard_normal(cols, dtype=np.float32)
        y = np.empty_like(x)
        tx, tg, tb = torch.from_numpy(x), torch.from_numpy(g), torch.from_numpy(b)
        impls = {
            "torch": lambda: F.layer_norm(tx, (cols,), tg, tb, 1e-5),
            "simdnorm": lambda: simdnorm.layer_norm(x, g, b, 1e-5),
            "simdnorm out=": lambda: simdnorm.layer_norm(x, g, b, 1e-5, out=y),
        }
        if with_numpy:
            impls["numpy"] = lambda: np_layer_norm(x, g, b)
        out.append(("LayerNorm fwd", f"{rows}x{cols}", x.nbytes, impls))

    def ln_module_fb(rows, cols):
        x = torch.randn(rows, cols)
        stock = torch.nn.LayerNorm(cols)
        ours = snt.LayerNorm(cols)
        dy = torch.randn(rows, cols)

        def run(m):
            xx = x.detach().requires_grad_(True)
            m(xx).backward(dy)
        out.append(("LayerNorm module fwd+bwd", f"{rows}x{cols}", x.numel() * 4,
                    {"torch": lambda: run(stock), "simdnorm": lambda: run(ours)}))

    def rms_rows(rows, cols):
        x = rng.standard_normal((rows, cols), dtype=np.float32)
        g = rng.standard_normal(cols, dtype=np.float32)
        tx, tg = torch.from_numpy(x), torch.from_numpy(g)
        # torch 1.13 has no fused RMSNorm: its usual expression
        out.append(("RMSNorm fwd", f"{rows}x{cols}", x.nbytes, {
            "torch": lambda: tx * torch.rsqrt(tx.pow(2).mean(-1, keepdim=True) + 1e-6) * tg,
            "simdnorm": lambda: simdnorm.rms_norm(x, g, 1e-6)}))

    def bn_train(shape):
        x = rng.standard_normal(shape, dtype=np.float32)
        c = shape[1]
        g, b = np.ones(c, np.float32), np.zeros(c, np.float32)
        rm, rv = np.zeros(c, np.float32), np.ones(c, np.float32)
        tx, tg, tb = torch.from_numpy(x), torch.from_numpy(g), torch.from_numpy(b)
        trm, trv = torch.zeros(c), torch.ones(c)
        out.append(("BatchNorm2d train fwd", "x".join(map(str, shape)), x.nbytes, {
            "torch": lambda: F.batch_norm(tx, trm, trv, tg, tb, True, 0.1, 1e-5),
            "simdnorm": lambda: simdnorm.batch_norm_train(x, g, b, 1e-5, 0.1, running_mean=rm,
                                                          running_var=rv)}))

    def gn(shape, groups):
        x = rng.standard_normal(shape, dtype=np.float32)
        c = shape[1]
        g, b = np.ones(c, np.float32), np.zeros(c, np.float32)
        tx, tg, tb = torch.from_numpy(x), torch.from_numpy(g), torch.from_numpy(b)
        out.append((f"GroupNorm({groups}) fwd", "x".join(map(str, shape)), x.nbytes, {
            "torch": lambda: F.group_norm(tx, groups, tg, tb, 1e-5),
            "simdnorm": lambda: simdnorm.group_norm(x, groups, g, b, 1e-5)}))

    ln_rows(1, 8, True)
    ln_rows(64, 768, True)
    ln_rows(1024, 1024, not quick)             # 4 MiB
    if not quick:
        ln_rows(4096, 4096, False)             # 64 MiB
    ln_module_fb(8, 64)
    ln_module_fb(1024, 1024)
    if not quick:
        ln_module_fb(4096, 4096)
    rms_rows(1024, 1024)
    bn_train((32, 64, 28, 28) if not quick else (8, 64, 28, 28))
    gn((8, 64, 32, 32), 32)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m simdnorm.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1, help="threads of both libraries (default 1)")
    ap.add_argument("--quick", action="store_true", help="fewer and smaller shapes, shorter timing")
    ap.add_argument("--min-time", type=float, default=None, help="seconds per timed batch")
    ap.add_argument("--isa", action="append", help="ISA(s) to time (default: every available one)")
    ap.add_argument("--png", default="simdnorm-bench.png", help="plot file ('' for none)")
    args = ap.parse_args(argv)
    try:
        import torch
    except ImportError:
        sys.exit("simdnorm.bench needs torch (pip install torch, or Debian's python3-torch)")
    min_time = args.min_time or (0.02 if args.quick else 0.1)
    torch.set_num_threads(args.threads)
    simdnorm.set_num_threads(args.threads)
    isas = args.isa or simdnorm.available_isas()
    start_isa = simdnorm.active_isa()
    print(f"simdnorm {simdnorm.version}, torch {torch.__version__}, numpy {np.__version__}; "
          f"threads {args.threads}; microseconds per call (median)")
    rows = []
    for name, shape, nbytes, impls in cases(torch, args.quick):
        t = {}
        for impl, fn in impls.items():
            if impl.startswith("simdnorm"):
                for isa in isas:
                    simdnorm.set_isa(isa)
                    t[f"{impl} [{isa}]"] = timeit(fn, min_time)
                simdnorm.set_isa(start_isa)
            else:
                t[impl] = timeit(fn, min_time)
        best = min(v for k, v in t.items() if k.startswith("simdnorm ["))
        rows.append((name, shape, nbytes, t, t["torch"] / best))
    keys = []
    for r in rows:
        for k in r[3]:
            if k not in keys:
                keys.append(k)
    head = f"{'op':26s} {'shape':14s} {'MiB':>7s} " + " ".join(f"{k:>17s}" for k in keys) + \
        f" {'x torch':>8s}"
    print(head)
    print("-" * len(head))
    for name, shape, nbytes, t, ratio in rows:
        cells = " ".join(f"{t[k]:17.2f}" if k in t else f"{'':17s}" for k in keys)
        print(f"{name:26s} {shape:14s} {nbytes / 2**20:7.2f} {cells} {ratio:8.2f}")
    if args.png:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("(matplotlib not installed: no plot)")
            return 0
        labels = [f"{n}\n{s}" for n, s, _, _, _ in rows]
        fig, ax = plt.subplots(figsize=(max(6, len(rows) * 1.1), 4))
        ax.bar(range(len(rows)), [r[4] for r in rows])
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels(labels, fontsize=6, rotation=30, ha="right")
        ax.set_ylabel("torch time / simdnorm time")
        ax.set_title(f"simdnorm {simdnorm.version} vs torch {torch.__version__}, "
                     f"{args.threads} thread(s)")
        fig.tight_layout()
        fig.savefig(args.png, dpi=120)
        print(f"plot: {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
