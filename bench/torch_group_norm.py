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

With --simdnorm build/libsimdnorm.so the same calls of simdnorm (through
ctypes, on the same tensors' memory: channels_last is NHWC) are timed in the
same loop, each repetition alternating the two and a memcpy of the same bytes
(libc, x + y moved: half of them copied), and the table gets simdnorm's GB/s,
the ratio to PyTorch and simdnorm's fraction of that memcpy ("frac": the
benchmark's frac_memcpy, from best times): on a loaded machine the ratios of
one run are the numbers to read, not GB/s from separate runs.

    /usr/bin/python3 bench/torch_group_norm.py [--reps N] [--simdnorm LIB] [--json out.json]
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


def load_simdnorm(path):
    import ctypes
    lib = ctypes.CDLL(path)
    sz, fp, i = ctypes.c_size_t, ctypes.c_void_p, ctypes.c_int
    lib.simdnorm_group_norm_f32.argtypes = [i, sz, sz, sz, sz, fp, fp, fp, ctypes.c_float, fp, fp, fp]
    lib.simdnorm_group_norm_bwd_f32.argtypes = [i, sz, sz, sz, sz, fp, fp, fp, fp, fp, fp, fp, fp]
    lib.simdnorm_set_num_threads(1)
    return lib


def best_rounds(fns, reps):
    """Best time of each of fns over reps rounds that call them in turn."""
    for f in fns:
        f()
    best = [float("inf")] * len(fns)
    for _ in range(reps):
        for k, f in enumerate(fns):
            t0 = time.perf_counter()
            f()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--json", help="write the results here too")
    ap.add_argument("--simdnorm", help="libsimdnorm.so: time simdnorm in the same loop")
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
    lib = load_simdnorm(args.simdnorm) if args.simdnorm else None
    head = f"{'op':<12} {'shape':<24} {'g':>4} {'torch ms':>9} {'GB/s':>7}"
    if lib:
        head += f" {'simdnorm ms':>11} {'GB/s':>7} {'x torch':>7} {'frac':>5}"
    print(head)
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

                ops = [("gn_" + layout, fwd, 2 * elems * 4), ("gn_bwd_" + layout, bwd, 3 * elems * 4)]
                if lib:
                    lay = 1 if layout == "nhwc" else 0
                    y, m2, r2 = torch.empty_like(x), torch.empty(n * g), torch.empty(n * g)
                    dx, dg, db = torch.empty_like(x), torch.empty(c), torch.empty(c)
                    p = lambda t: t.data_ptr()

                    def sfwd():
                        lib.simdnorm_group_norm_f32(lay, n, c, hw, g, p(x), p(gamma), p(beta), 1e-5,
                                                    p(y), p(m2), p(r2))

                    def sbwd():
                        lib.simdnorm_group_norm_bwd_f32(lay, n, c, hw, g, p(dy), p(x), p(gamma), p(m2),
                                                        p(r2), p(dx), p(dg), p(db))
                    sfwd()
                    ops = [(ops[0][0], fwd, ops[0][2], sfwd), (ops[1][0], bwd, ops[1][2], sbwd)]
                for o in ops:
                    op, fn, nbytes = o[:3]
                    shape = f"n:{n}/c:{c}/s:{hw}"
                    if lib:
                        import ctypes
                        half = nbytes // 2  # a copy moving nbytes: read half, write half
                        src, dst = torch.empty(half // 4 + 1), torch.empty(half // 4 + 1)
                        src.fill_(1.0)
                        dst.fill_(0.0)
                        cp = lambda: ctypes.memmove(dst.data_ptr(), src.data_ptr(), half)
                        t, ts, tc = best_rounds([fn, o[3], cp], args.reps)
                    else:
                        t, ts = best_time(fn, args.reps), None
                    gbs = nbytes / t / 1e9
                    line = f"{op:<12} {shape:<24} {g:>4} {t * 1e3:9.3f} {gbs:7.2f}"
                    res = dict(op=op, n=n, c=c, spatial=hw, groups=g, seconds=t, gbs=gbs)
                    if ts is not None:
                        line += f" {ts * 1e3:11.3f} {nbytes / ts / 1e9:7.2f} {t / ts:7.2f} {tc / ts:5.2f}"
                        res.update(simdnorm_seconds=ts, simdnorm_gbs=nbytes / ts / 1e9,
                                   memcpy_seconds=tc, frac_memcpy=tc / ts)
                    print(line)
                    results.append(res)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(torch=torch.__version__, threads=1, results=results), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
