/* add_neon.c - the residual add h = (x + r) + b for AArch64 NEON. */
#include <arm_neon.h>
#include <string.h>

#include "kernels.h"

static inline __attribute__((always_inline)) float32x4_t add4(float32x4_t v, float32x4_t r,
                                                              float32x4_t b, int has_r,
                                                              int has_b)
{
    if (has_r)
        v = vaddq_f32(v, r);
    if (has_b)
        v = vaddq_f32(v, b);
    const uint32x4_t ordered = vceqq_f32(v, v); /* false only for NaN */
    return vbslq_f32(ordered, v, vreinterpretq_f32_u32(vdupq_n_u32(SIMDNORM_CANONICAL_NAN_BITS)));
}

static inline __attribute__((always_inline)) void add_span(size_t n, const float *x,
                                                           const float *r, const float *b,
                                                           float *h, int has_r, int has_b)
{
    const float32x4_t zero = vdupq_n_f32(0.0f);
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(h + i, add4(vld1q_f32(x + i), has_r ? vld1q_f32(r + i) : zero,
                              has_b ? vld1q_f32(b + i) : zero, has_r, has_b));
    if (i < n) {
        /* 1-3 elements through zero-padded local copies */
        const size_t k = n - i;
        float xt[4] = {0}, rt[4] = {0}, bt[4] = {0};
        memcpy(xt, x + i, k * sizeof(float));
        if (has_r)
            memcpy(rt, r + i, k * sizeof(float));
        if (has_b)
            memcpy(bt, b + i, k * sizeof(float));
        vst1q_f32(xt, add4(vld1q_f32(xt), vld1q_f32(rt), vld1q_f32(bt), has_r, has_b));
        memcpy(h + i, xt, k * sizeof(float));
    }
}

/* Contract: kernels.h, f32_add. Nothing past n-1 is touched; each vector
 * is loaded before it is stored, so h == x or h == r works. */
void simdnorm_f32_add_neon(size_t n, const float *x, const float *r, const float *b, float *h)
{
    if (r && b)
        add_span(n, x, r, b, h, 1, 1);
    else if (r)
        add_span(n, x, r, b, h, 1, 0);
    else if (b)
        add_span(n, x, r, b, h, 0, 1);
    else
        add_span(n, x, r, b, h, 0, 0);
}
