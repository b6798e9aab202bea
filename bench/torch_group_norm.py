#!/usr/bin/env python3
"""torch_group_norm.py - PyTorch's GroupNorm, the peer of simdnorm-bench's gn_*
ops: forward (aten::native_group_norm with weight and bias: y, mean, rstd) and
backward (aten::native_group_norm_backward: dx, dweight, dbias from the
forward's mean/rstd), NCHW (contiguous) and NHWC (channels_last), float32,
single thread (torch.set_num_threads(1)), on the shapes of bench_ops.h:
(2,320,64,64) g=32, (2,640,32,32) g=32, (2,1280,16,16) g=32 and InstanceNorm
(1,64,256,256) g=64. GB/s counts the bytes the benchmark counts: forward x
read + y written, backward x and dy read + dx written. Each time is the best of
--reps calls (after a warm-up call). Exits 0 and says so when torch is not
importable (Debian: python3-torch, run with /usr/bin/python3).

    python3 bench/torch_group_norm.py [--reps N] [--json out.json]
"""
import argparse
import json
import sys
import time

SHAPES = [(2, 320, 64, 64, 32), (2, 640, 32, 32, 32), (2, 1280, 16, 16, 32), (1, 64, 256, 256, 64)]


def best_time(fn, reps):
    fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--json", help="write the results here too")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("torch_group_norm.py: SKIP, torch is not importable (Debian: python3-torch, /usr/bin/python3)")
        return 0
    torch.set_num_threads(1)
    torch.manual_seed(0)
    aten = torch.ops.aten
    results = []
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread")
    print(f"{'op':<12} {'shape':<24} {'g':>4} {'ms':>8} {'GB/s':>7}")
    for n, c, h, w, g in SHAPES:
        for layout in ("nchw", "nhwc"):
            fmt = torch.channels_last if layout == "nhwc" else torch.contiguous_format
            x = (torch.randn(n, c, h, w) * 2.0 + 0.5).contiguous(memory_format=fmt)
            dy = torch.randn(n, c, h, w).contiguous(memory_format=fmt)
            gamma = 1.0 + 0.01 * torch.randn(c)
            beta = 0.01 * torch.randn(c)
            hw = h * w
            elems = n * c * hw
            with torch.no_grad():
                _, mean, rstd = aten.native_group_norm(x, gamma, beta, n, c, hw, g, 1e-5)

                def fwd():
                    aten.native_group_norm(x, gamma, beta, n, c, hw, g, 1e-5)

                def bwd():
                    aten.native_group_norm_backward(dy, x, mean, rstd, gamma, n, c, hw, g,
                                                    [True, True, True])

                for op, fn, nbytes in (("gn_" + layout, fwd, 2 * elems * 4),
                                       ("gn_bwd_" + layout, bwd, 3 * elems * 4)):
                    t = best_time(fn, args.reps)
                    gbs = nbytes / t / 1e9
                    shape = f"n:{n}/c:{c}/s:{hw}"
                    print(f"{op:<12} {shape:<24} {g:>4} {t * 1e3:8.3f} {gbs:7.2f}")
                    results.append(dict(op=op, n=n, c=c, spatial=hw, groups=g, seconds=t, gbs=gbs))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(torch=torch.__version__, threads=1, results=results), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
