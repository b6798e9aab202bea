/* lanes.h - what every generic kernel shares: the kernel naming of the ISA
 * being built, and the canonical lanes (kernels.h) mapped onto the vector
 * registers of that ISA's vector header. Include after the vector header. */
#ifndef SIMDNORM_GENERIC_LANES_H
#define SIMDNORM_GENERIC_LANES_H

#include <stddef.h>

#include "kernels.h"

#define SIMDNORM_CAT2_(a, b) a##_##b
#define SIMDNORM_CAT_(a, b) SIMDNORM_CAT2_(a, b)
/* The ISA's definition of kernel family f: simdnorm_<f>_<isa>. */
#define SIMDNORM_KERNEL(f) SIMDNORM_CAT_(simdnorm_##f, SIMDNORM_VEC_ISA)

/* The 32 canonical lanes are LANE_VF float registers (lane l in register
 * l / VF_N, element l % VF_N) or LANE_VD double registers. */
#define LANE_VF (SIMDNORM_LANES / VF_N)
#define LANE_VD (SIMDNORM_LANES / VD_N)
/* Elements of one round (kernels.h: every lane sums SIMDNORM_ROUND of its
 * elements in float before the double accumulator takes the sum). */
#define ROUND_ELEMS ((size_t)SIMDNORM_LANES * SIMDNORM_ROUND)

#define ALWAYS_INLINE inline __attribute__((always_inline))
/* Forced inline where the build optimizes (the hot loops), an ordinary
 * function at -O0: there every forced copy keeps stack slots of its own,
 * which the sanitizers pad. For the large bodies instantiated several times
 * in one kernel: the pairs' copies took the clang -O0 ASan+UBSan build's
 * simdnorm_bf16_layer_norm_rows_avx2 frame from 2.4 to 9.4 MB, past the
 * 8 MB main stack (2.8 MB as a function; -fstack-usage), and the row
 * engine's five instantiations simdnorm_f32_layer_norm_rows_avx512's to
 * 8.6 MB (a stack overflow in every AVX-512 LayerNorm there). Left to the
 * compiler, GCC -O3 kept some calls out of line. An ordinary function in
 * gcc's ASan build (-Og) too: there the copies are compile time only -
 * generic/rows.c for AVX-512 float32 48 -> 21 s alone, the build's kernels
 * ~35 s of wall less on 2 cores, its tests as fast (112 s). */
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
#define OPT_INLINE ALWAYS_INLINE
#else
#define OPT_INLINE inline
#endif

/* The canonical halvings that go across registers (l += l+16, ... while
 * the distance is at least a register): a[0] holds lanes 0 .. VD_N-1 of
 * the result, vd_fold finishes it. lanes_halve_from starts at distance
 * h0 lanes (its a holds the 2*h0 lanes left). */
static ALWAYS_INLINE vd lanes_halve_from(vd *a, size_t h0)
{
#pragma GCC unroll 8
    for (size_t h = h0; h >= VD_N; h /= 2)
#pragma GCC unroll 16
        for (size_t r = 0; r < h / VD_N; r++)
            a[r] = vd_add(a[r], a[r + h / VD_N]);
    return a[0];
}

static ALWAYS_INLINE vd lanes_fold_to_reg(vd a[LANE_VD])
{
    return lanes_halve_from(a, SIMDNORM_LANES / 2);
}

/* All the canonical halvings: the sum of the 32 lanes. */
static ALWAYS_INLINE double lanes_fold(vd a[LANE_VD]) { return vd_fold(lanes_fold_to_reg(a)); }

/* Add (first: assign) the float lanes p[LANE_VF], widened, onto the double
 * lanes a[LANE_VD]. 0 + v is v exactly for a lane sum that started at +0,
 * so assigning gives the same bits. */
static ALWAYS_INLINE void lanes_flush(const vf p[LANE_VF], vd a[LANE_VD], int first)
{
#pragma GCC unroll 32
    for (size_t j = 0; j < LANE_VF; j++) {
        vd w[VD_PER_VF];
        vf_widen(p[j], w);
#pragma GCC unroll 2
        for (size_t h = 0; h < VD_PER_VF; h++)
            a[j * VD_PER_VF + h] = first ? w[h] : vd_add(a[j * VD_PER_VF + h], w[h]);
    }
}

/* lanes_flush(p, a, 1) then lanes_fold_to_reg(a): the same additions, the
 * first halving taken as each pair of float registers is widened, so at
 * most half the double lanes are live (AVX2: 4 of its 16 registers instead
 * of 8, which spilled in the row engine's short rows). */
static ALWAYS_INLINE vd lanes_widen_fold_to_reg(const vf p[LANE_VF])
{
    _Static_assert(LANE_VF >= 2, "the first halving pairs whole float registers");
    vd a[LANE_VD / 2];
#pragma GCC unroll 16
    for (size_t j = 0; j < LANE_VF / 2; j++) {
        vd lo[VD_PER_VF], hi[VD_PER_VF];
        vf_widen(p[j], lo);
        vf_widen(p[j + LANE_VF / 2], hi);
#pragma GCC unroll 2
        for (size_t h = 0; h < VD_PER_VF; h++)
            a[j * VD_PER_VF + h] = vd_add(lo[h], hi[h]);
    }
    return lanes_halve_from(a, SIMDNORM_LANES / 4);
}

/* How many of the VF_N lanes of register j are present in a step of r
 * (< SIMDNORM_LANES) elements. */
static ALWAYS_INLINE size_t lanes_in_reg(size_t j, size_t r, size_t width)
{
    return r <= j * width ? 0 : r - j * width >= width ? width : r - j * width;
}

/* Whether a tile of tile_bytes walked down rows stride_bytes apart would
 * load a row at nearly the offset modulo 4 KiB of the row one or two above
 * it, just stored (4K aliasing wherever the tensors share their page
 * offset, or in place): the channel kernels then go in memory order (row
 * by row). Rows 1000, 1024 (one apart) and 512 floats (two apart) alias;
 * 256 floats alias four rows apart, where the stores have drained. */
static ALWAYS_INLINE int rows_alias_4k(size_t stride_bytes, size_t tile_bytes)
{
    for (size_t k = 1; k <= 2; k++) {
        const size_t d = k * stride_bytes % 4096;
        if (d < tile_bytes || 4096 - d < tile_bytes)
            return 1;
    }
    return 0;
}

/* Whether the channel reductions (f32_channel_moments,
 * f32_bwd_channel_sums_seq) prefetch, while a tile walks a block of rows,
 * its columns of the rows one block further down: where rows are 128 bytes
 * or more and do not alias modulo 4 KiB (rows_alias_4k; there the rows a
 * block apart share the L1's sets and the prefetches evicted the block
 * being read: BatchNorm NHWC (32,1024,14x14) 1.03x the time on AVX2). A
 * tile reads a row's lines a tile apart, which the hardware prefetchers
 * follow late; the measurements are at f32_channel_moments. */
static ALWAYS_INLINE int channel_sums_prefetch(size_t stride_bytes, size_t tile_bytes)
{
    return stride_bytes >= 128 && !rows_alias_4k(stride_bytes, tile_bytes);
}

/* A prefetch of every cache line (64 bytes) of [p, p + bytes). Prefetches
 * do not fault; the caller keeps the span inside the tensor all the same. */
static ALWAYS_INLINE void prefetch_span(const void *p, size_t bytes)
{
    const uintptr_t end = (uintptr_t)p + bytes;
    for (uintptr_t a = (uintptr_t)p & ~(uintptr_t)63; a < end; a += 64)
        __builtin_prefetch((const void *)a);
}

/* Rows a tile of tile elements (es bytes each) walks before the next tile
 * in the channel kernels: all of them where the rows are one tile or less,
 * one (memory order) where rows alias, or in a streaming call (stream: the
 * tensors exceed the caches) where tiles are CH_STREAM_WALK_BYTES or more
 * and rows CH_STREAM_WALK_TILES tiles or wider, else tile_rows (the ISA's
 * CH_NRM_TILE_ROWS). From memory a tile walking down wide rows reads each
 * row's lines a tile apart, which the hardware prefetchers follow worse
 * than one stream of whole rows. BatchNorm NHWC (128,256,14x14), x 24.5
 * MiB, AVX2 (16-row walks before), Zen 4, one thread, `python3 bench/ab.py
 * <before> <after> '^bn_(train|infer|bwd)_nhwc/avx2/n:128/' 5`, four runs,
 * after/before: training 0.76-0.89, inference 0.48-0.76, backward
 * 0.74-0.79 (the before library against itself: 1.04-1.17, the noise of
 * that VM); the two libraries alternated in one process (best of 5, either
 * order first) at (64,256,14x14), (32,256,28x28), (32,128,56x56): backward
 * 0.81-0.88, training 0.86-1.06. Kept walking: 16-bit tiles (64 bytes on
 * AVX2: no gain in memory order, bf16 (128,256,14x14) 1.03-1.28 the time,
 * no better than the noise) and rows of fewer tiles (two AVX2 tiles,
 * (32,64,56x56): 1.05-1.2). Any walk gives the same bits: it reorders
 * independent elements only. */
#define CH_STREAM_WALK_BYTES 128
#define CH_STREAM_WALK_TILES 4
static ALWAYS_INLINE size_t channel_walk_rows(size_t rows, size_t channels, size_t stride,
                                              size_t tile, size_t es, size_t tile_rows,
                                              int stream)
{
    const int stream_rows = stream && tile * es >= CH_STREAM_WALK_BYTES &&
                            stride >= CH_STREAM_WALK_TILES * tile;
    return channels <= tile                                 ? rows
           : rows_alias_4k(stride * es, tile * es) || stream_rows ? 1
                                                            : tile_rows;
}

/* ---- Tiny rows in lanes (the row engine's and the backward's rows of
 * fewer than TINY_MAX_COLS floats; generic/rows.c explains the layout) ---- */
#if defined(VF_HAS_ROWS_IN_LANES)
/* Rows of up to 7 floats (NEON: 3): AVX-512's rows of 8-15 in lanes took
 * 0.95-1.45x the time of AVX2's short-row path, which dispatch/rows.c
 * gives them (row_norm_kernels; 8192 / 5461 / 4369 LayerNorm rows of 8 /
 * 12 / 15 floats in cache, /tmp throwaway smallD against oneDNN in one
 * process). */
#define TINY_MAX_COLS (VF_N < 8 ? VF_N : 8)
/* Blocks (groups) of VF_N rows ahead that a packed call from memory
 * prefetches (rows.c's tiny_blocks: the measurement). */
#define TINY_PREFETCH_BLOCKS 8

/* The canonical halvings of the N present lanes a[0..N) of a tiny row,
 * lanes past N (+0) left out: the caller makes sure no present lane is -0
 * (adding +0 would turn it to +0), and then no partial sum is either. */
static ALWAYS_INLINE vd tiny_fold(size_t N, vd a[VF_N])
{
    size_t c = N;
#pragma GCC unroll 8
    for (size_t h = SIMDNORM_LANES / 2; h >= 1; h /= 2) {
#pragma GCC unroll 16
        for (size_t l = 0; l < h; l++)
            if (l + h < c)
                a[l] = vd_add(a[l], a[l + h]);
        if (c > h)
            c = h;
    }
    return a[0];
}

/* Runs stmt with N bound to the row length n (1 <= n < TINY_MAX_COLS), a
 * compile-time constant where the build inlines for speed; in the ASan
 * builds and at -O0 one copy, N at run time (as rows.c's
 * SHORT_LOOP_WITH_V: there every inlined copy keeps stack slots of its
 * own). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TINY_ASAN_ 1
#endif
#endif
#ifndef TINY_ASAN_
#define TINY_ASAN_ 0
#endif
#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__) || TINY_ASAN_
#define TINY_WITH_N(n, stmt)                                                                     \
    do {                                                                                         \
        const size_t N = (n);                                                                    \
        stmt;                                                                                    \
    } while (0)
#else
#define TINY_CASE_(k, stmt)                                                                      \
    case k: {                                                                                    \
        enum { N = k < TINY_MAX_COLS ? k : TINY_MAX_COLS - 1 };                                  \
        stmt;                                                                                    \
    } break;
#define TINY_WITH_N(n, stmt)                                                                     \
    do {                                                                                         \
        switch (n) {                                                                             \
            TINY_CASE_(1, stmt) TINY_CASE_(2, stmt) TINY_CASE_(3, stmt) TINY_CASE_(4, stmt)      \
            TINY_CASE_(5, stmt) TINY_CASE_(6, stmt)                                              \
            default: { enum { N = 7 < TINY_MAX_COLS ? 7 : TINY_MAX_COLS - 1 }; stmt; } break;    \
        }                                                                                        \
    } while (0)
#endif

/* Lane l of a group's two canonical sums, rows in lanes: (double)(0.0f +
 * p) into a[.][l] and (double)fmaf(u, v, 0) into b[.][l] - the lane sums
 * of a round of one element, widened. plus_zero adds the +0 of the first
 * canonical halving to b's (fmaf(u, v, 0) may be -0 where u * v < 0
 * rounds to zero; 0.0f + p never is). */
static ALWAYS_INLINE void tiny_put(size_t l, vf p, vf u, vf v, int plus_zero,
                                   vd a[VD_PER_VF][VF_N], vd b[VD_PER_VF][VF_N])
{
    const vf zero = vf_zero();
    vd wp[VD_PER_VF], wq[VD_PER_VF];
    vf_widen(vf_add(zero, p), wp);
    vf_widen(vf_fma(u, v, zero), wq);
#pragma GCC unroll 2
    for (size_t h = 0; h < VD_PER_VF; h++) {
        a[h][l] = wp[h];
        b[h][l] = plus_zero ? vd_add(wq[h], vd_zero()) : wq[h];
    }
}

/* A packed block's pattern (VF_N rows of n floats, n vectors): for vector
 * k of the block, each lane's row within the block and its gamma and beta
 * element (gamma absent: 1; beta absent: 0). */
typedef struct {
    int32_t row[VF_N][VF_N];
    float g[VF_N][VF_N], b[VF_N][VF_N];
} tiny_pattern;

static inline void tiny_pattern_fill(size_t n, const float *gamma, const float *beta,
                                     tiny_pattern *p)
{
    size_t row = 0, col = 0;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < VF_N; i++) {
            p->row[k][i] = (int32_t)row;
            p->g[k][i] = gamma ? gamma[col] : 1.0f;
            p->b[k][i] = beta ? beta[col] : 0.0f;
            if (++col == n) {
                col = 0;
                row++;
            }
        }
}
#endif

/* Short rows (VF_N <= n <= 2 * SIMDNORM_LANES; AVX2 and AVX-512, whose
 * vectors hold at least 8 floats): every canonical lane holds at most two of
 * the row's elements, so a row is at most SHORT_VMAX vectors and the row
 * engine (rows.c) and the backward (bwd.c) write its loops as straight code
 * for each vector count V. */
#define SHORT_VMAX (2 * LANE_VF)

static ALWAYS_INLINE int short_rows_ok(size_t n)
{
    return VF_N >= 8 && n >= VF_N && n <= 2 * SIMDNORM_LANES;
}

/* Runs stmt with V bound to a short row's vector count, ceil(n / VF_N), as
 * a compile-time constant: the loops below unroll to straight code. */
#define SHORT_WITH_V(n, stmt)                                                  \
    do {                                                                       \
    switch (((n) + VF_N - 1) / VF_N) {                                         \
    case 1: { enum { V = 1 }; stmt; } break;                                   \
    case 2: { enum { V = 2 }; stmt; } break;                                   \
    case 3: { enum { V = 3 }; stmt; } break;                                   \
    case 4: { enum { V = 4 }; stmt; } break;                                   \
    case 5: { enum { V = 5 < SHORT_VMAX ? 5 : SHORT_VMAX }; stmt; } break;     \
    case 6: { enum { V = 6 < SHORT_VMAX ? 6 : SHORT_VMAX }; stmt; } break;     \
    case 7: { enum { V = 7 < SHORT_VMAX ? 7 : SHORT_VMAX }; stmt; } break;     \
    default: { enum { V = 8 < SHORT_VMAX ? 8 : SHORT_VMAX }; stmt; } break;    \
    }                                                                          \
    } while (0)

#endif
