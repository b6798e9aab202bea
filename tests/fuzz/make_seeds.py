#!/usr/bin/env python3
"""make_seeds.py - writes the seed corpus of fuzz_norms.c into corpus/: one
small input per situation the contract names (tails, long rows, offset
1e6, near FLT_MAX, NaN/Inf, in place, overlaps, each error), in the input
layout described at the top of fuzz_norms.c. Run it after changing that
layout:   python3 tests/fuzz/make_seeds.py"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
OP_LN, OP_RMS, OP_ISA = 0, 1, 2
GAMMA, BETA, MEAN, RSTD, IN_PLACE, ARENA = 1, 2, 4, 8, 16, 32
EPS = {"0": 0, "1e-12": 1, "1e-6": 2, "1e-5": 3, "1": 5, "FLT_MAX": 7, "-1e-5": 9,
       "nan": 10, "inf": 11}
NO_FAULT, X_NULL, Y_NULL = 2, 0, 1
STRIDE_EXACT, STRIDE_PLUS3, STRIDE_SHORT, STRIDE_HUGE = 0, 3, 200, 243


def cols_field(cols):
    return cols if cols < 130 else 0x8000 | cols


def rows_call(op, rows, cols, flags, eps="1e-5", xs=STRIDE_EXACT, ys=STRIDE_EXACT,
              fault=NO_FAULT, offsets=None, mode=0, scale_exp=48, offset=0, seed=1,
              patches=()):
    b = struct.pack("<BBHBBBBB", op, rows, cols_field(cols), xs, ys, flags, fault, EPS[eps])
    if flags & ARENA:
        b += struct.pack("<6H", *offsets)
    b += struct.pack("<BBBI", mode, scale_exp, offset, seed)
    for index, value in patches:
        b += struct.pack("<Hf", index, value)
    return b


INF, NAN = float("inf"), float("nan")
ALL = GAMMA | BETA | MEAN | RSTD
seeds = {
    "ln_basic": rows_call(OP_LN, 4, 33, ALL),
    "ln_tails_stride": rows_call(OP_LN, 5, 67, MEAN | RSTD, xs=STRIDE_PLUS3, ys=5),
    "ln_one_col": rows_call(OP_LN, 3, 1, ALL),
    "ln_long_rows": rows_call(OP_LN, 2, 4100, MEAN | RSTD, seed=2),
    "ln_two_blocks_and_tail": rows_call(OP_LN, 1, 8191, RSTD, seed=3),
    "ln_offset_1e6": rows_call(OP_LN, 3, 300, MEAN | RSTD, offset=4, seed=4),
    "ln_offset_1e7": rows_call(OP_LN, 2, 97, MEAN | RSTD, offset=5, seed=5),
    "ln_near_flt_max": rows_call(OP_LN, 3, 129, MEAN | RSTD, mode=2, seed=6),
    "ln_wide_exponents": rows_call(OP_LN, 3, 100, MEAN | RSTD, mode=1, seed=7),
    "ln_tiny_scale": rows_call(OP_LN, 2, 64, MEAN | RSTD, scale_exp=0, eps="0", seed=8),
    "ln_constant_rows": rows_call(OP_LN, 4, 40, MEAN | RSTD, mode=3, eps="0", seed=9),
    "ln_nan_inf": rows_call(OP_LN, 3, 20, ALL, patches=[(5, INF), (27, NAN), (50, -INF)]),
    "ln_subnormals": rows_call(OP_LN, 1, 8, MEAN | RSTD, eps="0",
                               patches=[(i, 1e-42 * (i + 1)) for i in range(8)]),
    "ln_in_place": rows_call(OP_LN, 4, 45, ALL | IN_PLACE, xs=STRIDE_PLUS3),
    "ln_arena_disjoint": rows_call(OP_LN, 2, 10, ALL | ARENA, offsets=(0, 20, 40, 50, 60, 62)),
    "ln_arena_y_overlaps_x": rows_call(OP_LN, 2, 10, ALL | ARENA, offsets=(0, 5, 40, 50, 60, 62)),
    "ln_arena_inputs_share": rows_call(OP_LN, 2, 10, ALL | ARENA, offsets=(0, 30, 5, 5, 60, 62)),
    "ln_arena_mean_is_rstd": rows_call(OP_LN, 2, 10, ALL | ARENA, offsets=(0, 20, 40, 50, 60, 60)),
    "ln_eps_nan": rows_call(OP_LN, 2, 8, ALL, eps="nan"),
    "ln_eps_negative": rows_call(OP_LN, 2, 8, ALL, eps="-1e-5"),
    "ln_eps_inf_rows_0": rows_call(OP_LN, 0, 8, ALL, eps="inf"),
    "ln_rows_0": rows_call(OP_LN, 0, 8, ALL, fault=X_NULL),
    "ln_x_null": rows_call(OP_LN, 2, 8, ALL, fault=X_NULL),
    "ln_y_null": rows_call(OP_LN, 2, 8, ALL, fault=Y_NULL),
    "ln_cols_0": rows_call(OP_LN, 2, 0, ALL),
    "ln_stride_short": rows_call(OP_LN, 2, 8, ALL, xs=STRIDE_SHORT),
    "ln_stride_short_one_row": rows_call(OP_LN, 1, 8, ALL, ys=STRIDE_SHORT),
    "ln_stride_overflow": rows_call(OP_LN, 3, 8, ALL, xs=STRIDE_HUGE),
    "ln_huge_stride_one_row": rows_call(OP_LN, 1, 8, ALL, xs=240),
    "ln_eps_flt_max": rows_call(OP_LN, 2, 16, MEAN | RSTD, eps="FLT_MAX"),
    "rms_basic": rows_call(OP_RMS, 4, 33, GAMMA | RSTD),
    "rms_long": rows_call(OP_RMS, 2, 5000, RSTD, seed=11),
    "rms_near_flt_max": rows_call(OP_RMS, 2, 77, RSTD, mode=2, seed=12),
    "rms_inf": rows_call(OP_RMS, 2, 9, RSTD, patches=[(3, INF)]),
    "rms_nan": rows_call(OP_RMS, 2, 9, GAMMA | RSTD, patches=[(12, NAN)]),
    "rms_zeros_eps_0": rows_call(OP_RMS, 1, 12, RSTD, mode=3, eps="0", scale_exp=0, offset=0,
                                 patches=[(i, 0.0) for i in range(12)]),
    "rms_subnormals": rows_call(OP_RMS, 1, 6, RSTD, eps="0",
                                patches=[(i, -3e-41 * (i + 1)) for i in range(6)]),
    "rms_in_place": rows_call(OP_RMS, 3, 70, GAMMA | RSTD | IN_PLACE),
    "rms_arena_overlap": rows_call(OP_RMS, 2, 10, GAMMA | RSTD | ARENA,
                                   offsets=(0, 20, 25, 0, 0, 40)),
    "rms_eps_nan": rows_call(OP_RMS, 2, 8, RSTD, eps="nan"),
    "rms_stride_overflow": rows_call(OP_RMS, 2, 8, RSTD, ys=STRIDE_HUGE + 1),
}
for v in (-1, 0, 1, 2, 3, 4, 100):
    seeds["isa_%d" % v if v >= 0 else "isa_minus_1"] = struct.pack("<Bb", OP_ISA, v)

os.makedirs(OUT, exist_ok=True)
for name in os.listdir(OUT):
    os.remove(os.path.join(OUT, name))
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("%d seeds in %s" % (len(seeds), OUT))
