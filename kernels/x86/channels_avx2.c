/* channels_avx2.c - the channel (column) kernels for AVX2 + FMA: BatchNorm's
 * NHWC statistics and normalize, channels in vector lanes. */
#include <immintrin.h>
#include <string.h>

#include "act_avx2.h"
#include "kernels.h"

/* Partial vectors: the first n floats at p, zeros above, and the reverse.
 * Built from 4- and 8-byte scalar moves, so nothing past p[n-1] is touched
 * (vmaskmovps is avoided: qemu 7.2 faults on its masked-off elements at a
 * PROT_NONE page). */
static inline __m128 load_part4(const float *p, size_t n)
{
    switch (n) {
    case 0: return _mm_setzero_ps();
    case 1: return _mm_load_ss(p);
    case 2: return _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)p));
    case 3: return _mm_movelh_ps(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)p)),
                                 _mm_load_ss(p + 2));
    default: return _mm_loadu_ps(p);
    }
}

static inline void store_part4(float *p, size_t n, __m128 v)
{
    switch (n) {
    case 0: break;
    case 1: _mm_store_ss(p, v); break;
    case 2: _mm_storel_epi64((__m128i *)(void *)p, _mm_castps_si128(v)); break;
    case 3:
        _mm_storel_epi64((__m128i *)(void *)p, _mm_castps_si128(v));
        _mm_store_ss(p + 2, _mm_movehl_ps(v, v));
        break;
    default: _mm_storeu_ps(p, v); break;
    }
}

static inline __m256 load_part8(const float *p, size_t n)
{
    if (n >= 8)
        return _mm256_loadu_ps(p);
    return _mm256_set_m128(load_part4(p + 4, n > 4 ? n - 4 : 0), load_part4(p, n < 4 ? n : 4));
}

static inline void store_part8(float *p, size_t n, __m256 v)
{
    if (n >= 8) {
        _mm256_storeu_ps(p, v);
        return;
    }
    store_part4(p, n < 4 ? n : 4, _mm256_castps256_ps128(v));
    store_part4(p + 4, n > 4 ? n - 4 : 0, _mm256_extractf128_ps(v, 1));
}

/* ---- f32_channel_moments ---------------------------------------------------
 * As the AVX-512 kernel (channels_avx512.c) with ymm of 4 doubles: a tile is
 * MOM_VECS ymm (16 channels, or 4 blocks of at most 4 channels; 8
 * independent add/FMA chains) walking MOM_TILE_ROWS rows with its sums in
 * registers. The last vector of a row may
 * be partial (1-3 channels) and is loaded with scalar moves; its absent lanes
 * compute on zeros and are never stored. d = fma(x, 1, -K) is x - K rounded
 * once, as the scalar kernel's subtraction. The tiles are half as tall as
 * the AVX-512 ones: a tile here is one cache line wide, and with 32 rows the
 * statistics of 32x64x56x56 NHWC read memory at ~17 GB/s instead of ~30
 * (measured; the window the tiles of a row group revisit is smaller). */
#define MOM_VECS 4
#define MOM_TILE_ROWS 16
#define MOM_GROUP 256

/* One tile: nv vectors of 4 lanes, vector v read at x + v*vstep of each row
 * (vstep 4: consecutive channels, all vectors full but the last with `last`
 * lanes; group_stride: one block per vector, every vector with `last`
 * lanes). The sums live in 4-lane slots of local arrays between tiles. */
static inline __attribute__((always_inline)) void
moments_tile(int nv, int all_partial, size_t last, size_t vstep, size_t rows,
             const float *x, size_t stride, const double *negk, double *s1, double *s2)
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
            const float *p = xr + (size_t)v * vstep;
            const __m128 xv = all_partial || v == nv - 1 ? load_part4(p, last) : _mm_loadu_ps(p);
            const __m256d d = _mm256_fmadd_pd(_mm256_cvtps_pd(xv), one, nk[v]);
            a[v] = _mm256_add_pd(a[v], d);
            q[v] = _mm256_fmadd_pd(d, d, q[v]);
        }
    }
    for (int v = 0; v < nv; v++) {
        _mm256_store_pd(s1 + 4 * v, a[v]);
        _mm256_store_pd(s2 + 4 * v, q[v]);
    }
}

static inline __attribute__((always_inline)) void
moments_tiles(int nv, int all_partial, size_t last, size_t vstep, size_t rows, const float *x,
              size_t stride, const double *negk, double *s1, double *s2)
{
    switch (nv) {
    case 1: moments_tile(1, all_partial, last, vstep, rows, x, stride, negk, s1, s2); break;
    case 2: moments_tile(2, all_partial, last, vstep, rows, x, stride, negk, s1, s2); break;
    case 3: moments_tile(3, all_partial, last, vstep, rows, x, stride, negk, s1, s2); break;
    default: moments_tile(4, all_partial, last, vstep, rows, x, stride, negk, s1, s2); break;
    }
}

/* -K of one vector slot of w lanes (the others get -0 and never leave the
 * kernel), sums zeroed. */
static inline void set_slot(double *negk, double *a, double *q, size_t w, const float *k)
{
    const __m256d kv = _mm256_cvtps_pd(load_part4(k, w));
    _mm256_store_pd(negk, _mm256_xor_pd(kv, _mm256_set1_pd(-0.0))); /* exactly -K */
    _mm256_store_pd(a, _mm256_setzero_pd());
    _mm256_store_pd(q, _mm256_setzero_pd());
}

/* Contract: kernels.h, f32_channel_moments. The sums live in local arrays
 * padded to whole vectors and are copied to s1/s2 at the end, so nothing
 * past s1/s2[groups*channels-1] is written. With at most 4 channels and
 * several blocks, each vector holds one block: MOM_VECS blocks advance
 * together. */
void simdnorm_f32_channel_moments_avx2(size_t rows, size_t channels,
                                       const float *x, size_t stride, size_t groups,
                                       size_t group_stride, double *s1, double *s2)
{
    _Alignas(32) double negk[MOM_GROUP], a[MOM_GROUP], q[MOM_GROUP];
    if (channels <= 4 && groups > 1) {
        for (size_t g0 = 0; g0 < groups; g0 += MOM_GROUP / 4) {
            const size_t gn = groups - g0 < MOM_GROUP / 4 ? groups - g0 : MOM_GROUP / 4;
            const float *xg = x + g0 * group_stride;
            for (size_t g = 0; g < gn; g++)
                set_slot(negk + 4 * g, a + 4 * g, q + 4 * g, channels, xg + g * group_stride);
            for (size_t r0 = 0; r0 < rows; r0 += MOM_TILE_ROWS) {
                const size_t rn = rows - r0 < MOM_TILE_ROWS ? rows - r0 : MOM_TILE_ROWS;
                for (size_t g = 0; g < gn; g += MOM_VECS) {
                    const int nv = (int)(gn - g < MOM_VECS ? gn - g : MOM_VECS);
                    moments_tiles(nv, 1, channels, group_stride, rn,
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
            for (size_t c = 0; c < gw; c += 4)
                set_slot(negk + c, a + c, q + c, gw - c < 4 ? gw - c : 4, xg + g0 + c);
            for (size_t r0 = 0; r0 < rows; r0 += MOM_TILE_ROWS) {
                const size_t rn = rows - r0 < MOM_TILE_ROWS ? rows - r0 : MOM_TILE_ROWS;
                const float *xt = xg + r0 * stride + g0;
                for (size_t c = 0; c < gw; c += 4 * MOM_VECS) {
                    const size_t w = gw - c < 4 * MOM_VECS ? gw - c : 4 * MOM_VECS;
                    const int nv = (int)((w + 3) / 4);
                    const size_t last = w - 4 * (size_t)(nv - 1);
                    moments_tiles(nv, 0, last, 4, rn, xt + c, stride, negk + c, a + c, q + c);
                }
            }
            memcpy(s1 + g * channels + g0, a, gw * sizeof(double));
            memcpy(s2 + g * channels + g0, q, gw * sizeof(double));
        }
    }
}

/* ---- f32_normalize_channels ------------------------------------------------
 * A tile is up to NRM_VECS ymm of 8 channels (two whole cache lines, so that
 * streaming stores of a line come from one tile) whose shift/scale/offset
 * stay in registers while it walks down NRM_TILE_ROWS rows (all rows when
 * the matrix is no wider than one tile). The last vector of a row may be
 * partial and goes through load_part8/store_part8. */
#define NRM_VECS 4
#define NRM_TILE_ROWS 16

static inline __attribute__((always_inline)) __m256 normalize8(__m256 v, __m256 sh, __m256 sc,
                                                               __m256 of, int act)
{
    return act8(_mm256_fmadd_ps(_mm256_sub_ps(v, sh), sc, of), act);
}

static inline __attribute__((always_inline)) void
normalize_tile(int nv, size_t last, size_t rows, const float *x, size_t stride,
               const float *shift, const float *scale, const float *offset, float *y,
               int act, int stream)
{
    __m256 sh[NRM_VECS], sc[NRM_VECS], of[NRM_VECS];
    for (int v = 0; v < nv; v++) {
        const size_t w = v == nv - 1 ? last : 8;
        sh[v] = load_part8(shift + 8 * v, w);
        sc[v] = load_part8(scale + 8 * v, w);
        of[v] = load_part8(offset + 8 * v, w);
    }
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * stride;
        float *yr = y + r * stride;
        /* streaming stores need 32-byte alignment: rows that start on a
         * boundary stream their full vectors */
        const int nt = stream && ((uintptr_t)yr & 31) == 0;
        for (int v = 0; v < nv - 1; v++) {
            const __m256 out = normalize8(_mm256_loadu_ps(xr + 8 * v), sh[v], sc[v], of[v], act);
            if (nt)
                _mm256_stream_ps(yr + 8 * v, out);
            else
                _mm256_storeu_ps(yr + 8 * v, out);
        }
        const int v = nv - 1;
        if (last == 8 && nt)
            _mm256_stream_ps(yr + 8 * v, normalize8(_mm256_loadu_ps(xr + 8 * v), sh[v], sc[v], of[v], act));
        else if (last == 8)
            _mm256_storeu_ps(yr + 8 * v, normalize8(_mm256_loadu_ps(xr + 8 * v), sh[v], sc[v], of[v], act));
        else
            store_part8(yr + 8 * v, last,
                        normalize8(load_part8(xr + 8 * v, last), sh[v], sc[v], of[v], act));
    }
}

static inline __attribute__((always_inline)) void
normalize_channels(size_t rows, size_t channels, const float *x, size_t stride,
                   const float *shift, const float *scale, const float *offset, float *y,
                   int act, int stream)
{
    const size_t tile_rows = channels <= 8 * NRM_VECS ? rows : NRM_TILE_ROWS;
    for (size_t r0 = 0; r0 < rows; r0 += tile_rows) {
        const size_t rn = rows - r0 < tile_rows ? rows - r0 : tile_rows;
        for (size_t c = 0; c < channels; c += 8 * NRM_VECS) {
            const size_t w = channels - c < 8 * NRM_VECS ? channels - c : 8 * NRM_VECS;
            const int nv = (int)((w + 7) / 8);
            const size_t last = w - 8 * (size_t)(nv - 1);
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

/* Contract: kernels.h, f32_normalize_channels. Nothing past the last channel
 * of a row is read or written. */
void simdnorm_f32_normalize_channels_avx2(size_t rows, size_t channels,
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
 * that start on a 32-byte boundary are stored non-temporally. */
void simdnorm_f32_normalize_channels_stream_avx2(size_t rows, size_t channels,
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
