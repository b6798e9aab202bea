/* bwd.c - the backward kernels (kernels.h "Backward": f32_bwd_sums,
 * f32_bwd_dx, f32_bwd_channel_sums, f32_bwd_dx_channels, f32_norm_bwd_rows),
 * written once and compiled for every ISA against its vector header. The
 * sums follow the canonical lanes and rounds of the fast reductions
 * (generic/lanes.h), so every ISA computes the same operations in the same
 * order; the dx and dgamma/dbeta steps are elementwise (and column-wise down
 * a fixed block of rows), so the vector width cannot change them. Any
 * alignment; nothing past a span's last element is read or written.
 * The row-norm backward (f32_norm_bwd_rows) is compiled once more per
 * 16-bit storage type (generic/storage.h): bf16_/f16_norm_bwd_rows read dy
 * and x widened and write dx narrowed; the other families are float32
 * only. */
#include SIMDNORM_VEC_HEADER
#include "generic/lanes.h"
#include "generic/storage.h"

/* g = dy * gamma (dy without gamma); xhat = (x - mean) * rstd, or x * rstd
 * without a mean (RMSNorm). */
static ALWAYS_INLINE vf bwd_g(vf dy, vf gamma, int has_gamma)
{
    return has_gamma ? vf_mul(dy, gamma) : dy;
}
static ALWAYS_INLINE vf bwd_xhat(vf x, vf mean, vf rstd, int has_mean)
{
    return vf_mul(has_mean ? vf_sub(x, mean) : x, rstd);
}
/* dx = fmaf(g, w, fmaf(xhat, k, o)) (RMSNorm: fmaf(g, w, xhat * k)), NaN
 * canonical. */
static ALWAYS_INLINE vf bwd_dx(vf g, vf xhat, vf w, vf k, vf o, int has_mean)
{
    const vf r = has_mean ? vf_fma(xhat, k, o) : vf_mul(xhat, k);
    const vf d = vf_fma(g, w, r);
    return vf_canon_nan_of(d, d);
}

/* One round [i, end) of a span's sums: float lane sums p += g (only with a
 * mean: RMSNorm needs no s1) and q = fmaf(g, xhat, q), flushed into the
 * double lanes s, q (first: assigned). Absent lanes of the partial last
 * step get g = +0 and xhat = -0: p + (+0) leaves p (a float sum from +0
 * that adds g is never -0) and fmaf(+0, -0, r) = r + (-0) leaves r, also
 * when r is -0 (products below the subnormal range round to -0), so a lane
 * that an ISA's register holds but the span does not reach sums exactly as
 * on an ISA that skips it (scalar). */
static ALWAYS_INLINE void bwd_round(const sx *dy, const sx *x, const float *gamma,
                                    size_t i, size_t end, vf mean, vf rstd, vd s[LANE_VD],
                                    vd q[LANE_VD], int first, int has_gamma, int has_mean)
{
    vf p[LANE_VF], r[LANE_VF];
#pragma GCC unroll 32
    for (size_t j = 0; j < LANE_VF; j++)
        p[j] = r[j] = vf_zero();
    for (; i + SIMDNORM_LANES <= end; i += SIMDNORM_LANES) {
#pragma GCC unroll 32
        for (size_t j = 0; j < LANE_VF; j++) {
            const size_t e = i + j * VF_N;
            const vf g = bwd_g(vx_loadu(dy + e), has_gamma ? vf_loadu(gamma + e) : vf_zero(),
                               has_gamma);
            const vf xh = bwd_xhat(vx_loadu(x + e), mean, rstd, has_mean);
            if (has_mean)
                p[j] = vf_add(p[j], g);
            r[j] = vf_fma(g, xh, r[j]);
        }
    }
    if (i < end) {
        const size_t rem = end - i;
#pragma GCC unroll 32
        for (size_t j = 0; j < LANE_VF; j++) {
            const size_t c = lanes_in_reg(j, rem, VF_N), e = i + j * VF_N;
            if (c == 0)
                break;
            const vf g = vf_keep_first(
                bwd_g(vx_load_part(dy + e, c), has_gamma ? vf_load_part(gamma + e, c) : vf_zero(),
                      has_gamma),
                c);
            /* absent lanes: xh = -0, so the fma adds g*xh = +0*-0 = -0, which
             * leaves every r - a -0 one too - unchanged (+0 would turn -0,
             * an underflowed negative product's sum, into +0 where the
             * narrower ISAs add nothing) */
            const vf xh = vf_neg(
                vf_keep_first(vf_neg(bwd_xhat(vx_load_part(x + e, c), mean, rstd, has_mean)), c));
            if (has_mean)
                p[j] = vf_add(p[j], g);
            r[j] = vf_fma(g, xh, r[j]);
        }
    }
    if (has_mean)
        lanes_flush(p, s, first);
    lanes_flush(r, q, first);
}

/* Rounds in flight in the sums (as reduce.h's moments: each round's float
 * sums start from +0, so R consecutive full rounds are R independent sets
 * of chains, flushed in round order - the same operations, the same bits). */
#ifndef VF_MOMENTS_ROUNDS
#define VF_MOMENTS_ROUNDS 1
#endif
#define BWD_ROUNDS VF_MOMENTS_ROUNDS

/* s1 (with a mean), s2 of one span, n >= 1: the first round peeled (it
 * assigns the double lanes), then full rounds BWD_ROUNDS at a time (where
 * interleave: else one by one, reading in order, for spans from memory -
 * reduce.h's moments_lanes_seq; the same bits), then the rest one by one. */
static ALWAYS_INLINE void bwd_sums(size_t n, const sx *dy, const sx *x, const float *gamma,
                                   float mean, float rstd, double out[2], int has_gamma,
                                   int has_mean, int interleave)
{
    (void)interleave;
    const vf m = vf_set1(mean), r = vf_set1(rstd);
    vd s[LANE_VD], q[LANE_VD];
    size_t i = n < ROUND_ELEMS ? n : ROUND_ELEMS;
    bwd_round(dy, x, gamma, 0, i, m, r, s, q, 1, has_gamma, has_mean);
#if BWD_ROUNDS > 1
    for (; interleave && n - i >= BWD_ROUNDS * ROUND_ELEMS; i += BWD_ROUNDS * ROUND_ELEMS) {
        vf p[BWD_ROUNDS][LANE_VF], u[BWD_ROUNDS][LANE_VF];
#pragma GCC unroll 8
        for (size_t t = 0; t < BWD_ROUNDS; t++)
#pragma GCC unroll 32
            for (size_t j = 0; j < LANE_VF; j++)
                p[t][j] = u[t][j] = vf_zero();
        for (size_t e = 0; e < ROUND_ELEMS; e += SIMDNORM_LANES)
#pragma GCC unroll 8
            for (size_t t = 0; t < BWD_ROUNDS; t++)
#pragma GCC unroll 32
                for (size_t j = 0; j < LANE_VF; j++) {
                    const size_t o = i + t * ROUND_ELEMS + e + j * VF_N;
                    const vf g = bwd_g(vx_loadu(dy + o),
                                       has_gamma ? vf_loadu(gamma + o) : vf_zero(), has_gamma);
                    const vf xh = bwd_xhat(vx_loadu(x + o), m, r, has_mean);
                    if (has_mean)
                        p[t][j] = vf_add(p[t][j], g);
                    u[t][j] = vf_fma(g, xh, u[t][j]);
                }
#pragma GCC unroll 8
        for (size_t t = 0; t < BWD_ROUNDS; t++) {
            if (has_mean)
                lanes_flush(p[t], s, 0);
            lanes_flush(u[t], q, 0);
        }
    }
#endif
    for (; i < n; i += ROUND_ELEMS)
        bwd_round(dy, x, gamma, i, n - i < ROUND_ELEMS ? n : i + ROUND_ELEMS, m, r, s, q, 0,
                  has_gamma, has_mean);
    out[0] = has_mean ? lanes_fold(s) : 0.0;
    out[1] = lanes_fold(q);
}

/* dx of one span, n >= 1. Software-pipelined as normalize.h's loop: the
 * next vector's loads come before this one's store, so a dx just after dy
 * or x modulo 4 KiB (4K aliasing) does not stall every vector. */
static ALWAYS_INLINE vf bwd_dx_at(size_t i, const sx *dy, const sx *x, const float *gamma,
                                  vf m, vf r, vf w, vf k, vf o, int has_gamma, int has_mean)
{
    const vf g = bwd_g(vx_loadu(dy + i), has_gamma ? vf_loadu(gamma + i) : vf_zero(), has_gamma);
    return bwd_dx(g, bwd_xhat(vx_loadu(x + i), m, r, has_mean), w, k, o, has_mean);
}

#if VF_STREAM_ALIGN
/* A row of dx off a stream boundary written with streaming stores. mis
 * (0 < mis < VF_N): the elements dx lies past a VX_STREAM_ALIGN boundary
 * (rows on one take BWD_NT_ALIGNED instead). The full vectors come in
 * column order (nt_put: columns [j, j + VF_N)); the first goes as a
 * partial store of its VF_N - mis columns before the boundary, and each
 * later one is held and streamed joined with the one before it (vf_join:
 * the aligned vector that ends mis columns into it); nt_end stores what is
 * held with the last c < VF_N columns (t, columns [j, j + c)). Only
 * columns whose dy and x are loaded are written: in place (dx == dy)
 * holds. The same values as plain stores. Only for rows of VF_N elements
 * or more (one full vector). */
static ALWAYS_INLINE void nt_put(sx *dx, size_t mis, size_t j, vf t, vf *held)
{
    if (j == 0)
        vx_store_part_c(dx, t, VF_N - mis);
    else
        vx_stream_c(dx + j - mis, vf_join(*held, t, mis));
    *held = t;
}

static ALWAYS_INLINE void nt_end(sx *dx, size_t mis, size_t j, vf t, size_t c, vf held)
{
    if (mis + c <= VF_N) {
        vx_store_part_c(dx + j - mis, vf_join(held, t, mis), mis + c);
    } else { /* an aligned vector, then the last mis + c - VF_N columns */
        vx_stream_c(dx + j - mis, vf_join(held, t, mis));
        vx_store_part_c(dx + j - mis + VF_N, vf_join(t, t, mis), mis + c - VF_N);
    }
}
#endif

static ALWAYS_INLINE size_t nt_mis(const sx *dx)
{
#if VF_STREAM_ALIGN
    return ((uintptr_t)dx % VX_STREAM_ALIGN) / sizeof(sx);
#else
    (void)dx;
    return 0;
#endif
}

/* How a row's dx is stored (a constant where it is passed): 0 plain
 * stores; 1 streaming stores, the row starting on a VX_STREAM_ALIGN
 * boundary; 2 streaming stores of a row off one (nt_put). */
enum { BWD_PLAIN = 0, BWD_NT_ALIGNED = 1, BWD_NT_ANY = 2 };

/* When a row-norm backward from memory (the job's stream) streams dx.
 * Measured on Zen 3 (AVX2), LayerNorm backward of 64 MiB of x, one thread,
 * streaming against plain stores alternating in one process (a throwaway
 * that switched the job's stream), time plain / streaming:
 * - row by row (dx alone): rows on a boundary 768 floats 1.08, 3072 1.24,
 *   4096 1.20, 8192 1.23; rows off it (nt_put) 777 0.84, 1001 0.95, 1537
 *   0.99, 2049 1.00, 2797 1.06, 4097 1.08-1.12: misaligned rows stream from
 *   BWD_NT_ANY_MIN_BYTES.
 * - pairs of rows (with dgamma/dbeta), rows on a boundary: LayerNorm 512
 *   1.21, 640 1.18, 768 1.10-1.15, 896 1.04, 1000 1.02-1.05, 1024
 *   0.95-1.03, 1280 1.03, 1536 1.13, 2048 0.98, 2560 1.07, 2816 1.03, 3072
 *   0.43-0.58, 3328 0.97, 3584 1.04, 4096 0.97, 5120 0.84, 6144 0.92, 8192
 *   0.88; RMSNorm (no mean, no dbeta) 768 1.29, 1024 1.20, 2048 1.15, 2816
 *   1.22, 3072 0.58-0.61, 3328 1.12, 4096 1.14, 5120 1.07, 8192 1.12.
 *   Rows off a boundary (nt_put in the pair pass, LayerNorm) 777 0.74,
 *   1001 0.78, 1500 0.81, 1537 0.87, 4097 0.47. So pairs stream only rows
 *   on a boundary, LayerNorm's only up to BWD_PAIR_NT_MAX_BYTES (3072: see
 *   BWD_NT_ALIAS_WINDOW). */
#define BWD_NT_ANY_MIN_BYTES 8192
#define BWD_PAIR_NT_MAX_BYTES 8192

/* The longest rows (bytes of dy) whose full blocks take the column pass
 * (bwd_block_cols): a block's dy and x, re-read by it, stay in a 1 MiB L2. */
#define BWD_BLOCK_COLS_MAX_BYTES 32768
/* Whether the column pass streams dx: only where a vector of dx is a whole
 * cache line (AVX-512, float32). A narrower streaming store leaves its
 * line's write-combining buffer half full while the other 7 rows' stores
 * come, and AVX2's column pass ran 2.4-3.1x slower streamed than plain
 * (LayerNorm backward 16384 x 1024 and 4096 x 4096, one thread, Xeon
 * (Sapphire Rapids class), /tmp throwaway); there it stores plain, and a
 * block whose pairs would all stream takes the pairs (norm_bwd_rows). */
#define BWD_COLS_STREAM (VX_STREAM_ALIGN >= 64)

/* A load whose address equals a pending streaming store's in its low 12
 * bits (4K aliasing) waits for that store, and a streaming store is
 * pending long: where an input of the pass over pairs lies up to
 * BWD_NT_ALIAS_WINDOW bytes before dx modulo 4 KiB, the loads of the next
 * columns waited for each store. LayerNorm backward, 5461 rows x 3072
 * floats (every row at the same offset modulo 4 KiB), gamma placed d bytes
 * before dx modulo 4 KiB, streaming pairs (a throwaway, Zen 3 AVX2): d =
 * 4-64 82-93 ms, 96 58, 128-192 47-48, 256 and more 17-18; plain stores
 * 15-17 at every d; RMSNorm backward, d = 32, streamed / this check
 * (plain): 4096 x 4096 51.9 / 13.2 ms, 2048 x 8192 52.8 / 13.0 (d = 2048:
 * 11.4-11.8 both). So a pair streams only where no input of the pass (dy, x,
 * gamma, the column-sum scratch) lies in that window before its dx rows.
 * Row by row (bwd_dx_span, which loads a vector ahead of each store) did
 * not wait: 3072 floats, d = 32 and 128, 10.1-10.7 ms either way. The
 * 3072-float "pairs" figures above were taken with such a gamma. */
#define BWD_NT_ALIAS_WINDOW 256
static ALWAYS_INLINE int nt_alias(const void *st, const void *ld)
{
    const size_t d = ((uintptr_t)st - (uintptr_t)ld) & 4095;
    return d != 0 && d <= BWD_NT_ALIAS_WINDOW;
}

/* A full vector of a row's dx at column j, as `stream` says. */
static ALWAYS_INLINE void bwd_put(sx *dx, size_t mis, size_t j, vf t, vf *held, int stream)
{
#if VF_STREAM_ALIGN
    if (stream == BWD_NT_ALIGNED) {
        vx_stream_c(dx + j, t);
        return;
    }
    if (stream == BWD_NT_ANY) {
        nt_put(dx, mis, j, t, held);
        return;
    }
#endif
    (void)mis, (void)held, (void)stream;
    vx_storeu_c(dx + j, t);
}

/* The row's last c < VF_N columns [j, j + c) (t), after its full vectors. */
static ALWAYS_INLINE void bwd_put_end(sx *dx, size_t mis, size_t j, vf t, size_t c, vf held,
                                      int stream)
{
#if VF_STREAM_ALIGN
    if (stream == BWD_NT_ANY) {
        nt_end(dx, mis, j, t, c, held);
        return;
    }
#endif
    (void)mis, (void)held, (void)stream;
    if (c)
        vx_store_part_c(dx + j, t, c);
}

/* stream: bwd_put's (the caller fences), rows of n >= VF_N where not 0. */
static ALWAYS_INLINE void bwd_dx_span_as(size_t n, const sx *dy, const sx *x,
                                         const float *gamma, float mean, float rstd, float w,
                                         float k, float o, sx *dx, int has_gamma, int has_mean,
                                         int stream)
{
    const vf m = vf_set1(mean), r = vf_set1(rstd), wv = vf_set1(w), kv = vf_set1(k),
             ov = vf_set1(o);
    const size_t mis = stream == BWD_NT_ANY ? nt_mis(dx) : 0;
    vf held = vf_zero(), tail = vf_zero();
    size_t i = 0;
    if (n >= 2 * VF_N) {
        vf cur = bwd_dx_at(0, dy, x, gamma, m, r, wv, kv, ov, has_gamma, has_mean);
        for (i = VF_N; i + VF_N <= n; i += VF_N) {
            const vf next = bwd_dx_at(i, dy, x, gamma, m, r, wv, kv, ov, has_gamma, has_mean);
            bwd_put(dx, mis, i - VF_N, cur, &held, stream);
            cur = next;
        }
        bwd_put(dx, mis, i - VF_N, cur, &held, stream);
    } else if (n >= VF_N) {
        bwd_put(dx, mis, 0, bwd_dx_at(0, dy, x, gamma, m, r, wv, kv, ov, has_gamma, has_mean),
                &held, stream);
        i = VF_N;
    }
    if (i < n) {
        const size_t c = n - i;
        const vf g = bwd_g(vx_load_part(dy + i, c),
                           has_gamma ? vf_load_part(gamma + i, c) : vf_zero(), has_gamma);
        const vf xh = bwd_xhat(vx_load_part(x + i, c), m, r, has_mean);
        tail = bwd_dx(g, xh, wv, kv, ov, has_mean);
    }
    bwd_put_end(dx, mis, i, tail, n - i, held, stream);
}

/* dx of one span; stream: streaming stores (the caller fences), n >= VF_N. */
static ALWAYS_INLINE void bwd_dx_span(size_t n, const sx *dy, const sx *x,
                                      const float *gamma, float mean, float rstd, float w,
                                      float k, float o, sx *dx, int has_gamma, int has_mean,
                                      int stream)
{
    if (stream && !nt_mis(dx))
        bwd_dx_span_as(n, dy, x, gamma, mean, rstd, w, k, o, dx, has_gamma, has_mean,
                       BWD_NT_ALIGNED);
    else if (stream && n * sizeof(sx) >= BWD_NT_ANY_MIN_BYTES)
        bwd_dx_span_as(n, dy, x, gamma, mean, rstd, w, k, o, dx, has_gamma, has_mean,
                       BWD_NT_ANY);
    else
        bwd_dx_span_as(n, dy, x, gamma, mean, rstd, w, k, o, dx, has_gamma, has_mean,
                       BWD_PLAIN);
}

/* ---- BatchNorm's and GroupNorm's backward families (each storage) ---- */
/* Contract: kernels.h, f32_bwd_sums. */
void SIMDNORM_SKERNEL(bwd_sums)(size_t n, const sx *dy, const sx *x, const float *gamma,
                                float mean, float rstd, double out[2])
{
    if (gamma)
        bwd_sums(n, dy, x, gamma, mean, rstd, out, 1, 1, 1);
    else
        bwd_sums(n, dy, x, gamma, mean, rstd, out, 0, 1, 1);
}

/* Contract: kernels.h, f32_bwd_sums_seq. */
void SIMDNORM_SKERNEL(bwd_sums_seq)(size_t n, const sx *dy, const sx *x, const float *gamma,
                                    float mean, float rstd, double out[2])
{
    if (gamma)
        bwd_sums(n, dy, x, gamma, mean, rstd, out, 1, 1, 0);
    else
        bwd_sums(n, dy, x, gamma, mean, rstd, out, 0, 1, 0);
}

/* Contract: kernels.h, f32_bwd_dx. */
void SIMDNORM_SKERNEL(bwd_dx)(size_t n, const sx *dy, const sx *x, const float *gamma, float mean,
                              float rstd, float w, float k, float o, sx *dx)
{
    if (gamma)
        bwd_dx_span(n, dy, x, gamma, mean, rstd, w, k, o, dx, 1, 1, 0);
    else
        bwd_dx_span(n, dy, x, gamma, mean, rstd, w, k, o, dx, 0, 1, 0);
}

/* Contract: kernels.h, f32_bwd_dx_stream (the plain kernel where the ISA
 * has no streaming stores). BatchNorm NCHW backward from memory; measured
 * in dispatch/backward.c (BN_BWD_NT_MIN_BYTES). */
void SIMDNORM_SKERNEL(bwd_dx_stream)(size_t n, const sx *dy, const sx *x, const float *gamma,
                                     float mean, float rstd, float w, float k, float o, sx *dx)
{
#if VF_STREAM_ALIGN != 0
    if (n >= VF_N) {
        if (gamma)
            bwd_dx_span(n, dy, x, gamma, mean, rstd, w, k, o, dx, 1, 1, 1);
        else
            bwd_dx_span(n, dy, x, gamma, mean, rstd, w, k, o, dx, 0, 1, 1);
        vf_stream_fence();
        return;
    }
#endif
    SIMDNORM_SKERNEL(bwd_dx)(n, dy, x, gamma, mean, rstd, w, k, o, dx);
}

/* ---- NHWC: channels in lanes, one double chain per channel -------------- */

/* Vectors of channels one tile of the channel kernels walks the rows with
 * (independent chains for the adds' latency). */
#define BWD_CH_VECS 4

/* f32_bwd_channel_sums' chains a1 (sum dy), a2 (sum dy * xhat) of the
 * channels [c0, c0 + nv*VF_N) (the last vector partial, cl lanes) down rows
 * [0, rows), with their mean m and rstd r. */
static ALWAYS_INLINE void bwd_channel_sums_loop(size_t rows, size_t c0, size_t nv, size_t cl,
                                                const sx *dy, const sx *x, size_t stride,
                                                const vf *m, const vf *r,
                                                vd a1[][VD_PER_VF], vd a2[][VD_PER_VF],
                                                size_t pf_dist, size_t pf_rows)
{
    for (size_t row = 0; row < rows; row++) {
        const sx *dyr = dy + row * stride, *xr = x + row * stride;
        if (row < pf_rows) {
            const size_t bytes = ((nv - 1) * VF_N + cl) * sizeof(sx);
            prefetch_span(dyr + pf_dist * stride + c0, bytes);
            prefetch_span(xr + pf_dist * stride + c0, bytes);
        }
#pragma GCC unroll 4
        for (size_t v = 0; v < nv; v++) {
            const size_t c = c0 + v * VF_N, l = v + 1 == nv ? cl : VF_N;
            /* dy only widened: loaded as doubles (vf_load_widen, no
             * extract on x86) */
            const vf xv = l == VF_N ? vx_loadu(xr + c) : vx_load_part(xr + c, l);
            vd dw[VD_PER_VF], xw[VD_PER_VF];
            if (l == VF_N)
                vx_load_widen(dyr + c, dw);
            else
                vf_widen(vx_load_part(dyr + c, l), dw);
            vf_widen(bwd_xhat(xv, m[v], r[v], 1), xw);
#pragma GCC unroll 2
            for (size_t h = 0; h < VD_PER_VF; h++) {
                a1[v][h] = vd_add(a1[v][h], dw[h]);
                a2[v][h] = vd_fma(dw[h], xw[h], a2[v][h]);
            }
        }
    }
}

/* Stores the chains of bwd_channel_sums_loop into s1, s2 [c0, ...). */
static ALWAYS_INLINE void bwd_channel_sums_store(size_t c0, size_t nv, size_t cl,
                                                 vd a1[][VD_PER_VF], vd a2[][VD_PER_VF],
                                                 double *s1, double *s2)
{
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) {
        const size_t c = c0 + v * VF_N, l = v + 1 == nv ? cl : VF_N;
#pragma GCC unroll 2
        for (size_t h = 0; h < VD_PER_VF; h++) {
            const size_t lo = h * VD_N, cnt = l <= lo ? 0 : l - lo >= VD_N ? VD_N : l - lo;
            if (cnt == VD_N) {
                vd_storeu(s1 + c + lo, a1[v][h]);
                vd_storeu(s2 + c + lo, a2[v][h]);
            } else if (cnt) {
                vd_store_part(s1 + c + lo, a1[v][h], cnt);
                vd_store_part(s2 + c + lo, a2[v][h], cnt);
            }
        }
    }
}

/* Channels [c0, c0 + nv*VF_N) (the last vector partial, cl lanes, when
 * cl < VF_N) of f32_bwd_channel_sums. */
static ALWAYS_INLINE void bwd_channel_sums_tile(size_t rows, size_t c0, size_t nv, size_t cl,
                                                const sx *dy, const sx *x, size_t stride,
                                                const float *mean, const float *rstd,
                                                double *s1, double *s2)
{
    vf m[BWD_CH_VECS], r[BWD_CH_VECS];
    vd a1[BWD_CH_VECS][VD_PER_VF], a2[BWD_CH_VECS][VD_PER_VF];
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) {
        const size_t c = c0 + v * VF_N, l = v + 1 == nv ? cl : VF_N;
        m[v] = l == VF_N ? vf_loadu(mean + c) : vf_load_part(mean + c, l);
        r[v] = l == VF_N ? vf_loadu(rstd + c) : vf_load_part(rstd + c, l);
#pragma GCC unroll 2
        for (size_t h = 0; h < VD_PER_VF; h++)
            a1[v][h] = a2[v][h] = vd_zero();
    }
    bwd_channel_sums_loop(rows, c0, nv, cl, dy, x, stride, m, r, a1, a2, 0, 0);
    bwd_channel_sums_store(c0, nv, cl, a1, a2, s1, s2);
}

/* Contract: kernels.h, f32_bwd_channel_sums. */
void SIMDNORM_SKERNEL(bwd_channel_sums)(size_t rows, size_t channels, const sx *dy, const sx *x,
                                        size_t stride, const float *mean, const float *rstd,
                                        double *s1, double *s2)
{
    size_t c = 0;
    for (; c + BWD_CH_VECS * VF_N <= channels; c += BWD_CH_VECS * VF_N)
        bwd_channel_sums_tile(rows, c, BWD_CH_VECS, VF_N, dy, x, stride, mean, rstd, s1, s2);
    for (; c + VF_N <= channels; c += VF_N)
        bwd_channel_sums_tile(rows, c, 1, VF_N, dy, x, stride, mean, rstd, s1, s2);
    if (c < channels)
        bwd_channel_sums_tile(rows, c, 1, channels - c, dy, x, stride, mean, rstd, s1, s2);
}

/* Rows a tile of f32_bwd_channel_sums_seq walks before the next tile: a
 * block of SUM_SEQ_BLOCK_BYTES of each tensor, at least SUM_SEQ_ROWS rows. */
#define SUM_SEQ_ROWS 4
#define SUM_SEQ_BLOCK_BYTES 4096

/* Channels [c0, c0 + nv*VF_N) (the last vector partial, cl lanes) of
 * f32_bwd_channel_sums_seq over rows [0, rows): bwd_channel_sums_tile's
 * loop, its chains going on from s1/s2 (resume: a block of rows after the
 * first) or from +0.0. A tile of its own, not a resume flag on
 * bwd_channel_sums_tile: with the flag (0 on that path) gcc allocated the
 * common path's loop differently and it ran 1.4-1.5x slower at BatchNorm
 * NHWC 32x256x784 and 1.2x at GroupNorm 2x320x4096 (sums only, one
 * thread, Zen 3 AVX2, /tmp throwaway, best of 3 rounds), shapes that never
 * resume. */
static ALWAYS_INLINE void bwd_channel_sums_tile_resume(size_t rows, size_t c0, size_t nv,
                                                       size_t cl, const sx *dy, const sx *x,
                                                       size_t stride, const float *mean,
                                                       const float *rstd, double *s1, double *s2,
                                                       int resume, size_t pf_dist, size_t pf_rows)
{
    vf m[BWD_CH_VECS], r[BWD_CH_VECS];
    vd a1[BWD_CH_VECS][VD_PER_VF], a2[BWD_CH_VECS][VD_PER_VF];
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) {
        const size_t c = c0 + v * VF_N, l = v + 1 == nv ? cl : VF_N;
        m[v] = l == VF_N ? vf_loadu(mean + c) : vf_load_part(mean + c, l);
        r[v] = l == VF_N ? vf_loadu(rstd + c) : vf_load_part(rstd + c, l);
#pragma GCC unroll 2
        for (size_t h = 0; h < VD_PER_VF; h++) {
            const size_t lo = h * VD_N, cnt = l <= lo ? 0 : l - lo >= VD_N ? VD_N : l - lo;
            a1[v][h] = !resume || !cnt   ? vd_zero()
                       : cnt == VD_N     ? vd_loadu(s1 + c + lo)
                                         : vd_load_part(s1 + c + lo, cnt);
            a2[v][h] = !resume || !cnt   ? vd_zero()
                       : cnt == VD_N     ? vd_loadu(s2 + c + lo)
                                         : vd_load_part(s2 + c + lo, cnt);
        }
    }
    bwd_channel_sums_loop(rows, c0, nv, cl, dy, x, stride, m, r, a1, a2, pf_dist, pf_rows);
    bwd_channel_sums_store(c0, nv, cl, a1, a2, s1, s2);
}

/* Contract: kernels.h, f32_bwd_channel_sums_seq. More than one tile of
 * channels: every tile walks a block of rows, its sums parked in s1/s2,
 * before the next block (a tile down all the rows read each row's slice on
 * its own page: tensors from memory at half the speed); each channel's one
 * chain still goes down the rows in order. BatchNorm NHWC backward, one
 * thread, Zen 3 AVX2, 4 KiB-aligned tensors, best of 10 (/tmp throwaway),
 * ms, tile walk / blocks: (32, 64, 3136) 6.8 / 5.95, (32, 80, 2560)
 * 7.5-8.0 / 6.4-6.9; but (32, 128, 1568) 7.5-7.9 / 8.0-9.0 and (32, 256,
 * 784) 7.1-8.2 / 8.8-9.6 with blocks of 4-16 KiB, so rows of 321 to 2047
 * bytes walked there. On the Xeon (Sapphire Rapids class, 2 MiB L2) of
 * session 39 blocks won at every width: BatchNorm NHWC backward from
 * memory, one thread, base and new library alternated in one process
 * (/tmp/s39/abbn.c, median of 5 rounds), time blocks / walk, AVX2
 * (AVX-512): (128, 256, 14x14) 0.73 (0.89), (32, 256, 28x28) 0.79
 * (0.90), (64, 384, 14x14) 0.83 (0.84), (32, 128, 1568) 0.95 (0.91),
 * (32, 96, 2090) 0.92 (0.89), (32, 160, 1254) 0.89 (0.89), (32, 192,
 * 1045) 0.84 (0.94); the AVX2 walk of 1 KiB rows had made (128, 256,
 * 14x14) 0.70x oneDNN. Blocks now for every width. */
void SIMDNORM_SKERNEL(bwd_channel_sums_seq)(size_t rows, size_t channels, const sx *dy,
                                            const sx *x, size_t stride, const float *mean,
                                            const float *rstd, double *s1, double *s2)
{
    const size_t row_bytes = stride * sizeof(sx);
    if (channels <= (size_t)BWD_CH_VECS * VF_N) {
        SIMDNORM_SKERNEL(bwd_channel_sums)(rows, channels, dy, x, stride, mean, rstd, s1, s2);
        return;
    }
    size_t blk = SUM_SEQ_BLOCK_BYTES / row_bytes;
    if (blk < SUM_SEQ_ROWS)
        blk = SUM_SEQ_ROWS;
    const int pf = channel_sums_prefetch(row_bytes, (size_t)BWD_CH_VECS * VF_N * sizeof(sx));
    for (size_t r0 = 0; r0 < rows; r0 += blk) {
        const size_t nr = rows - r0 < blk ? rows - r0 : blk, at = r0 * stride;
        const int resume = r0 > 0;
        const size_t ahead = pf && rows - r0 > blk ? rows - r0 - blk : 0;
        const size_t pfr = ahead < nr ? ahead : nr;
        size_t c = 0;
        for (; c + BWD_CH_VECS * VF_N <= channels; c += BWD_CH_VECS * VF_N)
            bwd_channel_sums_tile_resume(nr, c, BWD_CH_VECS, VF_N, dy + at, x + at, stride, mean,
                                         rstd, s1, s2, resume, blk, pfr);
        for (; c + VF_N <= channels; c += VF_N)
            bwd_channel_sums_tile_resume(nr, c, 1, VF_N, dy + at, x + at, stride, mean, rstd, s1,
                                         s2, resume, blk, pfr);
        if (c < channels)
            bwd_channel_sums_tile_resume(nr, c, 1, channels - c, dy + at, x + at, stride, mean,
                                         rstd, s1, s2, resume, blk, pfr);
    }
}

/* Channels [c0, c0 + nv*VF_N) of f32_bwd_dx_channels (the last vector
 * partial, cl lanes). stream (a constant): a row whose dx + c0 starts on a
 * VX_STREAM_ALIGN boundary stores its full vectors non-temporally (each
 * vector is VX_STREAM_ALIGN bytes, so all of them are aligned then). */
static ALWAYS_INLINE void bwd_dx_channels_tile(size_t rows, size_t c0, size_t nv, size_t cl,
                                               const sx *dy, const sx *x, size_t stride,
                                               const float *mean, const float *rstd,
                                               const float *w, const float *k, const float *o,
                                               sx *dx, int stream)
{
    vf m[BWD_CH_VECS], r[BWD_CH_VECS], wv[BWD_CH_VECS], kv[BWD_CH_VECS], ov[BWD_CH_VECS];
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) {
        const size_t c = c0 + v * VF_N, l = v + 1 == nv ? cl : VF_N;
        if (l == VF_N) {
            m[v] = vf_loadu(mean + c);
            r[v] = vf_loadu(rstd + c);
            wv[v] = vf_loadu(w + c);
            kv[v] = vf_loadu(k + c);
            ov[v] = vf_loadu(o + c);
        } else {
            m[v] = vf_load_part(mean + c, l);
            r[v] = vf_load_part(rstd + c, l);
            wv[v] = vf_load_part(w + c, l);
            kv[v] = vf_load_part(k + c, l);
            ov[v] = vf_load_part(o + c, l);
        }
    }
    for (size_t row = 0; row < rows; row++) {
        const sx *dyr = dy + row * stride, *xr = x + row * stride;
        sx *dxr = dx + row * stride;
#if VF_STREAM_ALIGN != 0
        const int nt = stream && ((uintptr_t)(dxr + c0) & (VX_STREAM_ALIGN - 1)) == 0;
#else
        (void)stream;
#endif
#pragma GCC unroll 4
        for (size_t v = 0; v < nv; v++) {
            const size_t c = c0 + v * VF_N, l = v + 1 == nv ? cl : VF_N;
            if (l == VF_N) {
                const vf xh = bwd_xhat(vx_loadu(xr + c), m[v], r[v], 1);
                const vf d = bwd_dx(vx_loadu(dyr + c), xh, wv[v], kv[v], ov[v], 1);
#if VF_STREAM_ALIGN != 0
                if (nt)
                    vx_stream_c(dxr + c, d);
                else
#endif
                    vx_storeu_c(dxr + c, d);
            } else {
                const vf xh = bwd_xhat(vx_load_part(xr + c, l), m[v], r[v], 1);
                vx_store_part_c(dxr + c,
                                bwd_dx(vx_load_part(dyr + c, l), xh, wv[v], kv[v], ov[v], 1), l);
            }
        }
    }
}

/* Rows [0, rows) of f32_bwd_dx_channels, each tile of channels walked
 * down all of them. */
static ALWAYS_INLINE void bwd_dx_channels_rows(size_t rows, size_t channels, const sx *dy,
                                               const sx *x, size_t stride, const float *mean,
                                               const float *rstd, const float *w, const float *k,
                                               const float *o, sx *dx, int stream)
{
    size_t c = 0;
    for (; c + BWD_CH_VECS * VF_N <= channels; c += BWD_CH_VECS * VF_N)
        bwd_dx_channels_tile(rows, c, BWD_CH_VECS, VF_N, dy, x, stride, mean, rstd, w, k, o, dx,
                             stream);
    for (; c + VF_N <= channels; c += VF_N)
        bwd_dx_channels_tile(rows, c, 1, VF_N, dy, x, stride, mean, rstd, w, k, o, dx, stream);
    if (c < channels)
        bwd_dx_channels_tile(rows, c, 1, channels - c, dy, x, stride, mean, rstd, w, k, o, dx,
                             stream);
}

static ALWAYS_INLINE void bwd_dx_channels_all(size_t rows, size_t channels, const sx *dy,
                                              const sx *x, size_t stride, const float *mean,
                                              const float *rstd, const float *w, const float *k,
                                              const float *o, sx *dx, int stream)
{
    /* A tile walks CH_NRM_TILE_ROWS rows (the normalize's walk, the same
     * shape of work; a tile walked down all rows of the call took up to
     * 1.35x the time at bench/'s {bn,gn}_bwd_nhwc shapes, geomean 1.1x:
     * python3 bench/ab.py), and rows that alias (rows_alias_4k: one or
     * two rows apart within a tile's width of a multiple of 4 KiB) go one
     * at a time, in memory order: a tile walked down them loaded each
     * row's dy and x at nearly the offset modulo 4 KiB of the dx just
     * stored above it (4K aliasing where dy, x and dx share their page
     * offset, or in place), and those loads waited for the stores.
     * BatchNorm NHWC backward, 64 MiB of x, page-aligned buffers, one
     * thread, AVX2, Zen 3 (a /tmp throwaway, best of 6), ms: c = 1024
     * 33.2 -> 19.6, c = 2048 32.7 -> 19.2, c = 1000 32.8 -> 22.9. Rows of
     * one tile or less take one walk, and a streaming call's wide float rows
     * memory order (channel_walk_rows). Same bits: every element's
     * operations are unchanged. */
    const size_t step = channel_walk_rows(rows, channels, stride, (size_t)BWD_CH_VECS * VF_N,
                                          sizeof(sx), CH_NRM_TILE_ROWS, stream);
    for (size_t r0 = 0; r0 < rows; r0 += step) {
        const size_t at = r0 * stride;
        bwd_dx_channels_rows(rows - r0 < step ? rows - r0 : step, channels, dy + at, x + at,
                             stride, mean, rstd, w, k, o, dx + at, stream);
    }
}

/* Contract: kernels.h, f32_bwd_dx_channels. */
void SIMDNORM_SKERNEL(bwd_dx_channels)(size_t rows, size_t channels, const sx *dy, const sx *x,
                                       size_t stride, const float *mean, const float *rstd,
                                       const float *w, const float *k, const float *o, sx *dx)
{
    bwd_dx_channels_all(rows, channels, dy, x, stride, mean, rstd, w, k, o, dx, 0);
}

/* Contract: kernels.h, f32_bwd_dx_channels_stream (the plain kernel where
 * the ISA has no streaming stores). BatchNorm/GroupNorm NHWC backward from
 * memory, one thread, AVX2, Zen 3, `python3 bench/ab.py <base>
 * build-bench '^(bn|gn)_bwd_nhwc/avx2/n:(32/c:(64|256|1024)|1/c:64)/' 5`,
 * new/base: BN (32,64,56x56) 0.811, (32,1024,14x14) 0.901, GN (1,64,65536)
 * 0.804; (32,256,14x14), in cache (no streaming), 0.991. */
void SIMDNORM_SKERNEL(bwd_dx_channels_stream)(size_t rows, size_t channels, const sx *dy,
                                              const sx *x, size_t stride, const float *mean,
                                              const float *rstd, const float *w, const float *k,
                                              const float *o, sx *dx)
{
#if VF_STREAM_ALIGN != 0
    bwd_dx_channels_all(rows, channels, dy, x, stride, mean, rstd, w, k, o, dx, 1);
    vf_stream_fence();
#else
    bwd_dx_channels_all(rows, channels, dy, x, stride, mean, rstd, w, k, o, dx, 0);
#endif
}
/* (end of the BatchNorm/GroupNorm backward families) */

/* ---- the row-norm backward over blocks of rows -------------------------- */

/* Where a block's float column sums go (kernels.h, f32_norm_bwd_rows):
 * flags of bwd_sums_mode, none = added into the partial acc_g/acc_b. */
enum {
    BWD_SUMS_SET = 1, /* the range's first block: acc = 0.0 + b */
    BWD_SUMS_OUT = 2  /* its last, out_g/out_b given: out = (float)(acc + b) */
};

/* The flags of the block from row b of the range [rf, r1). */
static ALWAYS_INLINE int bwd_sums_mode(const simdnorm_bwd_job *jb, size_t b, size_t rf, size_t r1)
{
    return (b == rf ? BWD_SUMS_SET : 0) |
           (b + SIMDNORM_BWD_ROWS >= r1 && (jb->out_g || jb->out_b) ? BWD_SUMS_OUT : 0);
}

/* f, or the canonical NaN where f is a NaN. */
static ALWAYS_INLINE float bwd_canon1(float f)
{
    if (f != f) {
        const uint32_t bits = SIMDNORM_CANONICAL_NAN_BITS;
        memcpy(&f, &bits, sizeof f);
    }
    return f;
}

/* Lanes [from, to) of the block sums b - columns j + from .. j + to - 1 of
 * dgamma's sums (a = 0) or dbeta's (a = 1) - as doubles to the partial or,
 * with BWD_SUMS_OUT, rounded to the output (mode: bwd_sums_mode). */
static ALWAYS_INLINE void bwd_sums_put(const simdnorm_bwd_job *jb, int a, int mode, size_t j, vf b,
                                       size_t from, size_t to)
{
    double *acc = a ? jb->acc_b : jb->acc_g;
    float *out = a ? jb->out_b : jb->out_g;
    if (from == 0 && to == VF_N) {
        vd w[VD_PER_VF];
        vf_widen(b, w);
#pragma GCC unroll 2
        for (size_t h = 0; h < VD_PER_VF; h++)
            w[h] = vd_add(mode & BWD_SUMS_SET ? vd_zero() : vd_loadu(acc + j + h * VD_N), w[h]);
        if (mode & BWD_SUMS_OUT) {
            const vf f = vf_narrow_vd(w);
            vf_storeu(out + j, vf_canon_nan_of(f, f));
        } else {
#pragma GCC unroll 2
            for (size_t h = 0; h < VD_PER_VF; h++)
                vd_storeu(acc + j + h * VD_N, w[h]);
        }
    } else {
        float t[VF_N];
        vf_storeu(t, b);
        for (size_t l = from; l < to; l++) {
            const double v = (mode & BWD_SUMS_SET ? 0.0 : acc[j + l]) + (double)t[l];
            if (mode & BWD_SUMS_OUT)
                out[j + l] = bwd_canon1((float)v);
            else
                acc[j + l] = v;
        }
    }
}

/* The block's float column sums (blk_g/blk_b, those asked) to the
 * partials or the outputs (bwd_sums_put; out may be blk itself: each vector
 * is read before it is written). Out of line: once per block. */
static __attribute__((noinline)) void bwd_scratch_fold(const simdnorm_bwd_job *jb, int mode)
{
    const size_t n = jb->cols;
    const float *blk[2] = {jb->blk_g, jb->blk_b};
    for (int a = 0; a < 2; a++) {
        if (!blk[a])
            continue;
        size_t j = 0;
        for (; j + VF_N <= n; j += VF_N)
            bwd_sums_put(jb, a, mode, j, vf_loadu(blk[a] + j), 0, VF_N);
        if (j < n)
            bwd_sums_put(jb, a, mode, j, vf_load_part(blk[a] + j, n - j), 0, n - j);
    }
}

/* A block's row parameters, in local arrays (no store can alias them). */
typedef struct bwd_block {
    size_t m;
    int sums; /* bwd_sums_mode */
    const sx *dy[SIMDNORM_BWD_ROWS], *x[SIMDNORM_BWD_ROWS];
    sx *dx[SIMDNORM_BWD_ROWS];
    float mean[SIMDNORM_BWD_ROWS], rstd[SIMDNORM_BWD_ROWS], w[SIMDNORM_BWD_ROWS],
        k[SIMDNORM_BWD_ROWS], o[SIMDNORM_BWD_ROWS];
} bwd_block;

/* Row r of the block bk holds the job's row `row`: its pointers (dx NULL
 * where the job writes none), mean (0 without one) and rstd. */
static ALWAYS_INLINE void bwd_block_row(const simdnorm_bwd_job *jb, bwd_block *bk, size_t r,
                                        size_t row, int has_mean)
{
    bk->dy[r] = BDY(jb) + row * jb->dy_stride;
    bk->x[r] = BX(jb) + row * jb->x_stride;
    bk->dx[r] = BDX(jb) ? BDX(jb) + row * jb->dx_stride : NULL;
    bk->mean[r] = has_mean ? jb->mean[row] : 0.0f;
    bk->rstd[r] = jb->rstd[row];
}

/* dx of the block's row r (none where the job writes none), with its
 * coefficients. */
static ALWAYS_INLINE void bwd_block_row_dx(const simdnorm_bwd_job *jb, const bwd_block *bk,
                                           size_t r, int has_gamma, int has_mean, int stream)
{
    if (bk->dx[r])
        bwd_dx_span(jb->cols, bk->dy[r], bk->x[r], jb->gamma, bk->mean[r], bk->rstd[r],
                    bk->w[r], bk->k[r], bk->o[r], bk->dx[r], has_gamma, has_mean, stream);
}

/* ---- short rows (generic/lanes.h: VF_N <= n <= 2 * SIMDNORM_LANES) ------
 * A block's sums and its column pass for the row's vector count V, loops
 * unrolled to SHORT_VMAX with an exit at V (a compile-time V per count ran
 * 0-5 % faster but tripled the AVX2 file's compile time, 11.7 -> 34 s; this
 * form compiles in 16 s): the general path above runs three column passes
 * over the block for a 33-float row (a partial load and store in the last)
 * and folds each row's sums alone. gamma absent: g = dy * 1 (the same
 * value: dy * 1 is exact, a NaN stays a NaN and every NaN output is
 * canonical), one copy of the code less. The same operations on every
 * element, so the same bits:
 *  - sums (short_bwd_sums): bwd_round's only step. The last vector of a row
 *    that is not the range's last (more: row + 1 < r1 is this call's) is
 *    read whole - into the next row, which nothing has written yet (in
 *    place, a block's dx is written after all of its sums, and the next
 *    block starts past it) - and the lanes past n are dropped as bwd_round's
 *    partial step drops them (g = +0, xhat = -0); gamma's last vector is a
 *    partial load (gamma ends at n).
 *  - column pass (short_bwd_cols): the last vector is the VF_N columns that
 *    end at n, so nothing past a row is read or written; a column's dx and
 *    its block sums are the same operations wherever the vector starts.
 *    That vector's loads come before the stores of the vector it overlaps
 *    (in place, the overlap still holds dy), and only its own columns (the
 *    last cl lanes) enter acc_g/acc_b. */

/* s1 (with a mean) and s2 of one short row as bwd_round leaves them, the
 * halvings across registers done (lanes_fold_to_reg): vd_fold finishes
 * them. gs: gamma's V vectors (the last one partial) or ones. */
static ALWAYS_INLINE void short_bwd_sums(size_t V, size_t n, const sx *dy, const sx *x,
                                         const vf *gs, float mean, float rstd, int more,
                                         int has_mean, vd *v1, vd *v2)
{
    const vf m = vf_set1(mean), rs = vf_set1(rstd);
    vf p[LANE_VF], r[LANE_VF];
#pragma GCC unroll 32
    for (size_t j = 0; j < LANE_VF; j++)
        p[j] = r[j] = vf_zero();
#pragma GCC unroll 8
    for (size_t k = 0; k < SHORT_VMAX; k++) {
        if (k == V)
            break;
        const size_t c = k + 1 < V ? VF_N : n - k * VF_N, e = k * VF_N;
        const int whole = c == VF_N || more;
        vf g = bwd_g(whole ? vx_loadu(dy + e) : vx_load_part(dy + e, c), gs[k], 1);
        vf xh = bwd_xhat(whole ? vx_loadu(x + e) : vx_load_part(x + e, c), m, rs, has_mean);
        if (c < VF_N) {
            g = vf_keep_first(g, c);
            xh = vf_neg(vf_keep_first(vf_neg(xh), c));
        }
        if (has_mean)
            p[k % LANE_VF] = vf_add(p[k % LANE_VF], g);
        r[k % LANE_VF] = vf_fma(g, xh, r[k % LANE_VF]);
    }
    *v1 = has_mean ? lanes_widen_fold_to_reg(p) : vd_zero();
    *v2 = lanes_widen_fold_to_reg(r);
}

/* The block's short rows (V vectors, the last one the
 * VF_N columns ending at n): dx where the job writes it, and the block's
 * column sums added into acc_g/acc_b. gc: gamma at the same offsets. */
static ALWAYS_INLINE void short_bwd_cols(size_t V, size_t n, const simdnorm_bwd_job *jb,
                                         const bwd_block *bk, const vf *gc, int has_mean)
{
    const size_t last = n - VF_N;
    vf bg[SHORT_VMAX], bb[SHORT_VMAX];
#pragma GCC unroll 8
    for (size_t k = 0; k < SHORT_VMAX; k++)
        bg[k] = bb[k] = vf_zero();
    for (size_t r = 0; r < bk->m; r++) {
        const vf mr = vf_set1(bk->mean[r]), rr = vf_set1(bk->rstd[r]), wr = vf_set1(bk->w[r]),
                 kr = vf_set1(bk->k[r]), orr = vf_set1(bk->o[r]);
        const sx *dyr = bk->dy[r], *xr = bk->x[r];
        sx *dxr = bk->dx[r];
        /* the last vector's loads before any store */
        const vf dl = vx_loadu(dyr + last), xl = vx_loadu(xr + last);
#pragma GCC unroll 8
        for (size_t k = 0; k < SHORT_VMAX; k++) {
            if (k == V)
                break;
            const vf d = k + 1 < V ? vx_loadu(dyr + k * VF_N) : dl;
            const vf xh = bwd_xhat(k + 1 < V ? vx_loadu(xr + k * VF_N) : xl, mr, rr, has_mean);
            if (dxr)
                vx_storeu_c(dxr + (k + 1 < V ? k * VF_N : last),
                            bwd_dx(bwd_g(d, gc[k], 1), xh, wr, kr, orr, has_mean));
            bg[k] = vf_fma(d, xh, bg[k]);
            bb[k] = vf_add(bb[k], d);
        }
    }
    if (bk->sums) {
        /* the range's first or last block through the scratch (its
         * partial set or its outputs written by bwd_scratch_fold: the
         * common case below keeps the adds alone), the last vector after
         * the one it overlaps (their shared columns hold the same sums: the
         * same operations) */
#pragma GCC unroll 8
        for (size_t k = 0; k < SHORT_VMAX; k++) {
            if (k == V)
                break;
            const size_t at = k + 1 < V ? k * VF_N : last;
            if (jb->blk_g)
                vf_storeu(jb->blk_g + at, bg[k]);
            if (jb->blk_b)
                vf_storeu(jb->blk_b + at, bb[k]);
        }
        bwd_scratch_fold(jb, bk->sums);
        return;
    }
    const float *asked[2] = {jb->blk_g, jb->blk_b};
#pragma GCC unroll 8
    for (size_t k = 0; k < SHORT_VMAX; k++) {
        if (k == V)
            break;
        const size_t from = k + 1 < V ? 0 : (V - 1) * VF_N - last; /* the lanes of its own columns */
        const vf b2[2] = {bg[k], bb[k]};
        for (int a = 0; a < 2; a++)
            if (asked[a])
                bwd_sums_put(jb, a, 0, k + 1 < V ? k * VF_N : last, b2[a], from, VF_N);
    }
}

/* Rows [r0, r1) of short rows of V vectors: norm_bwd_rows' blocks (rf:
 * the range's first row, bwd_sums_mode). */
static ALWAYS_INLINE void short_bwd_rows(size_t V, const simdnorm_bwd_job *jb, size_t rf,
                                         size_t r0, size_t r1, int has_mean)
{
    const size_t n = jb->cols, cl = n - (V - 1) * VF_N;
    vf gs[SHORT_VMAX], gc[SHORT_VMAX];
#pragma GCC unroll 8
    for (size_t k = 0; k < SHORT_VMAX; k++) {
        gs[k] = gc[k] = vf_zero(); /* past V: never read */
        if (k >= V)
            continue;
        const size_t e = k * VF_N;
        gs[k] = !jb->gamma                ? vf_set1(1.0f)
                : k + 1 < V || cl == VF_N ? vf_loadu(jb->gamma + e)
                                          : vf_load_part(jb->gamma + e, cl);
        gc[k] = jb->gamma ? vf_loadu(jb->gamma + (k + 1 < V ? e : n - VF_N)) : vf_set1(1.0f);
    }
    for (size_t b = r0; b < r1; b += SIMDNORM_BWD_ROWS) {
        bwd_block bk;
        bk.m = r1 - b < SIMDNORM_BWD_ROWS ? r1 - b : SIMDNORM_BWD_ROWS;
        bk.sums = bwd_sums_mode(jb, b, rf, r1);
        vd v1[SIMDNORM_BWD_ROWS], v2[SIMDNORM_BWD_ROWS];
        double s1[SIMDNORM_BWD_ROWS], s2[SIMDNORM_BWD_ROWS];
        for (size_t r = 0; r < bk.m; r++) {
            const size_t row = b + r;
            bwd_block_row(jb, &bk, r, row, has_mean);
            short_bwd_sums(V, n, bk.dy[r], bk.x[r], gs, bk.mean[r], bk.rstd[r], row + 1 < r1,
                           has_mean, &v1[r], &v2[r]);
        }
#if defined(VD_HAS_FOLD_ROWS)
        _Static_assert(SIMDNORM_BWD_ROWS % VD_N == 0, "whole fold_rows per block");
        for (size_t r = bk.m; r < SIMDNORM_BWD_ROWS; r++)
            v1[r] = v2[r] = vd_zero(); /* no row: its lanes are never used */
        for (size_t g = 0; g < SIMDNORM_BWD_ROWS; g += VD_N) {
            vd_storeu(s1 + g, vd_fold_rows(v1 + g));
            vd_storeu(s2 + g, vd_fold_rows(v2 + g));
        }
#else
        for (size_t r = 0; r < bk.m; r++) {
            s1[r] = vd_fold(v1[r]);
            s2[r] = vd_fold(v2[r]);
        }
#endif
        for (size_t r = 0; r < bk.m; r++)
            simdnorm_bwd_coeffs(has_mean ? s1[r] : 0.0, s2[r], jb->inv_cols, (double)bk.rstd[r],
                                &bk.w[r], &bk.k[r], &bk.o[r]);
        short_bwd_cols(V, n, jb, &bk, gc, has_mean);
    }
}

/* ---- rows longer than the short ones -------------------------------------- */

/* One pass over one or two rows of a block (bwd_row_pass): their
 * coefficients, pointers and the scratch sums (NULL: not asked); sums: 0
 * while the block goes on (the sums stay in the scratch), else the pass
 * ends the block and puts them (bwd_sums_put: 1 + its mode). */
typedef struct bwd_pair {
    vf m[2], r[2], w[2], k[2], o[2];
    const sx *dy[2], *x[2];
    sx *dx[2];
    float *sg, *sb;
    const float *gamma;
    const simdnorm_bwd_job *jb;
    int sums;
} bwd_pair;

/* Columns [j, j + c) of the pair p (c = VF_N: a full vector). */
static ALWAYS_INLINE void bwd_pair_at(const bwd_pair *p, size_t j, size_t c, size_t nr, int first,
                                      int has_gamma, int has_mean, int stream)
{
    const int full = c == VF_N;
    vf d[2], xh[2];
    for (size_t q = 0; q < nr; q++) {
        d[q] = full ? vx_loadu(p->dy[q] + j) : vx_load_part(p->dy[q] + j, c);
        xh[q] = bwd_xhat(full ? vx_loadu(p->x[q] + j) : vx_load_part(p->x[q] + j, c), p->m[q],
                         p->r[q], has_mean);
    }
    const vf gv = !has_gamma ? vf_zero()
                  : full     ? vf_loadu(p->gamma + j)
                             : vf_load_part(p->gamma + j, c);
    float *sums[2] = {p->sg, p->sb};
    for (size_t a = 0; a < 2; a++) {
        float *sp = sums[a];
        if (!sp)
            continue;
        vf t = first ? vf_zero() : full ? vf_loadu(sp + j) : vf_load_part(sp + j, c);
        for (size_t q = 0; q < nr; q++)
            t = a == 0 ? vf_fma(d[q], xh[q], t) : vf_add(t, d[q]);
        if (p->sums)
            bwd_sums_put(p->jb, (int)a, p->sums - 1, j, t, 0, c);
        else if (full)
            vf_storeu(sp + j, t);
        else
            vf_store_part(sp + j, t, c);
    }
    for (size_t q = 0; q < nr; q++) {
        if (!p->dx[q])
            continue;
        const vf t =
            bwd_dx(bwd_g(d[q], gv, has_gamma), xh[q], p->w[q], p->k[q], p->o[q], has_mean);
        if (full)
            bwd_put(p->dx[q], 0, j, t, NULL, stream);
        else
            vx_store_part_c(p->dx[q] + j, t, c);
    }
}

/* Rows r .. r + nr - 1 (nr 1 or 2) of the block, their sums and
 * coefficients known: dx (where the job writes it), and the block's column
 * sums bg = fmaf(dy, xhat, bg), bb = bb + dy carried in the job's float
 * scratch blk_g/blk_b from row to row, the rows in order (first: from +0),
 * the pass over the block's last row putting them (bwd_sums_put). Each
 * vector's loads come before its stores (in place, dx == dy). */
static ALWAYS_INLINE void bwd_row_pass(const simdnorm_bwd_job *jb, const bwd_block *bk, size_t r,
                                       size_t nr, int first, int has_gamma, int has_mean,
                                       int stream)
{
    const size_t n = jb->cols;
    bwd_pair p;
    for (size_t q = 0; q < nr; q++) {
        p.m[q] = vf_set1(bk->mean[r + q]);
        p.r[q] = vf_set1(bk->rstd[r + q]);
        p.w[q] = vf_set1(bk->w[r + q]);
        p.k[q] = vf_set1(bk->k[r + q]);
        p.o[q] = vf_set1(bk->o[r + q]);
        p.dy[q] = bk->dy[r + q];
        p.x[q] = bk->x[r + q];
        p.dx[q] = bk->dx[r + q];
    }
    p.sg = jb->blk_g;
    p.sb = jb->blk_b;
    p.gamma = jb->gamma;
    p.jb = jb;
    p.sums = r + nr == bk->m ? 1 + bk->sums : 0;
    size_t j = 0;
    for (; j + VF_N <= n; j += VF_N)
        bwd_pair_at(&p, j, VF_N, nr, first, has_gamma, has_mean, stream);
    if (j < n)
        bwd_pair_at(&p, j, n - j, nr, first, has_gamma, has_mean, stream);
}

/* bwd_row_pass out of line, one function per gamma/mean/store variant
 * (nr and first chosen inside). */
#define BWD_ROW_PASS_FN_(G, M, S)                                                                \
    static __attribute__((noinline)) void bwd_row_pass_##G##M##S(                               \
        const simdnorm_bwd_job *jb, const bwd_block *bk, size_t r, size_t nr, int first)         \
    {                                                                                            \
        if (nr == 2 && first)                                                                    \
            bwd_row_pass(jb, bk, r, 2, 1, G, M, S);                                              \
        else if (nr == 2)                                                                        \
            bwd_row_pass(jb, bk, r, 2, 0, G, M, S);                                              \
        else if (first)                                                                          \
            bwd_row_pass(jb, bk, r, 1, 1, G, M, S);                                              \
        else                                                                                     \
            bwd_row_pass(jb, bk, r, 1, 0, G, M, S);                                              \
    }
BWD_ROW_PASS_FN_(0, 0, 0)
BWD_ROW_PASS_FN_(0, 1, 0)
BWD_ROW_PASS_FN_(1, 0, 0)
BWD_ROW_PASS_FN_(1, 1, 0)
#if VF_STREAM_ALIGN
BWD_ROW_PASS_FN_(0, 0, 1)
BWD_ROW_PASS_FN_(0, 1, 1)
BWD_ROW_PASS_FN_(1, 0, 1)
BWD_ROW_PASS_FN_(1, 1, 1)
#endif

/* Whether a streamed dx of rows r .. r + nr - 1 would alias what the pass
 * over them reads (nt_alias). */
static ALWAYS_INLINE int bwd_pair_aliases(const simdnorm_bwd_job *jb, const bwd_block *bk,
                                          size_t r, size_t nr, int has_gamma)
{
    for (size_t s = 0; s < nr; s++) {
        const sx *st = bk->dx[r + s];
        for (size_t q = 0; q < nr; q++)
            if (nt_alias(st, bk->dy[r + q]) || nt_alias(st, bk->x[r + q]))
                return 1;
        if ((has_gamma && nt_alias(st, jb->gamma)) || (jb->blk_g && nt_alias(st, jb->blk_g)) ||
            (jb->blk_b && nt_alias(st, jb->blk_b)))
            return 1;
    }
    return 0;
}

/* Whether the pass over rows r .. r + nr - 1 streams their dx: streaming
 * stores only for rows that start on a boundary, LayerNorm's of up to
 * BWD_PAIR_NT_MAX_BYTES (see there), no input in the alias window. */
static ALWAYS_INLINE int bwd_pair_streams(const simdnorm_bwd_job *jb, const bwd_block *bk,
                                          size_t r, size_t nr, int has_gamma, int has_mean,
                                          int stream)
{
#if VF_STREAM_ALIGN
    return stream && (!has_mean || jb->cols * sizeof(sx) <= BWD_PAIR_NT_MAX_BYTES) &&
           !nt_mis(bk->dx[r]) && (nr == 1 || !nt_mis(bk->dx[r + 1])) &&
           !bwd_pair_aliases(jb, bk, r, nr, has_gamma);
#else
    (void)jb, (void)bk, (void)r, (void)nr, (void)has_gamma, (void)has_mean, (void)stream;
    return 0;
#endif
}

static ALWAYS_INLINE void bwd_row_pass_out(const simdnorm_bwd_job *jb, const bwd_block *bk,
                                           size_t r, size_t nr, int first, int has_gamma,
                                           int has_mean, int stream)
{
#if VF_STREAM_ALIGN
    if (bwd_pair_streams(jb, bk, r, nr, has_gamma, has_mean, stream)) {
        (has_gamma ? (has_mean ? bwd_row_pass_111 : bwd_row_pass_101)
                   : (has_mean ? bwd_row_pass_011 : bwd_row_pass_001))(jb, bk, r, nr, first);
        return;
    }
#endif
    (void)stream;
    (has_gamma ? (has_mean ? bwd_row_pass_110 : bwd_row_pass_100)
               : (has_mean ? bwd_row_pass_010 : bwd_row_pass_000))(jb, bk, r, nr, first);
}

/* ---- a full block's column pass ------------------------------------------
 * Columns [j, j + c) of all SIMDNORM_BWD_ROWS rows of a full block whose
 * coefficients are known (c = VF_N: a full vector; else the rows' last
 * c < VF_N columns): every row's dy and x first, then the block's column
 * sums in registers - fmaf(dy, xhat, bg) and bb + dy, rows in order from
 * +0, the pass over pairs' operations and its blk_g/blk_b value - added as
 * doubles into acc_g/acc_b (those given), then the rows' dx (where the job
 * writes it). All loads of a column before its stores: in place (dx == dy)
 * nothing is read after it is written, and a row's dx store never precedes
 * a load of the same column of another row, whose address equals it in the
 * low 12 bits where rows lie a multiple of 4 KiB apart (4K aliasing, the
 * column pass that the pairs replaced stalled on it). No float scratch: per
 * element two loads and a store, the block's sums added once per block. */
static ALWAYS_INLINE void bwd_block_cols_at(const simdnorm_bwd_job *jb, const bwd_block *bk,
                                            size_t j, size_t c, int sums, int has_gamma,
                                            int has_mean, int stream)
{
    enum { M = SIMDNORM_BWD_ROWS };
    const int full = c == VF_N;
    vf d[M], xh[M];
#pragma GCC unroll 16
    for (size_t r = 0; r < M; r++) {
        d[r] = full ? vx_loadu(bk->dy[r] + j) : vx_load_part(bk->dy[r] + j, c);
        xh[r] = bwd_xhat(full ? vx_loadu(bk->x[r] + j) : vx_load_part(bk->x[r] + j, c),
                         vf_set1(bk->mean[r]), vf_set1(bk->rstd[r]), has_mean);
    }
    if (jb->blk_g) {
        vf t = vf_zero();
#pragma GCC unroll 16
        for (size_t r = 0; r < M; r++)
            t = vf_fma(d[r], xh[r], t);
        bwd_sums_put(jb, 0, sums, j, t, 0, c);
    }
    if (jb->blk_b) {
        vf t = vf_zero();
#pragma GCC unroll 16
        for (size_t r = 0; r < M; r++)
            t = vf_add(t, d[r]);
        bwd_sums_put(jb, 1, sums, j, t, 0, c);
    }
    if (!bk->dx[0])
        return;
    const vf gv = !has_gamma ? vf_zero()
                  : full     ? vf_loadu(jb->gamma + j)
                             : vf_load_part(jb->gamma + j, c);
#pragma GCC unroll 16
    for (size_t r = 0; r < M; r++) {
        const vf t = bwd_dx(bwd_g(d[r], gv, has_gamma), xh[r], vf_set1(bk->w[r]),
                            vf_set1(bk->k[r]), vf_set1(bk->o[r]), has_mean);
        if (full)
            bwd_put(bk->dx[r], 0, j, t, NULL, stream);
        else
            vx_store_part_c(bk->dx[r] + j, t, c);
    }
}

static ALWAYS_INLINE void bwd_block_cols(const simdnorm_bwd_job *jb, const bwd_block *bk,
                                         int has_gamma, int has_mean, int stream)
{
    const size_t n = jb->cols;
    const int sums = bk->sums;
    size_t j = 0;
    if (sums == 0) /* the common block: its sums added (mode 0 known here) */
        for (; j + VF_N <= n; j += VF_N)
            bwd_block_cols_at(jb, bk, j, VF_N, 0, has_gamma, has_mean, stream);
    else
        for (; j + VF_N <= n; j += VF_N)
            bwd_block_cols_at(jb, bk, j, VF_N, sums, has_gamma, has_mean, stream);
    if (j < n)
        bwd_block_cols_at(jb, bk, j, n - j, sums, has_gamma, has_mean, stream);
}

/* bwd_block_cols out of line, one function per gamma/mean/store variant. */
#define BWD_BLOCK_COLS_FN_(G, M, S)                                                              \
    static __attribute__((noinline)) void bwd_block_cols_##G##M##S(const simdnorm_bwd_job *jb,  \
                                                                   const bwd_block *bk)          \
    {                                                                                            \
        bwd_block_cols(jb, bk, G, M, S);                                                         \
    }
BWD_BLOCK_COLS_FN_(0, 0, 0)
BWD_BLOCK_COLS_FN_(0, 1, 0)
BWD_BLOCK_COLS_FN_(1, 0, 0)
BWD_BLOCK_COLS_FN_(1, 1, 0)
#if BWD_COLS_STREAM
BWD_BLOCK_COLS_FN_(0, 0, 1)
BWD_BLOCK_COLS_FN_(0, 1, 1)
BWD_BLOCK_COLS_FN_(1, 0, 1)
BWD_BLOCK_COLS_FN_(1, 1, 1)
#endif

/* Whether the full block's dx can stream in the column pass: every row's dx
 * on a boundary, and no input of the pass in the window before a dx row
 * (nt_alias: dy, x, gamma). The double partials acc_g/acc_b are not
 * checked: their offset from dx drifts by 4 bytes a column, so some
 * vectors meet the window wherever they lie (the figures at norm_bwd_rows
 * were taken with them); nor are out_g/out_b (one store a column, by the
 * range's last block only). */
static ALWAYS_INLINE int bwd_block_streams(const simdnorm_bwd_job *jb, const bwd_block *bk,
                                           int has_gamma)
{
    for (size_t s = 0; s < SIMDNORM_BWD_ROWS; s++) {
        const sx *st = bk->dx[s];
        if (!st || nt_mis(st) || (has_gamma && nt_alias(st, jb->gamma)))
            return 0;
        for (size_t q = 0; q < SIMDNORM_BWD_ROWS; q++)
            if (nt_alias(st, bk->dy[q]) || nt_alias(st, bk->x[q]))
                return 0;
    }
    return 1;
}

/* The full block's column pass, its dx streamed where `stream` and the
 * block allow (bwd_block_streams). */
static ALWAYS_INLINE void bwd_block_cols_out(const simdnorm_bwd_job *jb, const bwd_block *bk,
                                             int has_gamma, int has_mean, int stream)
{
#if BWD_COLS_STREAM
    if (stream && bwd_block_streams(jb, bk, has_gamma)) {
        (has_gamma ? (has_mean ? bwd_block_cols_111 : bwd_block_cols_101)
                   : (has_mean ? bwd_block_cols_011 : bwd_block_cols_001))(jb, bk);
        return;
    }
#endif
    (void)stream;
    (has_gamma ? (has_mean ? bwd_block_cols_110 : bwd_block_cols_100)
               : (has_mean ? bwd_block_cols_010 : bwd_block_cols_000))(jb, bk);
}

/* The blocks of rows [r0, r1): each row's sums, then its dx and the
 * block's column sums (when asked). A full block of rows up to
 * BWD_BLOCK_COLS_MAX_BYTES takes all 8 rows' sums, then the column pass
 * (bwd_block_cols: every row's loads of a column before its stores), unless
 * all four of its pairs would stream (bwd_pair_streams: from memory, rows on
 * a boundary, LayerNorm's up to 8 KiB; the column pass streamed them no
 * faster on AVX-512 and cannot on AVX2); other blocks go two rows at a
 * time - a block's rows are read from memory once, by the
 * sums, and again from L1/L2 by the pass over the pair or the block.
 * Column pass / pairs (new/base, LayerNorm backward with dx, dgamma and
 * dbeta, one thread, Xeon (Sapphire Rapids class) VM, best of 3 alternated
 * runs of /tmp throwaways, 2026-12-07): AVX-512 256 x 4096 0.67, 64 x 4096
 * 0.64, 512 x 2048 0.69, 1365 x 768 0.88, 1048 x 1000 0.92, 255 x 4097 0.80;
 * AVX2 0.83, 0.77, 0.95, 0.92, 0.94, 0.99; from memory (64 MiB) AVX-512
 * 4096 x 4096 0.55, 2048 x 8192 0.52 (streamed; the pairs do not stream
 * such rows), AVX2 0.72, 0.86 (plain). The first column pass (before the
 * pairs; it held 8 rows of dy, x and dx in L1 at once) stalled where rows
 * lie a multiple of 4 KiB apart: the dx stores held up the next rows' loads
 * (4K aliasing). That pass and the pairs: LayerNorm backward, 4 MiB of x, one
 * thread, AVX2, Zen 3, page-aligned buffers (/tmp throwaway, best of 5 x
 * 60 calls), ms, column pass / pairs: 1024 columns 0.582 / 0.450, 4096
 * 0.600 / 0.450, 4097 0.762 / 0.524, 512 0.484 / 0.419, 768 0.451 / 0.425,
 * 1000 0.459 / 0.466, 3000 0.464 / 0.456; RMSNorm 1024 0.528 / 0.337;
 * bf16 1024 0.670 / 0.625. From memory (64 MiB) 0.95-1.07. One row at a
 * time stores the scratch twice as often (1000 columns 0.482, 3000 0.529);
 * four at a time ran slower than two. The pass is out of line
 * (bwd_row_pass_out), and so are the short rows (short_bwd_rows_m0/m1):
 * inlined into this function, gcc's allocation of the whole made the pass
 * 2-6 % and the short rows from memory 1.2-1.3x slower. */
static ALWAYS_INLINE void norm_bwd_rows(const simdnorm_bwd_job *jb, size_t rf, size_t r0,
                                        size_t r1, int has_gamma, int has_mean, int stream)
{
    const size_t n = jb->cols;
    const int col_sums = jb->blk_g || jb->blk_b;
    for (size_t b = r0; b < r1; b += SIMDNORM_BWD_ROWS) {
        bwd_block bk;
        bk.m = r1 - b < SIMDNORM_BWD_ROWS ? r1 - b : SIMDNORM_BWD_ROWS;
        bk.sums = bwd_sums_mode(jb, b, rf, r1);
        for (size_t r = 0; r < bk.m; r++)
            bwd_block_row(jb, &bk, r, b + r, has_mean);
        int whole = col_sums && bk.m == SIMDNORM_BWD_ROWS &&
                    n * sizeof(sx) <= BWD_BLOCK_COLS_MAX_BYTES;
        /* a block whose pairs would all stream takes them */
        if (whole && stream) {
            int pairs = 1;
            for (size_t r = 0; r < SIMDNORM_BWD_ROWS; r += 2)
                pairs = pairs && bwd_pair_streams(jb, &bk, r, 2, has_gamma, has_mean, stream);
            whole = !pairs;
        }
        for (size_t r = 0; r < bk.m; r++) {
            double s[2];
            bwd_sums(n, bk.dy[r], bk.x[r], jb->gamma, bk.mean[r], bk.rstd[r], s, has_gamma,
                     has_mean, !jb->from_memory);
            simdnorm_bwd_coeffs(s[0], s[1], jb->inv_cols, (double)bk.rstd[r], &bk.w[r], &bk.k[r],
                                &bk.o[r]);
            if (whole) /* the column pass after the block's last row */
                continue;
            if (!col_sums) /* dx row by row, from L1 */
                bwd_block_row_dx(jb, &bk, r, has_gamma, has_mean, stream);
            else if (r % 2 == 1) /* rows r - 1, r */
                bwd_row_pass_out(jb, &bk, r - 1, 2, r == 1, has_gamma, has_mean, stream);
            else if (r + 1 == bk.m) /* the odd last row */
                bwd_row_pass_out(jb, &bk, r, 1, r == 0, has_gamma, has_mean, stream);
        }
        if (whole)
            bwd_block_cols_out(jb, &bk, has_gamma, has_mean, stream);
    }
}

/* short_bwd_rows out of line, with and without a mean. */
static __attribute__((noinline)) void short_bwd_rows_m1(size_t v, const simdnorm_bwd_job *jb,
                                                        size_t rf, size_t r0, size_t r1)
{
    short_bwd_rows(v, jb, rf, r0, r1, 1);
}
static __attribute__((noinline)) void short_bwd_rows_m0(size_t v, const simdnorm_bwd_job *jb,
                                                        size_t rf, size_t r0, size_t r1)
{
    short_bwd_rows(v, jb, rf, r0, r1, 0);
}

/* The four gamma/mean variants of one store kind, each with constant flags:
 * rows [r0, r1) of the range [rf, r1). */
static ALWAYS_INLINE void norm_bwd_rows_variants(const simdnorm_bwd_job *jb, size_t rf, size_t r0,
                                                 size_t r1, int stream)
{
    const int g = jb->gamma != NULL, mn = jb->mean != NULL;
    if (!stream && short_rows_ok(jb->cols)) { /* (short rows never stream: < 128 floats) */
        const size_t v = (jb->cols + VF_N - 1) / VF_N;
        if (mn)
            short_bwd_rows_m1(v, jb, rf, r0, r1);
        else
            short_bwd_rows_m0(v, jb, rf, r0, r1);
        return;
    }
    if (g && mn)
        norm_bwd_rows(jb, rf, r0, r1, 1, 1, stream);
    else if (g)
        norm_bwd_rows(jb, rf, r0, r1, 1, 0, stream);
    else if (mn)
        norm_bwd_rows(jb, rf, r0, r1, 0, 1, stream);
    else
        norm_bwd_rows(jb, rf, r0, r1, 0, 0, stream);
}

/* ---- tiny rows (1 <= n < TINY_MAX_COLS = 8, generic/lanes.h) in lanes ----
 * The forward's layout (generic/rows.c, "Tiny rows"): a group of VF_N rows
 * is one vector per column, gathered from dy and x, lane i row i, so a
 * row's sums s1, s2 (kernels.h: canonical lanes, one element each here)
 * are the canonical halvings across the column vectors, and the rows'
 * coefficients are computed in their lanes (simdnorm_bwd_coeffs' double
 * operations, w_d = rstd). The lanes past n are left out of the halvings:
 * s1's lanes (0.0f + g, widened) are never -0, and s2's (fmaf(g, xhat, 0),
 * which may be -0: a product that rounds to -0) get the +0 that the first
 * canonical halving adds to each of them first. dgamma/dbeta go row by row
 * in natural order, each 8-row block's float sums (fmaf(dy, xhat, bg), bb
 * + dy, the lanes past n loaded as +0 and never put) to the partials or
 * the outputs (bwd_sums_put),
 * before any dx of the group is written (in place, dx is dy). dx: a packed
 * group (dy, x, dx rows n floats apart, 4 groups or more) in the vectors it
 * lies in, each element's row coefficients brought to its lane by
 * vf_permute and gamma read in its pattern (tiny_pattern); otherwise row by
 * row (bwd_dx_span). gamma absent: g = dy * 1 (short_bwd_rows' note). Same
 * operations on every element, so the same bits (test_backward
 * bwd_rows_tiny_rows_in_lanes). Float storage only, never streamed; not on
 * NEON (groups of 4 rows would split the 8-row dgamma blocks). */
#if SX_IS_F32 && defined(VF_HAS_ROWS_IN_LANES) && VF_N >= SIMDNORM_BWD_ROWS
#define TINY_BWD 1
#define TINY_BWD_PATTERN_MIN_GROUPS 4

static ALWAYS_INLINE int tiny_bwd_ok(const simdnorm_bwd_job *jb, size_t rows)
{
    return jb->cols < TINY_MAX_COLS && rows >= VF_N &&
           jb->dy_stride <= (size_t)INT32_MAX / VF_N && jb->x_stride <= (size_t)INT32_MAX / VF_N;
}

/* The group of VF_N tiny rows from r (a multiple of SIMDNORM_BWD_ROWS past
 * the call's first row). */
static ALWAYS_INLINE void tiny_bwd_group(size_t N, const simdnorm_bwd_job *jb, size_t r,
                                         size_t rf, size_t r1, const tiny_pattern *p,
                                         int has_mean)
{
    _Static_assert(VF_N % SIMDNORM_BWD_ROWS == 0, "whole dgamma blocks per group");
    const size_t dys = jb->dy_stride, xs = jb->x_stride;
    const float *dy = BDY(jb) + r * dys, *x = BX(jb) + r * xs;
    const vf M = has_mean ? vf_loadu(jb->mean + r) : vf_zero(), R = vf_loadu(jb->rstd + r);
    const vf zero = vf_zero();
    /* the sums, rows in lanes */
    vd a[VD_PER_VF][VF_N], q[VD_PER_VF][VF_N];
#pragma GCC unroll 8
    for (size_t l = 0; l < N; l++) {
        const vf g = bwd_g(vf_gather_rows(dy + l, dys),
                           vf_set1(jb->gamma ? jb->gamma[l] : 1.0f), 1);
        const vf xh = bwd_xhat(vf_gather_rows(x + l, xs), M, R, has_mean);
        tiny_put(l, g, g, xh, 1, a, q);
    }
    vd wd[VD_PER_VF], kd[VD_PER_VF], od[VD_PER_VF];
    vf_widen(R, wd);
    const vd inv_n = vd_set1(jb->inv_cols);
#pragma GCC unroll 2
    for (size_t h = 0; h < VD_PER_VF; h++) {
        const vd s1 = has_mean ? tiny_fold(N, a[h]) : vd_zero(), s2 = tiny_fold(N, q[h]);
        kd[h] = vd_neg(vd_mul(wd[h], vd_mul(s2, inv_n)));
        od[h] = vd_neg(vd_mul(wd[h], vd_mul(s1, inv_n)));
    }
    const vf K = vf_narrow_vd(kd), O = vf_narrow_vd(od);
    /* dgamma, dbeta: each 8-row block's rows in order */
    if (jb->blk_g || jb->blk_b) {
        float mr[VF_N], rr[VF_N];
        vf_storeu(mr, M);
        vf_storeu(rr, R);
        for (size_t b = 0; b < VF_N; b += SIMDNORM_BWD_ROWS) {
            vf bg = zero, bb = zero;
#pragma GCC unroll 8
            for (size_t i = b; i < b + SIMDNORM_BWD_ROWS; i++) {
                const vf d = vf_load_part(dy + i * dys, N);
                const vf xh = bwd_xhat(vf_load_part(x + i * xs, N), vf_set1(mr[i]),
                                       vf_set1(rr[i]), has_mean);
                bg = vf_fma(d, xh, bg);
                bb = vf_add(bb, d);
            }
            const int mode = bwd_sums_mode(jb, r + b, rf, r1);
            if (jb->blk_g)
                bwd_sums_put(jb, 0, mode, 0, bg, 0, N);
            if (jb->blk_b)
                bwd_sums_put(jb, 1, mode, 0, bb, 0, N);
        }
    }
    if (!BDX(jb))
        return;
    if (p) { /* packed: dy, x, dx rows N floats apart */
        float *dx = BDX(jb) + r * N;
#pragma GCC unroll 8
        for (size_t k = 0; k < N; k++) {
            const vi i = vi_loadu(p->row[k]);
            const vf g = bwd_g(vf_loadu(dy + k * VF_N), vf_loadu(p->g[k]), 1);
            const vf xh = bwd_xhat(vf_loadu(x + k * VF_N), vf_permute(M, i), vf_permute(R, i),
                                   has_mean);
            vf_storeu(dx + k * VF_N, bwd_dx(g, xh, vf_permute(R, i), vf_permute(K, i),
                                            vf_permute(O, i), has_mean));
        }
        return;
    }
    float mr[VF_N], rr[VF_N], kr[VF_N], orr[VF_N];
    vf_storeu(mr, M);
    vf_storeu(rr, R);
    vf_storeu(kr, K);
    vf_storeu(orr, O);
    for (size_t i = 0; i < VF_N; i++)
        bwd_dx_span(N, dy + i * dys, x + i * xs, jb->gamma, mr[i], rr[i], rr[i], kr[i], orr[i],
                    BDX(jb) + (r + i) * jb->dx_stride, jb->gamma != NULL, has_mean, 0);
}

/* From memory (pf: packed, from_memory), dy and x of the group
 * TINY_PREFETCH_BLOCKS ahead of group g are prefetched (as the forward's
 * tiny_blocks): LayerNorm / RMSNorm backward at 64 MiB of x, rows of 2 / 4
 * / 7 floats, AVX2 and AVX-512, 0.84-0.91 / 0.83-0.96 / 0.77-0.92 the time
 * without (/tmp/s35/bwdab.c, the two libraries alternated). */
static ALWAYS_INLINE void tiny_bwd_prefetch(size_t N, const simdnorm_bwd_job *jb, size_t r0,
                                            size_t g, size_t ng, int pf)
{
    if (!pf || g + TINY_PREFETCH_BLOCKS >= ng)
        return;
    const size_t e = (r0 + (g + TINY_PREFETCH_BLOCKS) * VF_N) * N;
    const char *a = (const char *)(BDY(jb) + e), *b = (const char *)(BX(jb) + e);
    for (size_t o = 0; o < VF_N * N * sizeof(float); o += 64) {
        __builtin_prefetch(a + o);
        __builtin_prefetch(b + o);
    }
}

/* The whole groups of tiny rows in [r0, r1); returns the first row left
 * (fewer than VF_N: the general blocks'). */
static __attribute__((noinline)) size_t tiny_bwd_rows(const simdnorm_bwd_job *jb, size_t r0, size_t r1)
{
    const size_t n = jb->cols, ng = (r1 - r0) / VF_N;
    tiny_pattern pat;
    const int packed = BDX(jb) && jb->dy_stride == n && jb->x_stride == n &&
                       jb->dx_stride == n && ng >= TINY_BWD_PATTERN_MIN_GROUPS;
    if (packed)
        tiny_pattern_fill(n, jb->gamma, NULL, &pat);
    const tiny_pattern *p = packed ? &pat : NULL;
    const int pf = jb->from_memory && p;
    if (jb->mean)
        TINY_WITH_N(n, for (size_t g = 0; g < ng; g++) {
            tiny_bwd_prefetch(N, jb, r0, g, ng, pf);
            tiny_bwd_group(N, jb, r0 + g * VF_N, r0, r1, p, 1);
        });
    else
        TINY_WITH_N(n, for (size_t g = 0; g < ng; g++) {
            tiny_bwd_prefetch(N, jb, r0, g, ng, pf);
            tiny_bwd_group(N, jb, r0 + g * VF_N, r0, r1, p, 0);
        });
    return r0 + ng * VF_N;
}
#endif

/* Contract: kernels.h, f32_norm_bwd_rows. */
void SIMDNORM_SKERNEL(norm_bwd_rows)(const simdnorm_bwd_job *jb, size_t r0, size_t r1)
{
    const size_t rf = r0;
#ifdef TINY_BWD
    if (tiny_bwd_ok(jb, r1 - r0)) {
        r0 = tiny_bwd_rows(jb, r0, r1);
        if (r0 == r1)
            return;
    }
#endif
#if VF_STREAM_ALIGN
    if (jb->stream && BDX(jb)) {
        norm_bwd_rows_variants(jb, rf, r0, r1, 1);
        vf_stream_fence();
        return;
    }
#endif
    norm_bwd_rows_variants(jb, rf, r0, r1, 0);
}
