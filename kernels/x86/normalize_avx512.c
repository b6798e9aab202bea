/* normalize_avx512.c - the normalize-scale-shift kernel for AVX-512, with
 * the activation epilogue. */
#include <immintrin.h>

#include "act_avx512.h"
#include "kernels.h"

/* One element group: t = x - shift, u = fma(t, scale, offset), then the
 * affine part chosen by has_gamma/has_beta, then the activation and NaN
 * lanes replaced by the canonical NaN (act16; all flags constants after
 * inlining). */
static inline __attribute__((always_inline)) __m512
normalize16(__m512 v, __m512 shift, __m512 scale, __m512 offset, const float *g,
            const float *b, __mmask16 m, int has_gamma, int has_beta, int act)
{
    const __m512 u = _mm512_fmadd_ps(_mm512_sub_ps(v, shift), scale, offset);
    __m512 r = u;
    if (has_gamma && has_beta)
        r = _mm512_fmadd_ps(u, _mm512_maskz_loadu_ps(m, g), _mm512_maskz_loadu_ps(m, b));
    else if (has_gamma)
        r = _mm512_mul_ps(u, _mm512_maskz_loadu_ps(m, g));
    else if (has_beta)
        r = _mm512_add_ps(u, _mm512_maskz_loadu_ps(m, b));
    return act16(r, act);
}

/* stream: full vectors of y from its first 64-byte boundary on are written
 * with non-temporal stores (the head before it is masked, as the tail). */
static inline __attribute__((always_inline)) void
normalize_span(size_t n, const float *x, float shift_s, float scale_s, float offset_s,
               const float *gamma, const float *beta, float *y, int has_gamma, int has_beta,
               int act, int stream)
{
    const __m512 shift = _mm512_set1_ps(shift_s), scale = _mm512_set1_ps(scale_s);
    const __m512 offset = _mm512_set1_ps(offset_s);
    size_t i = 0;
    if (stream && ((uintptr_t)y & 3) == 0) {
        const size_t mis = ((uintptr_t)y & 63) / sizeof(float);
        const size_t h = mis == 0 ? 0 : 16 - mis < n ? 16 - mis : n;
        if (h) {
            const __mmask16 m = (__mmask16)((1u << h) - 1);
            const __m512 r = normalize16(_mm512_maskz_loadu_ps(m, x), shift, scale, offset,
                                         gamma, beta, m, has_gamma, has_beta, act);
            _mm512_mask_storeu_ps(y, m, r);
            i = h;
        }
        for (; i + 16 <= n; i += 16) {
            const __m512 r = normalize16(_mm512_loadu_ps(x + i), shift, scale, offset,
                                         has_gamma ? gamma + i : gamma,
                                         has_beta ? beta + i : beta, 0xffff, has_gamma,
                                         has_beta, act);
            _mm512_stream_ps(y + i, r);
        }
    }
    for (; i + 16 <= n; i += 16) {
        const __m512 r = normalize16(_mm512_loadu_ps(x + i), shift, scale, offset,
                                     has_gamma ? gamma + i : gamma,
                                     has_beta ? beta + i : beta, 0xffff, has_gamma, has_beta,
                                     act);
        _mm512_storeu_ps(y + i, r);
    }
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m512 r = normalize16(_mm512_maskz_loadu_ps(m, x + i), shift, scale,
                                     offset, has_gamma ? gamma + i : gamma,
                                     has_beta ? beta + i : beta, m, has_gamma, has_beta, act);
        _mm512_mask_storeu_ps(y + i, m, r);
    }
    if (stream)
        _mm_sfence();
}

/* The four gamma/beta variants of one activation. */
static inline __attribute__((always_inline)) void
normalize_affine(size_t n, const float *x, float shift, float scale, float offset,
                 const float *gamma, const float *beta, float *y, int act, int stream)
{
    if (gamma && beta)
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 1, 1, act, stream);
    else if (gamma)
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 1, 0, act, stream);
    else if (beta)
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 0, 1, act, stream);
    else
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 0, 0, act, stream);
}

/* The plain call (act 0) and the activations in functions of their own:
 * the plain code stays what it was before activations existed (no stack
 * realignment for the SLEEF calls' spills), the entry points only branch. */
static __attribute__((noinline)) void
normalize_plain(size_t n, const float *x, float shift, float scale, float offset,
                const float *gamma, const float *beta, float *y)
{
    normalize_affine(n, x, shift, scale, offset, gamma, beta, y, SIMDNORM_ACT_NONE, 0);
}

static __attribute__((noinline)) void
normalize_plain_stream(size_t n, const float *x, float shift, float scale, float offset,
                       const float *gamma, const float *beta, float *y)
{
    normalize_affine(n, x, shift, scale, offset, gamma, beta, y, SIMDNORM_ACT_NONE, 1);
}

static __attribute__((noinline)) void
normalize_act(size_t n, const float *x, float shift, float scale, float offset,
              const float *gamma, const float *beta, float *y, int act)
{
    SIMDNORM_WITH_CONST_ACT(act, A, normalize_affine(n, x, shift, scale, offset, gamma, beta, y, A, 0))
}

static __attribute__((noinline)) void
normalize_act_stream(size_t n, const float *x, float shift, float scale, float offset,
                     const float *gamma, const float *beta, float *y, int act)
{
    SIMDNORM_WITH_CONST_ACT(act, A, normalize_affine(n, x, shift, scale, offset, gamma, beta, y, A, 1))
}

/* Contract: kernels.h, f32_normalize. 16 floats per step, masked tail: no
 * load or store touches memory past element n-1. */
void simdnorm_f32_normalize_avx512(size_t n, const float *x, float shift,
                                   float scale, float offset,
                                   const float *gamma, const float *beta,
                                   int act, float *y)
{
    if (act != SIMDNORM_ACT_NONE)
        normalize_act(n, x, shift, scale, offset, gamma, beta, y, act);
    else
        normalize_plain(n, x, shift, scale, offset, gamma, beta, y);
}

/* Contract: kernels.h, f32_normalize_stream. As above, with non-temporal
 * stores of the 64-byte-aligned full vectors of y, then a store fence. */
void simdnorm_f32_normalize_stream_avx512(size_t n, const float *x, float shift,
                                          float scale, float offset,
                                          const float *gamma, const float *beta,
                                          int act, float *y)
{
    if (act != SIMDNORM_ACT_NONE)
        normalize_act_stream(n, x, shift, scale, offset, gamma, beta, y, act);
    else
        normalize_plain_stream(n, x, shift, scale, offset, gamma, beta, y);
}
