/* normalize_neon.c - the normalize-scale-shift kernel for AArch64 NEON, with
 * the activation epilogue. */
#include <arm_neon.h>
#include <string.h>

#include "act_neon.h"
#include "kernels.h"

/* t = x - shift, u = fma(t, scale, offset), the affine part chosen by the
 * constant flags, then the activation and NaN lanes replaced by the
 * canonical NaN (act4). */
static inline __attribute__((always_inline)) float32x4_t
normalize4(float32x4_t v, float32x4_t shift, float32x4_t scale, float32x4_t offset,
           float32x4_t g, float32x4_t b, int has_gamma, int has_beta, int act)
{
    const float32x4_t u = vfmaq_f32(offset, vsubq_f32(v, shift), scale);
    float32x4_t r = u;
    if (has_gamma && has_beta)
        r = vfmaq_f32(b, u, g);
    else if (has_gamma)
        r = vmulq_f32(u, g);
    else if (has_beta)
        r = vaddq_f32(u, b);
    return act4(r, act);
}

static inline __attribute__((always_inline)) void
normalize_span(size_t n, const float *x, float shift_s, float scale_s, float offset_s,
               const float *gamma, const float *beta, float *y, int has_gamma, int has_beta,
               int act)
{
    const float32x4_t shift = vdupq_n_f32(shift_s), scale = vdupq_n_f32(scale_s);
    const float32x4_t offset = vdupq_n_f32(offset_s), zero = vdupq_n_f32(0.0f);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int j = 0; j < 16; j += 4) {
            const float32x4_t g = has_gamma ? vld1q_f32(gamma + i + j) : zero;
            const float32x4_t b = has_beta ? vld1q_f32(beta + i + j) : zero;
            vst1q_f32(y + i + j, normalize4(vld1q_f32(x + i + j), shift, scale, offset,
                                            g, b, has_gamma, has_beta, act));
        }
    }
    for (; i + 4 <= n; i += 4) {
        const float32x4_t g = has_gamma ? vld1q_f32(gamma + i) : zero;
        const float32x4_t b = has_beta ? vld1q_f32(beta + i) : zero;
        vst1q_f32(y + i, normalize4(vld1q_f32(x + i), shift, scale, offset, g, b,
                                    has_gamma, has_beta, act));
    }
    if (i < n) {
        /* 1-3 elements: through zero-padded local copies, so nothing past
         * element n-1 is read or written (x is read before y is written). */
        const size_t r = n - i;
        float xt[4] = {0}, gt[4] = {0}, bt[4] = {0}, yt[4];
        memcpy(xt, x + i, r * sizeof(float));
        if (has_gamma)
            memcpy(gt, gamma + i, r * sizeof(float));
        if (has_beta)
            memcpy(bt, beta + i, r * sizeof(float));
        vst1q_f32(yt, normalize4(vld1q_f32(xt), shift, scale, offset, vld1q_f32(gt),
                                 vld1q_f32(bt), has_gamma, has_beta, act));
        memcpy(y + i, yt, r * sizeof(float));
    }
}

/* The four gamma/beta variants of one activation. */
static inline __attribute__((always_inline)) void
normalize_affine(size_t n, const float *x, float shift, float scale, float offset,
                 const float *gamma, const float *beta, float *y, int act)
{
    if (gamma && beta)
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 1, 1, act);
    else if (gamma)
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 1, 0, act);
    else if (beta)
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 0, 1, act);
    else
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 0, 0, act);
}

/* The plain call (act 0) and the activations in functions of their own:
 * the plain code stays what it was before activations existed, the entry
 * point only branches. */
static __attribute__((noinline)) void
normalize_plain(size_t n, const float *x, float shift, float scale, float offset,
                const float *gamma, const float *beta, float *y)
{
    normalize_affine(n, x, shift, scale, offset, gamma, beta, y, SIMDNORM_ACT_NONE);
}

static __attribute__((noinline)) void
normalize_act(size_t n, const float *x, float shift, float scale, float offset,
              const float *gamma, const float *beta, float *y, int act)
{
    SIMDNORM_WITH_CONST_ACT(act, A, normalize_affine(n, x, shift, scale, offset, gamma, beta, y, A))
}

/* Contract: kernels.h, f32_normalize. 16 floats per step, then 4; the last
 * 1-3 go through a zero-padded local buffer, so nothing past element n-1 is
 * read or written. Lanes are independent, so every y_i is the scalar one. */
void simdnorm_f32_normalize_neon(size_t n, const float *x, float shift,
                                 float scale, float offset,
                                 const float *gamma, const float *beta,
                                 int act, float *y)
{
    if (act != SIMDNORM_ACT_NONE)
        normalize_act(n, x, shift, scale, offset, gamma, beta, y, act);
    else
        normalize_plain(n, x, shift, scale, offset, gamma, beta, y);
}

/* Contract: kernels.h, f32_normalize_stream. NEON's non-temporal pair
 * stores (stnp) are only a hint and not exposed by intrinsics: the plain
 * kernel. */
void simdnorm_f32_normalize_stream_neon(size_t n, const float *x, float shift,
                                        float scale, float offset,
                                        const float *gamma, const float *beta,
                                        int act, float *y)
{
    simdnorm_f32_normalize_neon(n, x, shift, scale, offset, gamma, beta, act, y);
}
