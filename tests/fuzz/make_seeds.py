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
OP_LN_BWD, OP_RMS_BWD, OP_BN_BWD = 5, 6, 7
OP_GN, OP_GN_BWD = 8, 9
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

# ---- backward (decode_rows_bwd, decode_batch_norm_bwd) ----
BW_GAMMA, BW_DX, BW_DGAMMA, BW_DBETA, BW_IN_PLACE, BW_ARENA, BW_RAW = 1, 2, 4, 8, 16, 32, 64
BW_OUT = BW_DX | BW_DGAMMA | BW_DBETA
BW_ALL = BW_GAMMA | BW_OUT
BW_NO_FAULT, BW_DY_NULL, BW_X_NULL, BW_MEAN_NULL, BW_RSTD_NULL, BW_HUGE, BW_HUGE_MAX = (
    8, 0, 1, 2, 3, 4, 5)
TRAINING = {0: 0, 1: 1, -1: 2, 2: 3, "INT_MIN": 4, "INT_MAX": 5, 256: 6}


def rows_bwd_field(rows):
    if rows < 9:
        return rows
    assert (rows - 9) % 37 == 0 and rows <= 2044
    return 200 + (rows - 9) // 37


def data_field(mode, scale_exp, offset, seed, patches):
    b = struct.pack("<BBBI", mode, scale_exp, offset, seed)
    for index, value in patches:
        b += struct.pack("<Hf", index, value)
    return b


def rows_bwd(op, rows, cols, flags, dys=STRIDE_EXACT, xs=STRIDE_EXACT, dxs=STRIDE_EXACT,
             fault=BW_NO_FAULT, eps="1e-5", offsets=None, mode=0, scale_exp=48, offset=0,
             seed=1, patches=()):
    b = struct.pack("<BBHBBBBBB", op, rows_bwd_field(rows), cols_field(cols), dys, xs, dxs,
                    flags, fault, EPS[eps])
    if flags & BW_ARENA:
        b += struct.pack("<8H", *offsets)
    return b + data_field(mode, scale_exp, offset, seed, patches)


def ln_bwd(*a, **k):
    return rows_bwd(OP_LN_BWD, *a, **k)


def rms_bwd(*a, **k):
    return rows_bwd(OP_RMS_BWD, *a, **k)


def n_field(n):
    if n < 5:
        return n
    assert n % 5 == 0 and n <= 280
    return 200 + (n - 5) // 5


def bn_bwd(layout, n, c, spatial, flags, training=1, eps="1e-5", fault=BW_NO_FAULT,
           offsets=None, mode=0, scale_exp=48, offset=0, seed=1, patches=()):
    b = struct.pack("<BBBBHBBBB", OP_BN_BWD, layout, n_field(n), c_field(c),
                    spatial_field(spatial), flags, fault, EPS[eps], TRAINING[training])
    if flags & BW_ARENA:
        b += struct.pack("<8H", *offsets)
    return b + data_field(mode, scale_exp, offset, seed, patches)


# Patch indices count the inputs in order: dy, x, gamma, mean, rstd (mean and
# rstd are then overwritten by the forward's statistics unless BW_RAW).
seeds.update({
    "lnb_basic": ln_bwd(4, 33, BW_ALL),
    "lnb_no_gamma": ln_bwd(3, 20, BW_OUT, seed=2),
    "lnb_tails_strides": ln_bwd(5, 67, BW_ALL, dys=3, xs=5, dxs=7, seed=3),
    "lnb_one_col": ln_bwd(3, 1, BW_ALL),
    "lnb_two_cols": ln_bwd(4, 2, BW_ALL, seed=4),
    "lnb_two_cols_eps_0": ln_bwd(4, 2, BW_OUT, eps="0", seed=5),
    "lnb_long_rows": ln_bwd(2, 4100, BW_ALL, seed=6),
    "lnb_two_blocks_and_tail": ln_bwd(1, 8191, BW_DX | BW_DGAMMA, seed=7),
    "lnb_rows_9": ln_bwd(9, 5, BW_ALL, seed=8),
    "lnb_rows_46": ln_bwd(46, 7, BW_ALL, dys=2, seed=9),
    "lnb_many_rows": ln_bwd(1008, 3, BW_GAMMA | BW_DGAMMA | BW_DBETA, seed=10),
    "lnb_threads": ln_bwd(2044, 64, BW_ALL, seed=11),
    "lnb_threads_in_place": ln_bwd(2044, 64, BW_ALL | BW_IN_PLACE, seed=12),
    "lnb_offset_1e3": ln_bwd(3, 300, BW_ALL, offset=3, seed=13),
    "lnb_offset_1e6": ln_bwd(3, 300, BW_ALL, offset=4, seed=14),
    "lnb_near_flt_max": ln_bwd(3, 129, BW_ALL, mode=2, seed=15),
    "lnb_wide_exponents": ln_bwd(3, 100, BW_ALL, mode=1, seed=16),
    "lnb_tiny_scale": ln_bwd(2, 64, BW_ALL, scale_exp=0, eps="0", seed=17),
    "lnb_few_values": ln_bwd(4, 40, BW_ALL, mode=3, eps="0", seed=18),
    # x (after dy's 8) constant: xhat 0; with eps 0 rstd is Inf and all NaN
    "lnb_constant_x": ln_bwd(2, 4, BW_ALL, patches=[(8 + i, 1.5) for i in range(8)]),
    "lnb_constant_x_eps_0": ln_bwd(2, 4, BW_ALL, eps="0",
                                   patches=[(8 + i, 1.5) for i in range(8)]),
    "lnb_nan_dy": ln_bwd(3, 20, BW_ALL, patches=[(5, NAN)]),
    "lnb_inf_dy": ln_bwd(3, 20, BW_ALL, patches=[(25, INF)]),
    "lnb_inf_x": ln_bwd(3, 20, BW_ALL, patches=[(60 + 27, -INF)]),
    "lnb_inf_gamma": ln_bwd(3, 20, BW_ALL, patches=[(120 + 4, INF)]),
    "lnb_raw_stats": ln_bwd(3, 20, BW_ALL | BW_RAW, seed=19),
    "lnb_raw_stats_nan": ln_bwd(3, 20, BW_ALL | BW_RAW, seed=20,
                                patches=[(140 + 1, NAN), (140 + 3 + 2, INF)]),
    "lnb_in_place": ln_bwd(4, 45, BW_ALL | BW_IN_PLACE, dys=3, seed=21),
    "lnb_in_place_nan_inf": ln_bwd(3, 20, BW_ALL | BW_IN_PLACE,
                                   patches=[(3, NAN), (22, INF), (60 + 45, INF)]),
    "lnb_dx_only": ln_bwd(3, 20, BW_GAMMA | BW_DX, seed=22),
    "lnb_dgamma_only": ln_bwd(3, 20, BW_GAMMA | BW_DGAMMA, seed=23),
    "lnb_dbeta_only": ln_bwd(3, 20, BW_DBETA, seed=24),
    "lnb_no_outputs": ln_bwd(3, 20, BW_GAMMA),
    "lnb_no_outputs_dy_null": ln_bwd(3, 20, 0, fault=BW_DY_NULL),
    "lnb_rows_0": ln_bwd(0, 20, BW_ALL),
    "lnb_rows_0_dy_null": ln_bwd(0, 20, BW_ALL, fault=BW_DY_NULL),
    "lnb_rows_0_cols_0": ln_bwd(0, 0, BW_ALL),
    "lnb_cols_0": ln_bwd(3, 0, BW_ALL),
    "lnb_dy_null": ln_bwd(3, 8, BW_ALL, fault=BW_DY_NULL),
    "lnb_x_null": ln_bwd(3, 8, BW_ALL, fault=BW_X_NULL),
    "lnb_mean_null": ln_bwd(3, 8, BW_ALL, fault=BW_MEAN_NULL),
    "lnb_rstd_null": ln_bwd(3, 8, BW_ALL, fault=BW_RSTD_NULL),
    "lnb_dy_stride_short": ln_bwd(3, 8, BW_ALL, dys=STRIDE_SHORT),
    "lnb_x_stride_short": ln_bwd(1, 8, BW_ALL, xs=STRIDE_SHORT + 1),
    "lnb_dx_stride_short": ln_bwd(2, 8, BW_ALL, dxs=STRIDE_SHORT + 2),
    "lnb_dx_stride_short_no_dx": ln_bwd(2, 8, BW_DGAMMA, dxs=STRIDE_SHORT),
    "lnb_stride_overflow": ln_bwd(3, 8, BW_ALL, xs=STRIDE_HUGE),
    "lnb_dx_stride_overflow": ln_bwd(2, 8, BW_ALL, dxs=STRIDE_HUGE + 1),
    "lnb_huge_stride_one_row": ln_bwd(1, 8, BW_ALL, dys=240),
    # arena, 2 x 10: dy 20, x 20, gamma 10, mean 2, rstd 2, dx 20, dgamma 10, dbeta 10
    "lnb_arena_disjoint": ln_bwd(2, 10, BW_ALL | BW_ARENA,
                                 offsets=(0, 20, 40, 50, 52, 54, 74, 84)),
    "lnb_arena_dx_overlaps_dy": ln_bwd(2, 10, BW_ALL | BW_ARENA,
                                       offsets=(0, 20, 40, 50, 52, 5, 74, 84)),
    "lnb_arena_dx_is_dy": ln_bwd(2, 10, BW_ALL | BW_ARENA,
                                 offsets=(0, 20, 40, 50, 52, 0, 74, 84)),
    "lnb_arena_dx_is_dy_other_stride": ln_bwd(2, 10, BW_ALL | BW_ARENA, dxs=1,
                                              offsets=(0, 20, 40, 50, 52, 0, 74, 84)),
    "lnb_arena_dx_is_x": ln_bwd(2, 10, BW_ALL | BW_ARENA,
                                offsets=(0, 20, 40, 50, 52, 20, 74, 84)),
    "lnb_arena_dgamma_is_dbeta": ln_bwd(2, 10, BW_ALL | BW_ARENA,
                                        offsets=(0, 20, 40, 50, 52, 54, 74, 74)),
    "lnb_arena_dgamma_on_gamma": ln_bwd(2, 10, BW_ALL | BW_ARENA,
                                        offsets=(0, 20, 40, 50, 52, 54, 45, 84)),
    "lnb_arena_dbeta_on_rstd": ln_bwd(2, 10, BW_ALL | BW_ARENA,
                                      offsets=(0, 20, 40, 50, 52, 54, 74, 53)),
    "lnb_arena_inputs_share": ln_bwd(2, 10, BW_ALL | BW_ARENA,
                                     offsets=(0, 0, 40, 40, 52, 54, 74, 84)),
    # rows 0: gamma 10, dgamma 10, dbeta 10 (the rest empty)
    "lnb_rows_0_arena_dgamma_on_gamma": ln_bwd(0, 10, BW_ALL | BW_ARENA,
                                               offsets=(0, 0, 0, 0, 0, 0, 5, 20)),
    "lnb_rows_0_arena_dgamma_is_dbeta": ln_bwd(0, 10, BW_ALL | BW_ARENA,
                                               offsets=(0, 0, 0, 0, 0, 0, 10, 12)),
    "rmsb_basic": rms_bwd(4, 33, BW_GAMMA | BW_DX | BW_DGAMMA),
    "rmsb_no_gamma": rms_bwd(3, 21, BW_DX | BW_DGAMMA, seed=30),
    "rmsb_long": rms_bwd(2, 5000, BW_GAMMA | BW_DX | BW_DGAMMA, seed=31),
    "rmsb_many_rows": rms_bwd(1008, 3, BW_GAMMA | BW_DX | BW_DGAMMA, seed=32),
    "rmsb_in_place": rms_bwd(3, 70, BW_GAMMA | BW_IN_PLACE | BW_DGAMMA, seed=33),
    "rmsb_offset_1e6": rms_bwd(3, 50, BW_DX | BW_DGAMMA, offset=4, seed=34),
    "rmsb_near_flt_max": rms_bwd(2, 77, BW_DX | BW_DGAMMA, mode=2, seed=35),
    "rmsb_nan_dy": rms_bwd(2, 9, BW_DX | BW_DGAMMA, patches=[(12, NAN)]),
    "rmsb_inf_x": rms_bwd(2, 9, BW_DX | BW_DGAMMA, patches=[(18 + 3, INF)]),
    "rmsb_zeros_eps_0": rms_bwd(1, 12, BW_DX | BW_DGAMMA, eps="0",
                                patches=[(12 + i, 0.0) for i in range(12)]),
    "rmsb_raw_stats": rms_bwd(3, 20, BW_GAMMA | BW_DX | BW_DGAMMA | BW_RAW, seed=36),
    "rmsb_rstd_null": rms_bwd(2, 8, BW_DX, fault=BW_RSTD_NULL),
    "rmsb_x_null": rms_bwd(2, 8, BW_DX, fault=BW_X_NULL),
    "rmsb_rows_0": rms_bwd(0, 8, BW_DGAMMA),
    "rmsb_stride_overflow": rms_bwd(2, 8, BW_DX, dys=STRIDE_HUGE + 1),
    # arena, 2 x 10: dy 20, x 20, gamma 10, rstd 2, dx 20, dgamma 10
    "rmsb_arena_dx_on_gamma": rms_bwd(2, 10, BW_GAMMA | BW_DX | BW_DGAMMA | BW_ARENA,
                                      offsets=(0, 20, 40, 0, 50, 45, 72, 0)),
    "rmsb_arena_dx_is_dy": rms_bwd(2, 10, BW_GAMMA | BW_DX | BW_DGAMMA | BW_ARENA,
                                   offsets=(0, 20, 40, 0, 50, 0, 72, 0)),
})
BN_TRAIN, BN_FIXED = 1, 0
seeds.update({
    "bnb_train_nchw_basic": bn_bwd(NCHW, 4, 5, 33, BW_ALL),
    "bnb_train_nhwc_basic": bn_bwd(NHWC, 4, 5, 33, BW_ALL, seed=40),
    "bnb_fixed_nchw_basic": bn_bwd(NCHW, 4, 5, 33, BW_ALL, training=0, seed=41),
    "bnb_fixed_nhwc_basic": bn_bwd(NHWC, 4, 5, 33, BW_ALL, training=0, seed=42),
    "bnb_train_no_gamma": bn_bwd(NCHW, 3, 7, 19, BW_OUT, seed=43),
    "bnb_train_2d": bn_bwd(NCHW, 4, 9, 1, BW_ALL, seed=44),
    "bnb_fixed_2d_nhwc": bn_bwd(NHWC, 4, 9, 1, BW_ALL, training=0, seed=45),
    "bnb_train_nchw_long": bn_bwd(NCHW, 2, 3, 4500, BW_ALL, seed=46),
    "bnb_train_nhwc_wide": bn_bwd(NHWC, 2, 339, 3, BW_ALL, seed=47),
    "bnb_train_nhwc_many": bn_bwd(NHWC, 280, 69, 5, BW_ALL, seed=48),
    "bnb_train_nchw_many": bn_bwd(NCHW, 280, 69, 5, BW_ALL | BW_IN_PLACE, seed=49),
    "bnb_train_count_1": bn_bwd(NCHW, 1, 3, 1, BW_ALL),
    "bnb_train_n0": bn_bwd(NHWC, 0, 3, 4, BW_ALL),
    "bnb_fixed_n0": bn_bwd(NCHW, 0, 3, 4, BW_ALL, training=0, fault=BW_DY_NULL),
    "bnb_fixed_spatial_0": bn_bwd(NHWC, 2, 3, 0, BW_ALL, training=0),
    "bnb_c0": bn_bwd(NCHW, 2, 0, 4, BW_ALL, fault=BW_X_NULL),
    "bnb_layout_bad": bn_bwd(LAYOUT_BAD, 2, 3, 4, BW_ALL),
    "bnb_layout_bad_c0": bn_bwd(LAYOUT_BAD + 1, 2, 0, 4, BW_ALL),
    "bnb_training_minus_1": bn_bwd(NHWC, 2, 3, 4, BW_ALL, training=-1, seed=50),
    "bnb_training_int_min": bn_bwd(NCHW, 2, 3, 4, BW_ALL, training="INT_MIN", seed=51),
    "bnb_training_256": bn_bwd(NCHW, 2, 3, 4, BW_ALL, training=256, seed=52),
    "bnb_offset_1e3": bn_bwd(NCHW, 4, 3, 30, BW_ALL, offset=3, seed=53),
    "bnb_offset_1e6": bn_bwd(NHWC, 4, 3, 30, BW_ALL, offset=4, seed=54),
    "bnb_near_flt_max": bn_bwd(NCHW, 2, 4, 17, BW_ALL, mode=2, seed=55),
    # channel 0: rstd 2.3e-28, gamma 1.5e-15, w = rstd*gamma below FLT_MIN (the
    # double path of backward.c's bn_dx_slow; it was rounded to a subnormal)
    "bnb_wide_exponents": bn_bwd(NHWC, 2, 4, 17, BW_ALL, mode=1, seed=56),
    "bnb_few_values_eps_0": bn_bwd(NCHW, 3, 4, 8, BW_ALL, eps="0", mode=3, seed=57),
    # dy 48 then x 48 (2 x 4 x 6)
    "bnb_train_nan_inf": bn_bwd(NCHW, 2, 4, 6, BW_ALL,
                                patches=[(1, NAN), (14, INF), (48 + 30, INF)]),
    "bnb_train_nhwc_nan_inf": bn_bwd(NHWC, 2, 4, 6, BW_ALL,
                                     patches=[(2, NAN), (48 + 7, -INF)]),
    "bnb_fixed_nan_inf": bn_bwd(NHWC, 2, 4, 6, BW_ALL, training=0,
                                patches=[(2, NAN), (9, INF), (48 + 7, -INF)]),
    "bnb_train_in_place": bn_bwd(NHWC, 3, 6, 5, BW_ALL | BW_IN_PLACE, seed=58),
    "bnb_fixed_in_place": bn_bwd(NCHW, 3, 6, 5, BW_ALL | BW_IN_PLACE, training=0, seed=59),
    "bnb_train_in_place_nan_inf": bn_bwd(NCHW, 2, 4, 6, BW_ALL | BW_IN_PLACE,
                                         patches=[(1, NAN), (14, INF), (48 + 30, -INF)]),
    "bnb_raw_stats": bn_bwd(NCHW, 2, 4, 6, BW_ALL | BW_RAW, seed=60),
    "bnb_fixed_raw_stats": bn_bwd(NHWC, 2, 4, 6, BW_ALL | BW_RAW, training=0, seed=61),
    "bnb_no_outputs": bn_bwd(NCHW, 2, 3, 4, BW_GAMMA),
    "bnb_dx_only": bn_bwd(NHWC, 2, 3, 4, BW_DX, seed=62),
    "bnb_dy_null": bn_bwd(NCHW, 2, 3, 4, BW_ALL, fault=BW_DY_NULL),
    "bnb_x_null": bn_bwd(NHWC, 2, 3, 4, BW_ALL, fault=BW_X_NULL),
    "bnb_mean_null": bn_bwd(NCHW, 2, 3, 4, BW_ALL, training=0, fault=BW_MEAN_NULL),
    "bnb_rstd_null": bn_bwd(NHWC, 2, 3, 4, BW_ALL, fault=BW_RSTD_NULL),
    "bnb_huge": bn_bwd(NCHW, 3, 5, 4, BW_ALL, fault=BW_HUGE),
    "bnb_huge_max": bn_bwd(NHWC, 4, 5, 4, BW_ALL, fault=BW_HUGE_MAX),
    "bnb_huge_n0_fixed": bn_bwd(NHWC, 0, 5, 4, BW_ALL, training=0, fault=BW_HUGE_MAX),
    # arena, 2 x 3 x 4: dy 24, x 24, gamma 3, mean 3, rstd 3, dx 24, dgamma 3, dbeta 3
    "bnb_arena_disjoint": bn_bwd(NCHW, 2, 3, 4, BW_ALL | BW_ARENA,
                                 offsets=(0, 24, 48, 51, 54, 57, 81, 84)),
    "bnb_arena_in_place": bn_bwd(NHWC, 2, 3, 4, BW_ALL | BW_ARENA,
                                 offsets=(0, 24, 48, 51, 54, 0, 81, 84)),
    "bnb_arena_dx_overlaps_x": bn_bwd(NCHW, 2, 3, 4, BW_ALL | BW_ARENA,
                                      offsets=(0, 24, 48, 51, 54, 30, 81, 84)),
    "bnb_arena_dgamma_on_mean": bn_bwd(NCHW, 2, 3, 4, BW_ALL | BW_ARENA,
                                       offsets=(0, 24, 48, 51, 54, 57, 52, 84)),
    "bnb_arena_dgamma_is_dbeta": bn_bwd(NHWC, 2, 3, 4, BW_ALL | BW_ARENA,
                                        offsets=(0, 24, 48, 51, 54, 57, 81, 81)),
    "bnb_arena_inputs_share": bn_bwd(NHWC, 2, 3, 4, BW_ALL | BW_ARENA,
                                     offsets=(0, 0, 48, 48, 54, 57, 81, 84)),
    # fixed statistics, n*spatial 0: gamma 3, mean 3, rstd 3, dgamma 3, dbeta 3
    "bnb_fixed_n0_arena_dgamma_is_dbeta": bn_bwd(NCHW, 0, 3, 4, BW_ALL | BW_ARENA, training=0,
                                                 offsets=(0, 0, 0, 3, 6, 0, 9, 10)),
})
# ---- GroupNorm (decode_group_norm, decode_group_norm_bwd) ----
GN_GAMMA, GN_BETA, GN_MEAN, GN_RSTD, GN_IN_PLACE, GN_ARENA = 1, 2, 4, 8, 16, 32
GN_ALL = GN_GAMMA | GN_BETA | GN_MEAN | GN_RSTD
GN_STATS = GN_MEAN | GN_RSTD
GN_NO_FAULT, GN_X_NULL, GN_Y_NULL, GN_HUGE, GN_HUGE_MAX = 8, 0, 1, 2, 3


def groups_field(c, groups, raw=False):
    """gn_groups_for: a divisor of c by its index, or (raw) any 0..15."""
    if raw:
        return 240 + groups
    if c == 0:
        return groups - 1
    divisors = [d for d in range(1, c + 1) if c % d == 0]
    return divisors.index(groups)


def gn(layout, n, c, spatial, groups, flags, eps="1e-5", fault=GN_NO_FAULT, raw=False,
       offsets=None, mode=0, scale_exp=48, offset=0, seed=1, patches=()):
    b = struct.pack("<BBBBBHBBB", OP_GN, layout, n, c_field(c), groups_field(c, groups, raw),
                    spatial_field(spatial), flags, fault, EPS[eps])
    if flags & GN_ARENA:
        b += struct.pack("<6H", *offsets)
    return b + data_field(mode, scale_exp, offset, seed, patches)


def gn_bwd(layout, n, c, spatial, groups, flags, eps="1e-5", fault=BW_NO_FAULT, raw=False,
           offsets=None, mode=0, scale_exp=48, offset=0, seed=1, patches=()):
    b = struct.pack("<BBBBHBBBB", OP_GN_BWD, layout, n_field(n), c_field(c),
                    spatial_field(spatial), groups_field(c, groups, raw), flags, fault, EPS[eps])
    if flags & BW_ARENA:
        b += struct.pack("<8H", *offsets)
    return b + data_field(mode, scale_exp, offset, seed, patches)


seeds.update({
    "gn_nchw_basic": gn(NCHW, 2, 8, 9, 4, GN_ALL),
    "gn_nhwc_basic": gn(NHWC, 2, 8, 9, 4, GN_ALL, seed=70),
    "gn_nchw_no_affine": gn(NCHW, 3, 6, 17, 3, GN_STATS, seed=71),
    "gn_nhwc_no_affine": gn(NHWC, 3, 6, 17, 2, GN_STATS, seed=72),
    "gn_instance_nchw": gn(NCHW, 2, 5, 33, 5, GN_STATS, seed=73),
    "gn_instance_nhwc": gn(NHWC, 2, 5, 33, 5, GN_STATS, seed=74),
    "gn_groups_1_nhwc": gn(NHWC, 2, 12, 7, 1, GN_STATS, seed=75),
    "gn_nhwc_wide": gn(NHWC, 2, 339, 3, 113, GN_STATS, seed=76),
    "gn_nhwc_wide_groups": gn(NHWC, 1, 320, 40, 32, GN_ALL, seed=77),
    "gn_nchw_long": gn(NCHW, 1, 4, 5000, 2, GN_STATS, seed=78),
    "gn_nhwc_long": gn(NHWC, 1, 8, 4200, 2, GN_STATS, seed=79),
    "gn_spatial_1": gn(NHWC, 4, 12, 1, 3, GN_STATS, seed=80),
    "gn_offset_1e6": gn(NCHW, 2, 4, 30, 2, GN_STATS, offset=4, seed=81),
    "gn_nhwc_offset_1e6": gn(NHWC, 2, 4, 30, 2, GN_STATS, offset=4, seed=82),
    "gn_near_flt_max": gn(NHWC, 2, 6, 11, 3, GN_STATS, mode=2, seed=83),
    "gn_wide_exponents": gn(NCHW, 2, 6, 11, 2, GN_STATS, mode=1, seed=84),
    "gn_few_values_eps_0": gn(NHWC, 2, 4, 8, 4, GN_STATS, eps="0", mode=3, seed=85),
    # x is 2 x 4 x 6 = 48
    "gn_nan_inf": gn(NCHW, 2, 4, 6, 2, GN_STATS, patches=[(1, NAN), (30, INF)]),
    "gn_nhwc_nan_inf": gn(NHWC, 2, 4, 6, 2, GN_STATS, patches=[(2, NAN), (33, -INF)]),
    "gn_in_place": gn(NHWC, 3, 6, 5, 3, GN_ALL | GN_IN_PLACE, seed=86),
    "gn_in_place_nchw": gn(NCHW, 3, 6, 5, 2, GN_ALL | GN_IN_PLACE, seed=87),
    "gn_groups_0": gn(NCHW, 2, 6, 4, 0, GN_STATS, raw=True),
    "gn_groups_not_dividing": gn(NHWC, 2, 6, 4, 4, GN_STATS, raw=True),
    "gn_groups_0_n0": gn(NCHW, 0, 6, 4, 0, GN_STATS, raw=True),
    "gn_n0": gn(NCHW, 0, 6, 4, 2, GN_STATS, fault=GN_X_NULL),
    "gn_c0": gn(NHWC, 2, 0, 4, 3, GN_STATS, fault=GN_X_NULL),
    "gn_spatial_0": gn(NCHW, 2, 6, 0, 2, GN_STATS),
    "gn_layout_bad": gn(LAYOUT_BAD, 2, 6, 4, 2, GN_STATS),
    "gn_eps_nan": gn(NCHW, 2, 6, 4, 2, GN_STATS, eps="nan"),
    "gn_x_null": gn(NCHW, 2, 6, 4, 2, GN_STATS, fault=GN_X_NULL),
    "gn_y_null": gn(NHWC, 2, 6, 4, 2, GN_STATS, fault=GN_Y_NULL),
    "gn_huge": gn(NCHW, 3, 6, 4, 2, GN_STATS, fault=GN_HUGE),
    "gn_huge_max": gn(NHWC, 3, 6, 4, 2, GN_STATS, fault=GN_HUGE_MAX),
    # arena, 2 x 6 x 4, groups 2: x 48, y 48, gamma 6, beta 6, mean 4, rstd 4
    "gn_arena_disjoint": gn(NCHW, 2, 6, 4, 2, GN_ALL | GN_ARENA,
                            offsets=(0, 48, 96, 102, 108, 112)),
    "gn_arena_in_place": gn(NHWC, 2, 6, 4, 2, GN_ALL | GN_ARENA,
                            offsets=(0, 0, 96, 102, 108, 112)),
    "gn_arena_y_overlaps_x": gn(NCHW, 2, 6, 4, 2, GN_ALL | GN_ARENA,
                                offsets=(0, 10, 96, 102, 108, 112)),
    "gn_arena_mean_on_gamma": gn(NHWC, 2, 6, 4, 2, GN_ALL | GN_ARENA,
                                 offsets=(0, 48, 96, 102, 98, 112)),
    "gn_arena_mean_is_rstd": gn(NCHW, 2, 6, 4, 2, GN_ALL | GN_ARENA,
                                offsets=(0, 48, 96, 102, 108, 108)),
    "gnb_nchw_basic": gn_bwd(NCHW, 2, 8, 9, 4, BW_ALL),
    "gnb_nhwc_basic": gn_bwd(NHWC, 2, 8, 9, 4, BW_ALL, seed=90),
    "gnb_no_gamma": gn_bwd(NCHW, 3, 6, 17, 3, BW_OUT, seed=91),
    "gnb_instance_nhwc": gn_bwd(NHWC, 2, 5, 33, 5, BW_ALL, seed=92),
    "gnb_groups_1": gn_bwd(NHWC, 2, 12, 7, 1, BW_ALL, seed=93),
    "gnb_nhwc_wide": gn_bwd(NHWC, 2, 339, 3, 3, BW_ALL, seed=94),
    "gnb_nchw_long": gn_bwd(NCHW, 1, 4, 5000, 2, BW_ALL, seed=95),
    "gnb_many": gn_bwd(NHWC, 280, 24, 5, 8, BW_ALL, seed=96),
    "gnb_many_nchw": gn_bwd(NCHW, 280, 24, 5, 6, BW_ALL | BW_IN_PLACE, seed=97),
    "gnb_spatial_1": gn_bwd(NCHW, 4, 12, 1, 4, BW_ALL, seed=98),
    "gnb_offset_1e3": gn_bwd(NHWC, 2, 4, 30, 2, BW_ALL, offset=3, seed=99),
    "gnb_near_flt_max": gn_bwd(NCHW, 2, 4, 17, 2, BW_ALL, mode=2, seed=100),
    # dy 48 then x 48 (2 x 4 x 6)
    "gnb_nan_inf": gn_bwd(NCHW, 2, 4, 6, 2, BW_ALL, patches=[(1, NAN), (48 + 30, INF)]),
    "gnb_nhwc_nan_inf": gn_bwd(NHWC, 2, 4, 6, 2, BW_ALL, patches=[(9, INF), (48 + 7, -INF)]),
    "gnb_in_place": gn_bwd(NHWC, 3, 6, 5, 3, BW_ALL | BW_IN_PLACE, seed=101),
    "gnb_raw_stats": gn_bwd(NCHW, 2, 4, 6, 2, BW_ALL | BW_RAW, seed=102),
    "gnb_dx_only": gn_bwd(NHWC, 2, 6, 4, 2, BW_DX, seed=103),
    "gnb_no_outputs": gn_bwd(NCHW, 2, 6, 4, 2, BW_GAMMA),
    "gnb_n0": gn_bwd(NCHW, 0, 6, 4, 2, BW_ALL, fault=BW_DY_NULL),
    "gnb_c0": gn_bwd(NHWC, 2, 0, 4, 2, BW_ALL, fault=BW_X_NULL),
    "gnb_groups_0": gn_bwd(NCHW, 2, 6, 4, 0, BW_ALL, raw=True),
    "gnb_groups_not_dividing": gn_bwd(NHWC, 2, 6, 4, 5, BW_ALL, raw=True),
    "gnb_spatial_0": gn_bwd(NCHW, 2, 6, 0, 2, BW_ALL),
    "gnb_layout_bad": gn_bwd(LAYOUT_BAD, 2, 6, 4, 2, BW_ALL),
    "gnb_dy_null": gn_bwd(NCHW, 2, 6, 4, 2, BW_ALL, fault=BW_DY_NULL),
    "gnb_mean_null": gn_bwd(NHWC, 2, 6, 4, 2, BW_ALL, fault=BW_MEAN_NULL),
    "gnb_rstd_null": gn_bwd(NCHW, 2, 6, 4, 2, BW_ALL, fault=BW_RSTD_NULL),
    "gnb_huge": gn_bwd(NCHW, 3, 6, 4, 2, BW_ALL, fault=BW_HUGE),
    "gnb_huge_max": gn_bwd(NHWC, 4, 6, 4, 2, BW_ALL, fault=BW_HUGE_MAX),
    # arena, 2 x 6 x 4, groups 2: dy 48, x 48, gamma 6, mean 4, rstd 4, dx 48,
    # dgamma 6, dbeta 6
    "gnb_arena_disjoint": gn_bwd(NCHW, 2, 6, 4, 2, BW_ALL | BW_ARENA,
                                 offsets=(0, 48, 96, 102, 106, 110, 158, 164)),
    "gnb_arena_in_place": gn_bwd(NHWC, 2, 6, 4, 2, BW_ALL | BW_ARENA,
                                 offsets=(0, 48, 96, 102, 106, 0, 158, 164)),
    "gnb_arena_dx_overlaps_x": gn_bwd(NCHW, 2, 6, 4, 2, BW_ALL | BW_ARENA,
                                      offsets=(0, 48, 96, 102, 106, 50, 158, 164)),
    "gnb_arena_dgamma_is_dbeta": gn_bwd(NHWC, 2, 6, 4, 2, BW_ALL | BW_ARENA,
                                        offsets=(0, 48, 96, 102, 106, 110, 158, 158)),
    # n 0: gamma 6, dgamma 6, dbeta 6 (the rest empty)
    "gnb_n0_arena_dgamma_is_dbeta": gn_bwd(NCHW, 0, 6, 4, 2, BW_ALL | BW_ARENA,
                                           offsets=(0, 0, 0, 0, 0, 0, 6, 8)),
})
for v in (-1, 0, 1, 2, 3, 4, 100):
    seeds["isa_%d" % v if v >= 0 else "isa_minus_1"] = struct.pack("<Bb", OP_ISA, v)

# the 16-bit twins (fuzz_half, op 10): u8 kind (0 LayerNorm, 1 RMSNorm, 2/3
# their _ex, 4 activate, 5/6 the backward), u8 storage (0 bf16, 1 f16), u8
# rows, u16 cols, u8 x/y stride modes, u8 flags (HF_*), u8 act, u8 eps, 4 x
# u8 offsets (>= 200: inside another tensor), u32 seed, u8 data mode.
OP_HALF = 10
HF_GAMMA, HF_BETA, HF_STATS, HF_RES, HF_BIAS, HF_H, HF_IN_PLACE, HF_NULL = 1, 2, 4, 8, 16, 32, 64, 128


def half_call(kind, storage, rows, cols, flags, act=0, eps=EPS["1e-5"], xs=0, ys=0,
              offsets=(0, 0, 0, 0), seed=15, mode=0):
    return struct.pack("<BBBBHBBBBB4BIB", OP_HALF, kind, storage, rows, cols, xs, ys, flags, act,
                       eps, *offsets, seed, mode)


ALLF = HF_GAMMA | HF_BETA | HF_STATS
for st, sn in ((0, "bf16"), (1, "f16")):
    for kind, kn in enumerate(("ln", "rms", "ln_ex", "rms_ex", "act", "ln_bwd", "rms_bwd")):
        seeds["half_%s_%s" % (sn, kn)] = half_call(kind, st, 3, 37, ALLF | HF_RES | HF_BIAS, act=2)
        seeds["half_%s_%s_in_place" % (sn, kn)] = half_call(kind, st, 4, 64, ALLF | HF_IN_PLACE | HF_RES | HF_H,
                                                            act=4, xs=1, mode=2)
        seeds["half_%s_%s_overlap" % (sn, kn)] = half_call(kind, st, 2, 9, ALLF | HF_RES | HF_H,
                                                           offsets=(0, 203, 2, 3))
    seeds["half_%s_ln_long" % sn] = half_call(0, st, 2, 0x8000 | 5000, ALLF, mode=1)
    seeds["half_%s_ln_ex_heap" % sn] = half_call(2, st, 2, 0x8000 | 8500, ALLF | HF_RES | HF_H, act=1)
    seeds["half_%s_null" % sn] = half_call(0, st, 2, 8, ALLF | HF_NULL)
    seeds["half_%s_stride" % sn] = half_call(1, st, 2, 8, ALLF, xs=255)
    seeds["half_%s_bad_act" % sn] = half_call(3, st, 2, 8, ALLF | HF_RES, act=5)
    seeds["half_%s_eps_nan" % sn] = half_call(0, st, 2, 8, ALLF, eps=EPS["nan"] if "nan" in EPS else 250)
    # the channel norms' twins: storage | 0x80, kind 0-4 = BatchNorm train,
    # infer, backward, GroupNorm, its backward; (n, c, spatial) = (rows,
    # cols, 1 + xs % 4), ys bit 0: NHWC; groups 1 + act % 4
    for kind, kn in enumerate(("bn_train", "bn_infer", "bn_bwd", "gn", "gn_bwd")):
        sc = st | 0x80
        seeds["half_%s_%s" % (sn, kn)] = half_call(kind, sc, 3, 12, ALLF | HF_RES | HF_BIAS, act=1, xs=2)
        seeds["half_%s_%s_nhwc_in_place" % (sn, kn)] = half_call(kind, sc, 4, 9, ALLF | HF_IN_PLACE | HF_RES,
                                                                 act=2, xs=3, ys=1, mode=2)
        seeds["half_%s_%s_overlap" % (sn, kn)] = half_call(kind, sc, 2, 8, ALLF | HF_RES,
                                                           offsets=(0, 203, 2, 3))
    seeds["half_%s_gn_groups_shape" % sn] = half_call(3, st | 0x80, 2, 6, ALLF, act=3)
    seeds["half_%s_bn_null" % sn] = half_call(0, st | 0x80, 2, 8, ALLF | HF_NULL)
    seeds["half_%s_bn_one_value" % sn] = half_call(0, st | 0x80, 1, 5, ALLF | HF_RES)

# the mergeable moments (fuzz_moments, op 11): u8 layout, n, c, u16 spatial,
# u8 flags (MO_*), eps, momentum, data mode, u32 seed, then patches
OP_MOMENTS = 11
MO_GAMMA, MO_BETA, MO_RUNNING, MO_STATS = 1, 2, 4, 8
MO_ALL = MO_GAMMA | MO_BETA | MO_RUNNING | MO_STATS


def moments_call(layout, n, c, spatial, flags=MO_ALL, mode=0, seed=21, patches=()):
    b = struct.pack("<BBBBHBBBBI", OP_MOMENTS, layout, n, c - 1, spatial, flags, EPS["1e-5"],
                    MOMENTUM["0.1"], mode, seed)
    for index, value in patches:
        b += struct.pack("<Hf", index, value)
    return b


for lay, ln in ((0, "nchw"), (1, "nhwc")):
    seeds["moments_%s" % ln] = moments_call(lay, 7, 5, 33)
    seeds["moments_%s_pow2" % ln] = moments_call(lay, 16, 3, 10, mode=1)
    seeds["moments_%s_2d" % ln] = moments_call(lay, 37, 23, 1, flags=MO_STATS)
    seeds["moments_%s_one_sample" % ln] = moments_call(lay, 1, 4, 1, flags=MO_ALL)
    seeds["moments_%s_empty" % ln] = moments_call(lay, 0, 4, 9)
    seeds["moments_%s_wide" % ln] = moments_call(lay, 3, 2, 299, mode=2, flags=MO_GAMMA)
    seeds["moments_%s_nan_inf" % ln] = moments_call(lay, 9, 3, 5, patches=[(4, NAN), (70, INF)])

os.makedirs(OUT, exist_ok=True)
# regress_*: inputs libFuzzer found (committed by hand, not written here): kept
for name in os.listdir(OUT):
    if not name.startswith("regress_"):
        os.remove(os.path.join(OUT, name))
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("%d seeds in %s" % (len(seeds), OUT))
