/* channels_avx512.c - the channel (column) kernels for AVX-512 (F, BW, DQ,
 * VL): BatchNorm's NHWC statistics and normalize, channels in vector lanes. */
#include <immintrin.h>

#include "kernels.h"

/* ---- f32_channel_moments ---------------------------------------------------
 * Channels sit in the lanes of zmm registers of 8 doubles and the kernel
 * walks down the rows, so each channel's sums are one sequential chain, as in
 * the scalar kernel (kernels.h). One chain per register has the latency of an
 * add per row, so a tile keeps up to MOM_VECS registers of channels (64) in
 * flight: 2 * MOM_VECS independent chains hide the add/FMA latency. The
 * tile walks MOM_TILE_ROWS rows with its sums in registers, then parks them
 * in s1/s2 and the next tile (the next 64 channels of the same rows) starts:
 * the data is read nearly in memory order even when a row is long. The shift
 * K of a group of up to MOM_GROUP channels is widened once into a local
 * array. d = x - K is computed as fma(x, 1, -K), the same single rounding of
 * the same exact value, on the FMA pipes instead of the add pipes, which the
 * s1 chain and the float->double conversion already load. */
#define MOM_VECS 8
#define MOM_TILE_ROWS 32
#define MOM_GROUP 256

static inline __attribute__((always_inline)) void
moments_tile(int nv, __mmask8 last, size_t rows, const float *x, size_t stride,
             const double *negk, double *s1, double *s2)
{
    __m512d a[MOM_VECS], q[MOM_VECS], nk[MOM_VECS];
    const __m512d one = _mm512_set1_pd(1.0);
    for (int v = 0; v < nv; v++) {
        const __mmask8 m = v == nv - 1 ? last : 0xff;
        nk[v] = _mm512_load_pd(negk + 8 * v);
        a[v] = _mm512_maskz_loadu_pd(m, s1 + 8 * v);
        q[v] = _mm512_maskz_loadu_pd(m, s2 + 8 * v);
    }
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * stride;
        for (int v = 0; v < nv; v++) {
            const __mmask8 m = v == nv - 1 ? last : 0xff;
            const __m512d d = _mm512_fmadd_pd(
                _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, xr + 8 * v)), one, nk[v]);
            a[v] = _mm512_add_pd(a[v], d);
            q[v] = _mm512_fmadd_pd(d, d, q[v]);
        }
    }
    for (int v = 0; v < nv; v++) {
        const __mmask8 m = v == nv - 1 ? last : 0xff;
        _mm512_mask_storeu_pd(s1 + 8 * v, m, a[v]);
        _mm512_mask_storeu_pd(s2 + 8 * v, m, q[v]);
    }
}

/* Contract: kernels.h, f32_channel_moments. Masked loads and stores: nothing
 * past the last channel of a row is read, nothing past s1/s2[channels-1]
 * written. Masked-off lanes compute on zeros and are never stored. */
void simdnorm_f32_channel_moments_avx512(size_t rows, size_t channels,
                                         const float *x, size_t stride,
                                         double *s1, double *s2)
{
    _Alignas(64) double negk[MOM_GROUP];
    for (size_t g0 = 0; g0 < channels; g0 += MOM_GROUP) {
        const size_t gw = channels - g0 < MOM_GROUP ? channels - g0 : MOM_GROUP;
        for (size_t c = 0; c < gw; c += 8) {
            const size_t w = gw - c < 8 ? gw - c : 8;
            const __mmask8 m = (__mmask8)((1u << w) - 1);
            const __m512d k = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, x + g0 + c));
            _mm512_store_pd(negk + c, _mm512_xor_pd(k, _mm512_set1_pd(-0.0))); /* exactly -K */
            _mm512_mask_storeu_pd(s1 + g0 + c, m, _mm512_setzero_pd());
            _mm512_mask_storeu_pd(s2 + g0 + c, m, _mm512_setzero_pd());
        }
        for (size_t r0 = 0; r0 < rows; r0 += MOM_TILE_ROWS) {
            const size_t rn = rows - r0 < MOM_TILE_ROWS ? rows - r0 : MOM_TILE_ROWS;
            const float *xt = x + r0 * stride + g0;
            for (size_t c = 0; c < gw; c += 8 * MOM_VECS) {
                const size_t w = gw - c < 8 * MOM_VECS ? gw - c : 8 * MOM_VECS;
                const int nv = (int)((w + 7) / 8);
                const __mmask8 last = (__mmask8)((1u << (w - 8 * (size_t)(nv - 1))) - 1);
                const float *xc = xt + c;
                double *a = s1 + g0 + c, *q = s2 + g0 + c;
                switch (nv) {
                case 1: moments_tile(1, last, rn, xc, stride, negk + c, a, q); break;
                case 2: moments_tile(2, last, rn, xc, stride, negk + c, a, q); break;
                case 3: moments_tile(3, last, rn, xc, stride, negk + c, a, q); break;
                case 4: moments_tile(4, last, rn, xc, stride, negk + c, a, q); break;
                case 5: moments_tile(5, last, rn, xc, stride, negk + c, a, q); break;
                case 6: moments_tile(6, last, rn, xc, stride, negk + c, a, q); break;
                case 7: moments_tile(7, last, rn, xc, stride, negk + c, a, q); break;
                default: moments_tile(8, last, rn, xc, stride, negk + c, a, q); break;
                }
            }
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
               int stream)
{
    __m512 sh[NRM_VECS], sc[NRM_VECS], of[NRM_VECS];
    const __m512 nan = _mm512_castsi512_ps(_mm512_set1_epi32((int)SIMDNORM_CANONICAL_NAN_BITS));
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
            const __mmask16 isnan = _mm512_cmp_ps_mask(u, u, _CMP_UNORD_Q);
            const __m512 out = _mm512_mask_mov_ps(u, isnan, nan);
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
                   int stream)
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
            case 1: normalize_tile(1, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, stream); break;
            case 2: normalize_tile(2, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, stream); break;
            case 3: normalize_tile(3, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, stream); break;
            default: normalize_tile(4, last, rn, xc, stride, shift + c, scale + c, offset + c, yc, stream); break;
            }
        }
    }
}

/* Contract: kernels.h, f32_normalize_channels. Masked tails: no load or
 * store touches memory past the last channel of a row. */
void simdnorm_f32_normalize_channels_avx512(size_t rows, size_t channels,
                                            const float *x, size_t stride,
                                            const float *shift, const float *scale,
                                            const float *offset, float *y)
{
    normalize_channels(rows, channels, x, stride, shift, scale, offset, y, 0);
}

/* Contract: kernels.h, f32_normalize_channels_stream: full vectors of rows
 * that start on a 64-byte boundary are stored non-temporally. */
void simdnorm_f32_normalize_channels_stream_avx512(size_t rows, size_t channels,
                                                   const float *x, size_t stride,
                                                   const float *shift, const float *scale,
                                                   const float *offset, float *y)
{
    normalize_channels(rows, channels, x, stride, shift, scale, offset, y, 1);
    _mm_sfence();
}
