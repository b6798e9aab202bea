/* normalize_avx2.c - the normalize-scale-shift kernel for AVX2 + FMA, with
 * the activation epilogue. */
#include <immintrin.h>
#include <string.h>

#include "act_avx2.h"
#include "kernels.h"

/* t = x - shift, u = fma(t, scale, offset), the affine part chosen by the
 * constant flags, then the activation and NaN lanes replaced by the
 * canonical NaN (act8). */
static inline __attribute__((always_inline)) __m256
normalize8(__m256 v, __m256 shift, __m256 scale, __m256 offset, __m256 g, __m256 b,
           int has_gamma, int has_beta, int act)
{
    const __m256 u = _mm256_fmadd_ps(_mm256_sub_ps(v, shift), scale, offset);
    __m256 r = u;
    if (has_gamma && has_beta)
        r = _mm256_fmadd_ps(u, g, b);
    else if (has_gamma)
        r = _mm256_mul_ps(u, g);
    else if (has_beta)
        r = _mm256_add_ps(u, b);
    return act8(r, act);
}

/* Elements [i, i+r) with 1 <= r < 8 through zeroed local copies rather than
 * vmaskmovps: no access past them on any CPU or emulator (qemu 7.2's
 * vmaskmovps faults on masked-off elements of a PROT_NONE page). */
static inline __attribute__((always_inline)) void
normalize_part(size_t i, size_t r, const float *x, __m256 shift, __m256 scale, __m256 offset,
               const float *gamma, const float *beta, float *y, int has_gamma, int has_beta,
               int act)
{
    float xt[8] = {0}, gt[8] = {0}, bt[8] = {0}, yt[8];
    memcpy(xt, x + i, r * sizeof(float));
    if (has_gamma)
        memcpy(gt, gamma + i, r * sizeof(float));
    if (has_beta)
        memcpy(bt, beta + i, r * sizeof(float));
    _mm256_storeu_ps(yt, normalize8(_mm256_loadu_ps(xt), shift, scale, offset,
                                    _mm256_loadu_ps(gt), _mm256_loadu_ps(bt),
                                    has_gamma, has_beta, act));
    memcpy(y + i, yt, r * sizeof(float));
}

/* stream: full vectors of y from its first 32-byte boundary on are written
 * with non-temporal stores (the head before it goes as the tail does). */
static inline __attribute__((always_inline)) void
normalize_span(size_t n, const float *x, float shift_s, float scale_s, float offset_s,
               const float *gamma, const float *beta, float *y, int has_gamma, int has_beta,
               int act, int stream)
{
    const __m256 shift = _mm256_set1_ps(shift_s), scale = _mm256_set1_ps(scale_s);
    const __m256 offset = _mm256_set1_ps(offset_s), zero = _mm256_setzero_ps();
    size_t i = 0;
    if (stream && ((uintptr_t)y & 3) == 0) {
        const size_t mis = ((uintptr_t)y & 31) / sizeof(float);
        const size_t h = mis == 0 ? 0 : 8 - mis < n ? 8 - mis : n;
        if (h) {
            normalize_part(0, h, x, shift, scale, offset, gamma, beta, y, has_gamma, has_beta, act);
            i = h;
        }
        for (; i + 8 <= n; i += 8) {
            const __m256 g = has_gamma ? _mm256_loadu_ps(gamma + i) : zero;
            const __m256 b = has_beta ? _mm256_loadu_ps(beta + i) : zero;
            _mm256_stream_ps(y + i, normalize8(_mm256_loadu_ps(x + i), shift, scale,
                                               offset, g, b, has_gamma, has_beta, act));
        }
    }
    for (; i + 8 <= n; i += 8) {
        const __m256 g = has_gamma ? _mm256_loadu_ps(gamma + i) : zero;
        const __m256 b = has_beta ? _mm256_loadu_ps(beta + i) : zero;
        _mm256_storeu_ps(y + i, normalize8(_mm256_loadu_ps(x + i), shift, scale,
                                           offset, g, b, has_gamma, has_beta, act));
    }
    if (i < n)
        normalize_part(i, n - i, x, shift, scale, offset, gamma, beta, y, has_gamma, has_beta, act);
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

/* Contract: kernels.h, f32_normalize. 8 floats per step; the tail goes
 * through local copies, so nothing past element n-1 is read or written. */
void simdnorm_f32_normalize_avx2(size_t n, const float *x, float shift,
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
 * stores of the 32-byte-aligned full vectors of y, then a store fence. */
void simdnorm_f32_normalize_stream_avx2(size_t n, const float *x, float shift,
                                        float scale, float offset,
                                        const float *gamma, const float *beta,
                                        int act, float *y)
{
    if (act != SIMDNORM_ACT_NONE)
        normalize_act_stream(n, x, shift, scale, offset, gamma, beta, y, act);
    else
        normalize_plain_stream(n, x, shift, scale, offset, gamma, beta, y);
}
