/* channels_avx512.c - the channel (column) kernels for AVX-512 (F, BW, DQ,
 * VL): BatchNorm's NHWC statistics and normalize, channels in vector lanes. */
#include <immintrin.h>
#include <string.h>

#include "act_avx512.h"
#include "kernels.h"

/* ---- f32_channel_moments ---------------------------------------------------
 * Channels sit in the lanes of 256-bit registers of 4 doubles and the kernel
 * walks down the rows, so each channel's sums are one sequential chain, as
 * in the scalar kernel (kernels.h). One chain per register has the latency
 * of an add per row, so a tile keeps MOM_VECS registers of channels (32) in
 * flight: 2 * MOM_VECS independent chains hide the add/FMA latency (with at
 * most 4 channels, the vectors are different blocks instead). The tile
 * walks MOM_TILE_ROWS rows with its sums in registers, then parks them in
 * local arrays and the next tile (the next 32 channels of the same rows)
 * starts: the data is read nearly in memory order even when a row is long.
 * 256-bit registers, not 512: with AVX-512VL's 32 registers the 16 sums fit
 * with room to spare, and on Zen 4 the 256-bit conversion and arithmetic
 * ran 1.4x faster here (measured, in cache). The shift K of a group of up to
 * MOM_GROUP channels is widened once into a local array. d = x - K is
 * computed as fma(x, 1, -K), the same single rounding of the same exact
 * value, on the FMA pipes instead of the add pipes, which the s1 chain and
 * the float->double conversion already load. */
#define MOM_VECS 8
#define MOM_TILE_ROWS 32
#define MOM_GROUP 256

/* 256-bit fused multiply-add through AVX-512VL (no -mfma for this file; the
 * AVX-512 level requires FMA anyway). */
static inline __m256d fma256(__m256d a, __m256d b, __m256d c)
{
    return _mm256_maskz_fmadd_pd(0xff, a, b, c);
}

/* One tile: nv vectors of 4 lanes, vector v read at x + v*vstep of each row
 * (vstep 4: consecutive channels; group_stride: one block per vector), all
 * but the last with lane mask `mid`, the last with `last`. The sums live in
 * 4-lane slots of local arrays between tiles. */
static inline __attribute__((always_inline)) void
moments_tile(int nv, __mmask8 mid, __mmask8 last, size_t vstep, size_t rows, const float *x,
             size_t stride, const double *negk, double *s1, double *s2)
{
    __m256d a[MOM_VECS], q[MOM_VECS], nk[MOM_VECS];
    const __m256d one = _mm256_set1_pd(1.0);
    for (int v = 0; v < nv; v++) {
        nk[v] = _mm256_load_pd(negk + 4 * v);
        a[v] = _mm256_load_pd(s1 + 4 * v);
        q[v] = _mm256_load_pd(s2 + 4 * v);
    }
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * stride;
        for (int v = 0; v < nv; v++) {
            const __m128 xv = _mm_maskz_loadu_ps(v == nv - 1 ? last : mid, xr + (size_t)v * vstep);
            const __m256d d = fma256(_mm256_cvtps_pd(xv), one, nk[v]);
            a[v] = _mm256_add_pd(a[v], d);
            q[v] = fma256(d, d, q[v]);
        }
    }
    for (int v = 0; v < nv; v++) {
        _mm256_store_pd(s1 + 4 * v, a[v]);
        _mm256_store_pd(s2 + 4 * v, q[v]);
    }
}

static inline __attribute__((always_inline)) void moments_tiles(int nv, __mmask8 mid, __mmask8 last, size_t vstep,
                                 size_t rows, const float *x, size_t stride,
                                 const double *negk, double *s1, double *s2)
{
    switch (nv) {
    case 1: moments_tile(1, mid, last, vstep, rows, x, stride, negk, s1, s2); break;
    case 2: moments_tile(2, mid, last, vstep, rows, x, stride, negk, s1, s2); break;
    case 3: moments_tile(3, mid, last, vstep, rows, x, stride, negk, s1, s2); break;
    case 4: moments_tile(4, mid, last, vstep, rows, x, stride, negk, s1, s2); break;
    case 5: moments_tile(5, mid, last, vstep, rows, x, stride, negk, s1, s2); break;
    case 6: moments_tile(6, mid, last, vstep, rows, x, stride, negk, s1, s2); break;
    case 7: moments_tile(7, mid, last, vstep, rows, x, stride, negk, s1, s2); break;
    default: moments_tile(8, mid, last, vstep, rows, x, stride, negk, s1, s2); break;
    }
}

/* -K of one vector slot (lanes past `m` get -0 and never leave the kernel). */
static inline void set_slot(double *negk, double *a, double *q, __mmask8 m, const float *k)
{
    const __m256d kv = _mm256_cvtps_pd(_mm_maskz_loadu_ps(m, k));
    _mm256_store_pd(negk, _mm256_xor_pd(kv, _mm256_set1_pd(-0.0))); /* exactly -K */
    _mm256_store_pd(a, _mm256_setzero_pd());
    _mm256_store_pd(q, _mm256_setzero_pd());
}

/* Contract: kernels.h, f32_channel_moments. Masked loads: nothing past the
 * last channel of a row is read; masked-off lanes compute on zeros. The sums
 * live in local arrays padded to whole vectors and are copied to s1/s2 at
 * the end, so nothing past s1/s2[groups*channels-1] is written. With at most
 * 4 channels and several blocks, each vector holds one block (its channels
 * in the low lanes): up to MOM_VECS blocks advance together. */
void simdnorm_f32_channel_moments_avx512(size_t rows, size_t channels,
                                         const float *x, size_t stride, size_t groups,
                                         size_t group_stride, double *s1, double *s2)
{
    _Alignas(32) double negk[MOM_GROUP], a[MOM_GROUP], q[MOM_GROUP];
    if (channels <= 4 && groups > 1) {
        const __mmask8 m = (__mmask8)((1u << channels) - 1);
        for (size_t g0 = 0; g0 < groups; g0 += MOM_GROUP / 4) {
            const size_t gn = groups - g0 < MOM_GROUP / 4 ? groups - g0 : MOM_GROUP / 4;
            const float *xg = x + g0 * group_stride;
            for (size_t g = 0; g < gn; g++)
                set_slot(negk + 4 * g, a + 4 * g, q + 4 * g, m, xg + g * group_stride);
            for (size_t r0 = 0; r0 < rows; r0 += MOM_TILE_ROWS) {
                const size_t rn = rows - r0 < MOM_TILE_ROWS ? rows - r0 : MOM_TILE_ROWS;
                for (size_t g = 0; g < gn; g += MOM_VECS) {
                    const int nv = (int)(gn - g < MOM_VECS ? gn - g : MOM_VECS);
                    moments_tiles(nv, m, m, group_stride, rn,
                                  xg + g * group_stride + r0 * stride, stride, negk + 4 * g,
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
            for (size_t c = 0; c < gw; c += 4) {
                const size_t w = gw - c < 4 ? gw - c : 4;
                set_slot(negk + c, a + c, q + c, (__mmask8)((1u << w) - 1), xg + g0 + c);
            }
            for (size_t r0 = 0; r0 < rows; r0 += MOM_TILE_ROWS) {
                const size_t rn = rows - r0 < MOM_TILE_ROWS ? rows - r0 : MOM_TILE_ROWS;
                const float *xt = xg + r0 * stride + g0;
                for (size_t c = 0; c < gw; c += 4 * MOM_VECS) {
                    const size_t w = gw - c < 4 * MOM_VECS ? gw - c : 4 * MOM_VECS;
                    const int nv = (int)((w + 3) / 4);
                    const __mmask8 last = (__mmask8)((1u << (w - 4 * (size_t)(nv - 1))) - 1);
                    moments_tiles(nv, 0xf, last, 4, rn, xt + c, stride, negk + c, a + c, q + c);
                }
            }
            memcpy(s1 + g * channels + g0, a, gw * sizeof(double));
            memcpy(s2 + g * channels + g0, q, gw * sizeof(double));
        }
    }
}

/* ---- f32_normalize_channels ------------------------------------------------
 * A tile is up to NRM_VECS zmm of 16 channels whose shift/scale/offset stay
 * in registers while it walks down NRM_TILE_ROWS rows (all rows when the
 * matrix is no wider than one tile). */
#define NRM_VECS 4
#define NRM_TILE_ROWS 16

static inline __attribute__((always_inline)) void
normalize_tile(int nv, __mmask16 last, size_t rows, const float *x, size_t stride,
               const float *shift, const float *scale, const float *offset, float *y,
               int act, int stream)
{
    __m512 sh[NRM_VECS], sc[NRM_VECS], of[NRM_VECS];
    for (int v = 0; v < nv; v++) {
        const __mmask16 m = v == nv - 1 ? last : 0xffff;
        sh[v] = _mm512_maskz_loadu_ps(m, shift + 16 * v);
        sc[v] = _mm512_maskz_loadu_ps(m, scale + 16 * v);
        of[v] = _mm512_maskz_loadu_ps(m, offset + 16 * v);
    }
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * stride;
        float *yr = y + r * stride;
        /* streaming stores need 64-byte alignment: rows that start on a
         * boundary stream their full vectors */
        const int nt = stream && ((uintptr_t)yr & 63) == 0;
        for (int v = 0; v < nv; v++) {
            const __mmask16 m = v == nv - 1 ? last : 0xffff;
            const __m512 u = _mm512_fmadd_ps(
                _mm512_sub_ps(_mm512_maskz_loadu_ps(m, xr + 16 * v), sh[v]), sc[v], of[v]);
            const __m512 out = act16(u, act);
            if (nt && m == 0xffff)
                _mm512_stream_ps(yr + 16 * v, out);
            else
                _mm512_mask_storeu_ps(yr + 16 * v, m, out);
        }
    }
}

static inline __attribute__((always_inline)) void
normalize_channels(size_t rows, size_t channels, const float *x, size_t stride,
                   const float *shift, const float *scale, const float *offset, float *y,
                   int act, int stream)
{
    const size_t tile_rows = channels <= 16 * NRM_VECS ? rows : NRM_TILE_ROWS;
    for (size_t r0 = 0; r0 < rows; r0 += tile_rows) {
        const size_t rn = rows - r0 < tile_rows ? rows - r0 : tile_rows;
        for (size_t c = 0; c < channels; c += 16 * NRM_VECS) {
            const size_t w = channels - c < 16 * NRM_VECS ? channels - c : 16 * NRM_VECS;
            const int nv = (int)((w + 15) / 16);
            const __mmask16 last = (__mmask16)((1u << (w - 16 * (size_t)(nv - 1))) - 1);
            const float *xc = x + r0 * stride + c;
            float *yc = y + r0 * stride + c;
            switch (nv) {
            case 1: normalize_tile(1, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, act, stream); break;
            case 2: normalize_tile(2, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, act, stream); break;
            case 3: normalize_tile(3, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, act, stream); break;
            default: normalize_tile(4, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, act, stream); break;
            }
        }
    }
}

/* The plain call (act 0) and the activations in functions of their own:
 * the plain code stays what it was before activations existed (no stack
 * realignment for the SLEEF calls' spills). */
static __attribute__((noinline)) void
channels_plain(size_t rows, size_t channels, const float *x, size_t stride, const float *shift,
               const float *scale, const float *offset, float *y)
{
    normalize_channels(rows, channels, x, stride, shift, scale, offset, y, SIMDNORM_ACT_NONE, 0);
}

static __attribute__((noinline)) void
channels_plain_stream(size_t rows, size_t channels, const float *x, size_t stride,
                      const float *shift, const float *scale, const float *offset, float *y)
{
    normalize_channels(rows, channels, x, stride, shift, scale, offset, y, SIMDNORM_ACT_NONE, 1);
}

static __attribute__((noinline)) void
channels_act(size_t rows, size_t channels, const float *x, size_t stride, const float *shift,
             const float *scale, const float *offset, float *y, int act)
{
    SIMDNORM_WITH_CONST_ACT(act, A, normalize_channels(rows, channels, x, stride, shift, scale, offset, y, A, 0))
}

static __attribute__((noinline)) void
channels_act_stream(size_t rows, size_t channels, const float *x, size_t stride,
                    const float *shift, const float *scale, const float *offset, float *y, int act)
{
    SIMDNORM_WITH_CONST_ACT(act, A, normalize_channels(rows, channels, x, stride, shift, scale, offset, y, A, 1))
}

/* Contract: kernels.h, f32_normalize_channels. Masked tails: no load or
 * store touches memory past the last channel of a row. */
void simdnorm_f32_normalize_channels_avx512(size_t rows, size_t channels,
                                            const float *x, size_t stride,
                                            const float *shift, const float *scale,
                                            const float *offset, int act, float *y)
{
    if (act != SIMDNORM_ACT_NONE)
        channels_act(rows, channels, x, stride, shift, scale, offset, y, act);
    else
        channels_plain(rows, channels, x, stride, shift, scale, offset, y);
}

/* Contract: kernels.h, f32_normalize_channels_stream: full vectors of rows
 * that start on a 64-byte boundary are stored non-temporally. */
void simdnorm_f32_normalize_channels_stream_avx512(size_t rows, size_t channels,
                                                   const float *x, size_t stride,
                                                   const float *shift, const float *scale,
                                                   const float *offset, int act, float *y)
{
    if (act != SIMDNORM_ACT_NONE)
        channels_act_stream(rows, channels, x, stride, shift, scale, offset, y, act);
    else
        channels_plain_stream(rows, channels, x, stride, shift, scale, offset, y);
    _mm_sfence();
}
