/* channels_neon.c - the channel (column) kernels for AArch64 NEON:
 * BatchNorm's NHWC statistics and normalize, channels in vector lanes. */
#include <arm_neon.h>
#include <string.h>

#include "act_neon.h"
#include "kernels.h"

/* The first n (0-4) floats at p, zeros above, and the reverse: lane moves
 * only, so nothing past p[n-1] is touched. */
static inline float32x4_t load_part4(const float *p, size_t n)
{
    const float32x4_t z = vdupq_n_f32(0.0f);
    switch (n) {
    case 0: return z;
    case 1: return vld1q_lane_f32(p, z, 0);
    case 2: return vcombine_f32(vld1_f32(p), vdup_n_f32(0.0f));
    case 3: return vld1q_lane_f32(p + 2, vcombine_f32(vld1_f32(p), vdup_n_f32(0.0f)), 2);
    default: return vld1q_f32(p);
    }
}

static inline void store_part4(float *p, size_t n, float32x4_t v)
{
    switch (n) {
    case 0: break;
    case 1: vst1q_lane_f32(p, v, 0); break;
    case 2: vst1_f32(p, vget_low_f32(v)); break;
    case 3:
        vst1_f32(p, vget_low_f32(v));
        vst1q_lane_f32(p + 2, v, 2);
        break;
    default: vst1q_f32(p, v); break;
    }
}

/* ---- f32_channel_moments ---------------------------------------------------
 * As the x86 kernels (channels_avx512.c): channels in lanes, rows walked in
 * order, so every channel is one sequential chain. A tile is MOM_QUADS groups
 * of 4 channels (each two q registers of 2 doubles: 16 channels, 16
 * independent add/FMA chains; with at most 4 channels, each group of lanes
 * is one block instead) walking MOM_TILE_ROWS rows with its sums in
 * registers; the last group of a row may be partial (1-3 channels) and is
 * loaded lane by lane, its absent lanes computing on zeros never stored. */
#define MOM_QUADS 4
#define MOM_TILE_ROWS 32
#define MOM_GROUP 256

/* One tile: nq groups of 4 lanes, group v read at x + v*vstep of each row
 * (vstep 4: consecutive channels, all groups full but the last with `last`
 * lanes; group_stride: one block per group, every group with `last`
 * lanes). The sums live in 4-lane slots of local arrays between tiles. */
static inline __attribute__((always_inline)) void
moments_tile(int nq, int all_partial, size_t last, size_t vstep, size_t rows,
             const float *x, size_t stride, const double *kk, double *s1, double *s2)
{
    float64x2_t a[2 * MOM_QUADS], q[2 * MOM_QUADS], k[2 * MOM_QUADS];
    for (int v = 0; v < 2 * nq; v++) {
        k[v] = vld1q_f64(kk + 2 * v);
        a[v] = vld1q_f64(s1 + 2 * v);
        q[v] = vld1q_f64(s2 + 2 * v);
    }
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * stride;
        for (int v = 0; v < nq; v++) {
            const float *p = xr + (size_t)v * vstep;
            const float32x4_t xv = all_partial || v == nq - 1 ? load_part4(p, last) : vld1q_f32(p);
            const float64x2_t d0 = vsubq_f64(vcvt_f64_f32(vget_low_f32(xv)), k[2 * v]);
            const float64x2_t d1 = vsubq_f64(vcvt_high_f64_f32(xv), k[2 * v + 1]);
            a[2 * v] = vaddq_f64(a[2 * v], d0);
            a[2 * v + 1] = vaddq_f64(a[2 * v + 1], d1);
            q[2 * v] = vfmaq_f64(q[2 * v], d0, d0);
            q[2 * v + 1] = vfmaq_f64(q[2 * v + 1], d1, d1);
        }
    }
    for (int v = 0; v < 2 * nq; v++) {
        vst1q_f64(s1 + 2 * v, a[v]);
        vst1q_f64(s2 + 2 * v, q[v]);
    }
}

static inline __attribute__((always_inline)) void
moments_tiles(int nq, int all_partial, size_t last, size_t vstep, size_t rows, const float *x,
              size_t stride, const double *kk, double *s1, double *s2)
{
    switch (nq) {
    case 1: moments_tile(1, all_partial, last, vstep, rows, x, stride, kk, s1, s2); break;
    case 2: moments_tile(2, all_partial, last, vstep, rows, x, stride, kk, s1, s2); break;
    case 3: moments_tile(3, all_partial, last, vstep, rows, x, stride, kk, s1, s2); break;
    default: moments_tile(4, all_partial, last, vstep, rows, x, stride, kk, s1, s2); break;
    }
}

/* K of one 4-lane slot of w lanes (the others 0, never leaving the kernel),
 * sums zeroed. */
static inline void set_slot(double *kk, double *a, double *q, size_t w, const float *k)
{
    const float32x4_t kv = load_part4(k, w);
    vst1q_f64(kk, vcvt_f64_f32(vget_low_f32(kv)));
    vst1q_f64(kk + 2, vcvt_high_f64_f32(kv));
    vst1q_f64(a, vdupq_n_f64(0.0));
    vst1q_f64(a + 2, vdupq_n_f64(0.0));
    vst1q_f64(q, vdupq_n_f64(0.0));
    vst1q_f64(q + 2, vdupq_n_f64(0.0));
}

/* Contract: kernels.h, f32_channel_moments. The sums live in local arrays
 * padded to whole groups of 4 and are copied to s1/s2 at the end: nothing
 * past s1/s2[groups*channels-1] is written. With at most 4 channels and
 * several blocks, each group of lanes holds one block: MOM_QUADS blocks
 * advance together. */
void simdnorm_f32_channel_moments_neon(size_t rows, size_t channels,
                                       const float *x, size_t stride, size_t groups,
                                       size_t group_stride, double *s1, double *s2)
{
    double kk[MOM_GROUP], a[MOM_GROUP], q[MOM_GROUP];
    if (channels <= 4 && groups > 1) {
        for (size_t g0 = 0; g0 < groups; g0 += MOM_GROUP / 4) {
            const size_t gn = groups - g0 < MOM_GROUP / 4 ? groups - g0 : MOM_GROUP / 4;
            const float *xg = x + g0 * group_stride;
            for (size_t g = 0; g < gn; g++)
                set_slot(kk + 4 * g, a + 4 * g, q + 4 * g, channels, xg + g * group_stride);
            for (size_t r0 = 0; r0 < rows; r0 += MOM_TILE_ROWS) {
                const size_t rn = rows - r0 < MOM_TILE_ROWS ? rows - r0 : MOM_TILE_ROWS;
                for (size_t g = 0; g < gn; g += MOM_QUADS) {
                    const int nq = (int)(gn - g < MOM_QUADS ? gn - g : MOM_QUADS);
                    moments_tiles(nq, 1, channels, group_stride, rn,
                                  xg + g * group_stride + r0 * stride, stride, kk + 4 * g,
                                  a + 4 * g, q + 4 * g);
                }
            }
            for (size_t g = 0; g < gn; g++)
                for (size_t c = 0; c < channels; c++) {
                    s1[(g0 + g) * channels + c] = a[4 * g + c];
                    s2[(g0 + g) * channels + c] = q[4 * g + c];
                }
        }
        return;
    }
    for (size_t g = 0; g < groups; g++) {
        const float *xg = x + g * group_stride;
        for (size_t g0 = 0; g0 < channels; g0 += MOM_GROUP) {
            const size_t gw = channels - g0 < MOM_GROUP ? channels - g0 : MOM_GROUP;
            for (size_t c = 0; c < gw; c += 4)
                set_slot(kk + c, a + c, q + c, gw - c < 4 ? gw - c : 4, xg + g0 + c);
            for (size_t r0 = 0; r0 < rows; r0 += MOM_TILE_ROWS) {
                const size_t rn = rows - r0 < MOM_TILE_ROWS ? rows - r0 : MOM_TILE_ROWS;
                const float *xt = xg + r0 * stride + g0;
                for (size_t c = 0; c < gw; c += 4 * MOM_QUADS) {
                    const size_t w = gw - c < 4 * MOM_QUADS ? gw - c : 4 * MOM_QUADS;
                    const int nq = (int)((w + 3) / 4);
                    const size_t last = w - 4 * (size_t)(nq - 1);
                    moments_tiles(nq, 0, last, 4, rn, xt + c, stride, kk + c, a + c, q + c);
                }
            }
            memcpy(s1 + g * channels + g0, a, gw * sizeof(double));
            memcpy(s2 + g * channels + g0, q, gw * sizeof(double));
        }
    }
}

/* ---- f32_normalize_channels ------------------------------------------------
 * A tile is up to NRM_VECS q registers of 4 channels whose shift/scale/offset
 * stay in registers while it walks down NRM_TILE_ROWS rows (all rows when the
 * matrix is no wider than one tile); the last vector of a row may be partial. */
#define NRM_VECS 8
#define NRM_TILE_ROWS 16

static inline __attribute__((always_inline)) float32x4_t
normalize4(float32x4_t v, float32x4_t sh, float32x4_t sc, float32x4_t of, int act)
{
    return act4(vfmaq_f32(of, vsubq_f32(v, sh), sc), act);
}

static inline __attribute__((always_inline)) void
normalize_tile(int nv, size_t last, size_t rows, const float *x, size_t stride,
               const float *shift, const float *scale, const float *offset, float *y,
               int act)
{
    float32x4_t sh[NRM_VECS], sc[NRM_VECS], of[NRM_VECS];
    for (int v = 0; v < nv; v++) {
        const size_t w = v == nv - 1 ? last : 4;
        sh[v] = load_part4(shift + 4 * v, w);
        sc[v] = load_part4(scale + 4 * v, w);
        of[v] = load_part4(offset + 4 * v, w);
    }
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * stride;
        float *yr = y + r * stride;
        for (int v = 0; v < nv - 1; v++)
            vst1q_f32(yr + 4 * v, normalize4(vld1q_f32(xr + 4 * v), sh[v], sc[v], of[v], act));
        const int v = nv - 1;
        if (last == 4)
            vst1q_f32(yr + 4 * v, normalize4(vld1q_f32(xr + 4 * v), sh[v], sc[v], of[v], act));
        else
            store_part4(yr + 4 * v, last,
                        normalize4(load_part4(xr + 4 * v, last), sh[v], sc[v], of[v], act));
    }
}

static inline __attribute__((always_inline)) void
normalize_channels(size_t rows, size_t channels, const float *x, size_t stride,
                   const float *shift, const float *scale, const float *offset, float *y, int act)
{
    const size_t tile_rows = channels <= 4 * NRM_VECS ? rows : NRM_TILE_ROWS;
    for (size_t r0 = 0; r0 < rows; r0 += tile_rows) {
        const size_t rn = rows - r0 < tile_rows ? rows - r0 : tile_rows;
        for (size_t c = 0; c < channels; c += 4 * NRM_VECS) {
            const size_t w = channels - c < 4 * NRM_VECS ? channels - c : 4 * NRM_VECS;
            const int nv = (int)((w + 3) / 4);
            const size_t last = w - 4 * (size_t)(nv - 1);
            const float *xc = x + r0 * stride + c;
            float *yc = y + r0 * stride + c;
            switch (nv) {
            case 1: normalize_tile(1, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, act); break;
            case 2: normalize_tile(2, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, act); break;
            case 3: normalize_tile(3, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, act); break;
            case 4: normalize_tile(4, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, act); break;
            case 5: normalize_tile(5, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, act); break;
            case 6: normalize_tile(6, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, act); break;
            case 7: normalize_tile(7, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, act); break;
            default: normalize_tile(8, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, act); break;
            }
        }
    }
}

/* The plain call (act 0) and the activations in functions of their own:
 * the plain code stays what it was before activations existed. */
static __attribute__((noinline)) void
channels_plain(size_t rows, size_t channels, const float *x, size_t stride, const float *shift,
               const float *scale, const float *offset, float *y)
{
    normalize_channels(rows, channels, x, stride, shift, scale, offset, y, SIMDNORM_ACT_NONE);
}

static __attribute__((noinline)) void
channels_act(size_t rows, size_t channels, const float *x, size_t stride, const float *shift,
             const float *scale, const float *offset, float *y, int act)
{
    SIMDNORM_WITH_CONST_ACT(act, A, normalize_channels(rows, channels, x, stride, shift, scale, offset, y, A))
}

/* Contract: kernels.h, f32_normalize_channels. Nothing past the last channel
 * of a row is read or written. */
void simdnorm_f32_normalize_channels_neon(size_t rows, size_t channels,
                                          const float *x, size_t stride,
                                          const float *shift, const float *scale,
                                          const float *offset, int act, float *y)
{
    if (act != SIMDNORM_ACT_NONE)
        channels_act(rows, channels, x, stride, shift, scale, offset, y, act);
    else
        channels_plain(rows, channels, x, stride, shift, scale, offset, y);
}

/* Contract: kernels.h, f32_normalize_channels_stream: the plain kernel (see
 * normalize_neon.c). */
void simdnorm_f32_normalize_channels_stream_neon(size_t rows, size_t channels,
                                                 const float *x, size_t stride,
                                                 const float *shift, const float *scale,
                                                 const float *offset, int act, float *y)
{
    simdnorm_f32_normalize_channels_neon(rows, channels, x, stride, shift, scale, offset, act, y);
}
