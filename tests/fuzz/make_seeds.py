#!/usr/bin/env python3
"""make_seeds.py - writes the seed corpus of fuzz_norms.c into corpus/: one
small input per situation the contract names (tails, long rows, offset
1e6, near FLT_MAX, NaN/Inf, in place, overlaps, each error), in the input
layout described at the top of fuzz_norms.c. Run it after changing that
layout:   python3 tests/fuzz/make_seeds.py"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
OP_LN, OP_RMS, OP_ISA, OP_BN_TRAIN, OP_BN_INFER = 0, 1, 2, 3, 4
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


BN_GAMMA, BN_BETA, BN_RUN, BN_SAVE_MEAN, BN_SAVE_RSTD, BN_IN_PLACE, BN_ARENA, BN_RAW_VAR = (
    1, 2, 4, 8, 16, 32, 64, 128)
NCHW, NHWC, LAYOUT_BAD = 0, 1, 248
BN_NO_FAULT, BN_X_NULL, BN_Y_NULL, BN_S1_NULL, BN_S0_NULL, BN_HUGE, BN_HUGE_MAX = 8, 0, 1, 2, 3, 4, 5
MOMENTUM = {"0.1": 0, "0": 1, "1": 2, "0.5": 3, "-0": 5, "1+ulp": 7, "-1e-8": 8, "nan": 9,
            "inf": 10, "2": 11}


def c_field(c):
    return c if c < 24 else 192 + (c - 24) // 5


def spatial_field(sp):
    return sp if sp < 40 else 0x8000 | sp


def bn_call(op, layout, n, c, spatial, flags, eps="1e-5", momentum="0.1", fault=BN_NO_FAULT,
            offsets=None, mode=0, scale_exp=48, offset=0, seed=1, patches=()):
    b = struct.pack("<BBBBHBBB", op, layout, n, c_field(c), spatial_field(spatial), flags,
                    fault, EPS[eps])
    if op == OP_BN_TRAIN:
        b += struct.pack("<B", MOMENTUM[momentum])
    if flags & BN_ARENA:
        b += struct.pack("<8H", *offsets)
    b += struct.pack("<BBBI", mode, scale_exp, offset, seed)
    for index, value in patches:
        b += struct.pack("<Hf", index, value)
    return b


def train(*a, **k):
    return bn_call(OP_BN_TRAIN, *a, **k)


def infer(*a, **k):
    return bn_call(OP_BN_INFER, *a, **k)


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
BN_ALL = BN_GAMMA | BN_BETA | BN_RUN | BN_SAVE_MEAN | BN_SAVE_RSTD
BN_STATS = BN_RUN | BN_SAVE_MEAN | BN_SAVE_RSTD
seeds.update({
    "bn_train_nchw_basic": train(NCHW, 4, 5, 33, BN_ALL),
    "bn_train_nhwc_basic": train(NHWC, 4, 5, 33, BN_ALL),
    "bn_train_nchw_stats": train(NCHW, 3, 7, 19, BN_STATS, seed=2),
    "bn_train_nhwc_stats": train(NHWC, 3, 7, 19, BN_STATS, seed=3),
    "bn_train_2d": train(NCHW, 4, 9, 1, BN_STATS, seed=4),
    "bn_train_2d_nhwc": train(NHWC, 4, 9, 1, BN_STATS, momentum="1", seed=5),
    "bn_train_nchw_two_blocks": train(NCHW, 2, 3, 4500, BN_STATS, seed=6),
    "bn_train_nhwc_many_rows": train(NHWC, 3, 2, 2000, BN_STATS, seed=7),
    "bn_train_nhwc_wide": train(NHWC, 2, 339, 3, BN_STATS, seed=8),
    "bn_train_nhwc_narrow_chunk": train(NHWC, 4, 70, 5, BN_STATS, seed=9),
    "bn_train_nchw_chunks": train(NCHW, 2, 284, 3, BN_STATS, seed=10),
    "bn_train_offset_1e6": train(NCHW, 4, 3, 30, BN_STATS, offset=4, seed=11),
    "bn_train_offset_1e7": train(NHWC, 4, 3, 30, BN_STATS, offset=5, seed=12),
    "bn_train_near_flt_max": train(NCHW, 2, 4, 17, BN_STATS, mode=2, seed=13),
    "bn_train_wide_exponents": train(NHWC, 2, 4, 17, BN_STATS, mode=1, seed=14),
    "bn_train_constant": train(NCHW, 3, 4, 8, BN_STATS, eps="0", mode=3, seed=15),
    "bn_train_nan_inf": train(NCHW, 2, 4, 6, BN_STATS,
                              patches=[(1, NAN), (14, INF), (15, -INF), (30, INF)]),
    "bn_train_nhwc_nan_inf": train(NHWC, 2, 4, 6, BN_ALL, patches=[(2, NAN), (7, INF)]),
    "bn_train_in_place": train(NHWC, 3, 6, 5, BN_ALL | BN_IN_PLACE, seed=16),
    "bn_train_in_place_nan_inf": train(NCHW, 2, 4, 6, BN_STATS | BN_IN_PLACE,
                                       patches=[(1, NAN), (14, INF), (30, -INF)]),
    "bn_train_nhwc_in_place_nan_inf": train(NHWC, 2, 4, 6, BN_STATS | BN_IN_PLACE,
                                            patches=[(2, NAN), (7, INF), (11, -INF)]),
    "bn_train_momentum_0": train(NCHW, 2, 3, 4, BN_STATS, momentum="0"),
    "bn_train_momentum_neg0": train(NCHW, 2, 3, 4, BN_STATS, momentum="-0"),
    "bn_train_momentum_1ulp": train(NCHW, 2, 3, 4, BN_STATS, momentum="1+ulp"),
    "bn_train_momentum_neg": train(NCHW, 2, 3, 4, 0, momentum="-1e-8"),
    "bn_train_momentum_nan": train(NCHW, 2, 3, 4, BN_STATS, momentum="nan"),
    "bn_train_momentum_inf_c0": train(NCHW, 2, 0, 4, BN_STATS, momentum="inf"),
    "bn_train_momentum_2": train(NHWC, 2, 3, 4, BN_STATS, momentum="2"),
    "bn_train_eps_nan": train(NCHW, 2, 3, 4, BN_STATS, eps="nan"),
    "bn_train_eps_negative": train(NHWC, 2, 3, 4, BN_STATS, eps="-1e-5"),
    "bn_train_eps_flt_max": train(NHWC, 2, 3, 4, BN_STATS, eps="FLT_MAX"),
    "bn_train_layout_bad": train(LAYOUT_BAD, 2, 3, 4, BN_STATS),
    "bn_train_c0": train(NCHW, 2, 0, 4, BN_STATS, fault=BN_X_NULL),
    "bn_train_count_1": train(NCHW, 1, 3, 1, BN_STATS),
    "bn_train_n0": train(NHWC, 0, 3, 4, BN_STATS),
    "bn_train_x_null": train(NCHW, 2, 3, 4, BN_STATS, fault=BN_X_NULL),
    "bn_train_y_null": train(NCHW, 2, 3, 4, BN_STATS, fault=BN_Y_NULL),
    "bn_train_running_var_null": train(NCHW, 2, 3, 4, BN_STATS, fault=BN_S1_NULL),
    "bn_train_running_mean_null": train(NHWC, 2, 3, 4, BN_STATS, fault=BN_S0_NULL),
    "bn_train_huge": train(NCHW, 3, 5, 4, BN_STATS, fault=BN_HUGE),
    "bn_train_huge_max": train(NHWC, 4, 5, 4, BN_STATS, fault=BN_HUGE_MAX),
    # arena: x 24, y 24, gamma 3, beta 3, running 3 + 3, save 3 + 3 (2 x 3 x 4)
    "bn_train_arena_disjoint": train(NCHW, 2, 3, 4, BN_ALL | BN_ARENA,
                                     offsets=(0, 24, 48, 51, 54, 57, 60, 63)),
    "bn_train_arena_y_overlaps_x": train(NCHW, 2, 3, 4, BN_ALL | BN_ARENA,
                                         offsets=(0, 5, 48, 51, 54, 57, 60, 63)),
    "bn_train_arena_in_place": train(NHWC, 2, 3, 4, BN_ALL | BN_ARENA,
                                     offsets=(0, 0, 48, 51, 54, 57, 60, 63)),
    "bn_train_arena_running_shared": train(NCHW, 2, 3, 4, BN_ALL | BN_ARENA,
                                           offsets=(0, 24, 48, 51, 54, 54, 60, 63)),
    "bn_train_arena_save_on_gamma": train(NCHW, 2, 3, 4, BN_ALL | BN_ARENA,
                                          offsets=(0, 24, 48, 51, 54, 57, 49, 63)),
    "bn_train_arena_inputs_share": train(NHWC, 2, 3, 4, BN_ALL | BN_ARENA,
                                         offsets=(0, 24, 5, 5, 54, 57, 60, 63)),
    "bn_infer_nchw_basic": infer(NCHW, 4, 5, 33, 0),
    "bn_infer_nhwc_basic": infer(NHWC, 4, 5, 33, 0, seed=20),
    "bn_infer_affine": infer(NCHW, 3, 6, 7, BN_GAMMA | BN_BETA, seed=21),
    "bn_infer_2d": infer(NHWC, 4, 9, 1, 0, seed=22),
    "bn_infer_nhwc_wide": infer(NHWC, 2, 339, 3, 0, seed=23),
    "bn_infer_nchw_long": infer(NCHW, 2, 3, 4500, 0, seed=24),
    "bn_infer_offset_1e6": infer(NCHW, 2, 3, 30, 0, offset=4, seed=25),
    "bn_infer_near_flt_max": infer(NHWC, 2, 4, 17, 0, mode=2, seed=26),
    "bn_infer_raw_var": infer(NCHW, 2, 6, 5, BN_RAW_VAR, seed=27),
    "bn_infer_var_0_eps_0": infer(NCHW, 2, 3, 4, 0, eps="0", mode=3, scale_exp=0),
    "bn_infer_nan_inf": infer(NHWC, 2, 4, 6, 0,
                              patches=[(1, NAN), (14, INF), (49, INF), (51, NAN)]),
    "bn_infer_in_place": infer(NHWC, 3, 6, 5, BN_GAMMA | BN_IN_PLACE, seed=28),
    "bn_infer_n0": infer(NCHW, 0, 3, 4, 0, fault=BN_X_NULL),
    "bn_infer_spatial_0": infer(NHWC, 2, 3, 0, 0),
    "bn_infer_c0": infer(NCHW, 2, 0, 4, 0),
    "bn_infer_eps_inf": infer(NCHW, 2, 3, 4, 0, eps="inf"),
    "bn_infer_layout_bad": infer(LAYOUT_BAD + 3, 2, 3, 4, 0),
    "bn_infer_mean_null": infer(NCHW, 2, 3, 4, 0, fault=BN_S0_NULL),
    "bn_infer_var_null": infer(NHWC, 2, 3, 4, 0, fault=BN_S1_NULL),
    "bn_infer_y_null": infer(NHWC, 2, 3, 4, 0, fault=BN_Y_NULL),
    "bn_infer_huge": infer(NHWC, 3, 5, 4, 0, fault=BN_HUGE),
    "bn_infer_count_1": infer(NCHW, 1, 3, 1, 0),
    # arena: x 24, y 24, gamma 3, beta 3, mean 3, var 3
    "bn_infer_arena_disjoint": infer(NCHW, 2, 3, 4, BN_GAMMA | BN_BETA | BN_ARENA,
                                     offsets=(0, 24, 48, 51, 54, 57, 0, 0)),
    "bn_infer_arena_y_on_mean": infer(NCHW, 2, 3, 4, BN_ARENA,
                                      offsets=(0, 30, 0, 0, 50, 57, 0, 0)),
    "bn_infer_arena_mean_is_var": infer(NHWC, 2, 3, 4, BN_ARENA,
                                        offsets=(0, 24, 0, 0, 50, 50, 0, 0)),
})
for v in (-1, 0, 1, 2, 3, 4, 100):
    seeds["isa_%d" % v if v >= 0 else "isa_minus_1"] = struct.pack("<Bb", OP_ISA, v)

os.makedirs(OUT, exist_ok=True)
for name in os.listdir(OUT):
    os.remove(os.path.join(OUT, name))
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("%d seeds in %s" % (len(seeds), OUT))
