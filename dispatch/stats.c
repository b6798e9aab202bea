/* stats.c - from kernel sums to statistics, and the accurate slow path; all
 * in plain double C compiled once, so every ISA shares it bit for bit. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "half.h"
#include "internal.h"

simdnorm_moments simdnorm_mom_merge(simdnorm_moments a, simdnorm_moments b)
{
    return simdnorm_moments_merge_with(a, b, simdnorm_merge_weights_of(a.count, b.count));
}

simdnorm_moments simdnorm_block_moments(size_t len, float shift, double s1, double s2)
{
    /* Shifted sums: mean = K + S1/len, M2 = S2 - S1^2/len. Since K is one
     * of the block's values, (mean - K)^2 <= M2, so the subtraction loses
     * at most log2(len) of double's 53 bits. */
    const double dm = s1 / (double)len;
    simdnorm_moments b;
    b.count = (double)len;
    b.mean = (double)shift + dm;
    b.m2 = s2 - s1 * dm;
    if (b.m2 < 0.0)
        b.m2 = 0.0;
    return b;
}

/* Whether the fast kernel's sums about K meet the accuracy contract. */
enum fast_verdict {
    FAST_OK,        /* use them */
    FAST_FAR_SHIFT, /* K is more than one standard deviation from the mean */
    FAST_NO,        /* overflow, underflow or NaN/Inf: only the exact kernel */
};

/* OK when finite (no float overflow), the shift within one standard deviation
 * of the mean (S1^2/n <= M2: the subtraction loses at most one bit), and the
 * variance at least 2^-60 (no float square that matters underflowed). On OK
 * *b holds the block's moments. */
static enum fast_verdict judge_fast_sums(double n, float k, const double s[2],
                                         simdnorm_moments *b)
{
    if (!isfinite(s[0]) || !isfinite(s[1]))
        return FAST_NO;
    const double dm = s[0] * (1.0 / n); /* 1/n is ready before the sums are */
    const double c = s[0] * dm;
    const double m2 = s[1] - c;
    b->count = n;
    b->mean = (double)k + dm;
    b->m2 = m2;
    if (!(c <= m2))
        return FAST_FAR_SHIFT;
    return m2 >= 0x1p-60 * n ? FAST_OK : FAST_NO;
}

/* Moments of one block (1 <= n <= SIMDNORM_BLOCK). The fast kernel runs about
 * the mean of the first (up to) 8 elements; if that shift was too far off, once
 * more about the mean it found; if its sums still fail the contract (overflow,
 * underflow, NaN/Inf), the exact kernel decides, about x[0]: a sample, so
 * (mean - x[0])^2 <= M2 and the cancellation costs at most log2(n) of
 * double's 53 bits. */
simdnorm_moments simdnorm_finish_block(const simdnorm_kernels *k, size_t n, const float *x,
                                       float shift, const double fast[2])
{
    const double len = (double)n;
    double s[2] = {fast[0], fast[1]};
    simdnorm_moments b;
    enum fast_verdict v = judge_fast_sums(len, shift, s, &b);
    if (v == FAST_FAR_SHIFT) {
        shift = (float)b.mean;
        k->f32_moments(n, x, shift, s);
        v = judge_fast_sums(len, shift, s, &b);
    }
    if (v == FAST_OK)
        return b;
    k->f32_moments_exact(n, x, x[0], s);
    return simdnorm_block_moments(n, x[0], s[0], s[1]);
}

static simdnorm_moments block_moments(const simdnorm_kernels *k, simdnorm_f32_moments_fn fast,
                                      size_t n, const float *x)
{
    const float shift = simdnorm_head_shift(n, x);
    double s[2];
    fast(n, x, shift, s);
    return simdnorm_finish_block(k, n, x, shift, s);
}

int simdnorm_fast_sumsq_ok(size_t n, double ss)
{
    return isfinite(ss) && ss >= 0x1p-60 * (double)n;
}

static simdnorm_moments span_moments(const simdnorm_kernels *k, simdnorm_f32_moments_fn fast,
                                     size_t n, const float *x)
{
    simdnorm_moments total = {0.0, 0.0, 0.0};
    for (size_t off = 0; off < n; off += SIMDNORM_BLOCK) {
        const size_t len = n - off < SIMDNORM_BLOCK ? n - off : SIMDNORM_BLOCK;
        const simdnorm_moments b = block_moments(k, fast, len, x + off);
        total = off == 0 ? b : simdnorm_mom_merge(total, b);
    }
    return total;
}

simdnorm_moments simdnorm_span_moments(const simdnorm_kernels *k, size_t n, const float *x)
{
    return span_moments(k, k->f32_moments, n, x);
}

simdnorm_moments simdnorm_span_moments_mem(const simdnorm_kernels *k, size_t n, const float *x)
{
    return span_moments(k, k->f32_moments_seq, n, x);
}

/* ---- the same on 16-bit spans (the NCHW BatchNorm/GroupNorm twins) ---- */

float simdnorm_head_shift_half(const simdnorm_kernels *k, int storage, size_t n, const void *x)
{
    float h[8];
    const size_t m = n < 8 ? n : 8; /* simdnorm_head_shift reads at most 8 */
    simdnorm_half_widen_k(k, storage, m, x, h);
    return simdnorm_head_shift(m, h);
}

simdnorm_moments simdnorm_finish_block_half(const simdnorm_kernels *k, int storage, size_t n,
                                            const void *x, float shift, const double fast[2],
                                            float *buf)
{
    simdnorm_moments b;
    if (judge_fast_sums((double)n, shift, fast, &b) == FAST_OK)
        return b;
    simdnorm_half_widen_k(k, storage, n, x, buf);
    return simdnorm_finish_block(k, n, buf, shift, fast);
}

simdnorm_moments simdnorm_span_moments_half(const simdnorm_kernels *k, int storage, size_t n,
                                            const void *x, int mem, float *buf)
{
    simdnorm_moments total = {0.0, 0.0, 0.0};
    for (size_t off = 0; off < n; off += SIMDNORM_BLOCK) {
        const size_t len = n - off < SIMDNORM_BLOCK ? n - off : SIMDNORM_BLOCK;
        const uint16_t *xb = (const uint16_t *)x + off;
        const float shift = simdnorm_head_shift_half(k, storage, len, xb);
        double s[2];
        if (mem)
            (storage == 1 ? k->bf16_moments_seq : k->f16_moments_seq)(len, xb, shift, s);
        else
            (storage == 1 ? k->bf16_moments_rows : k->f16_moments_rows)(1, len, xb, len, &shift,
                                                                        &s[0], &s[1]);
        const simdnorm_moments b = simdnorm_finish_block_half(k, storage, len, xb, shift, s, buf);
        total = off == 0 ? b : simdnorm_mom_merge(total, b);
    }
    return total;
}

double simdnorm_half_sum(int storage, size_t n, const void *x, size_t stride)
{
    const uint16_t *h = x;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += storage == 1 ? simdnorm_bf16_widen1(h[i * stride])
                            : simdnorm_f16_widen1(h[i * stride]);
    return sum;
}

void simdnorm_half_put(int storage, void *p, size_t i, float v)
{
    ((uint16_t *)p)[i] = storage == 1 ? simdnorm_bf16_narrow1(v) : simdnorm_f16_narrow1(v);
}

float simdnorm_half_at(int storage, const void *x, size_t i)
{
    const uint16_t h = ((const uint16_t *)x)[i];
    return storage == 1 ? simdnorm_bf16_widen1(h) : simdnorm_f16_widen1(h);
}

void simdnorm_apply_normalize_ch_half(const simdnorm_kernels *k, int storage, int stream,
                                      const simdnorm_norm_plan *p, size_t n, const void *x,
                                      const float *gamma, const float *beta, size_t ch, int act,
                                      void *y, const void *pf)
{
    if (p->fast) {
        const float *g = p->folded ? NULL : gamma, *b = p->folded ? NULL : beta;
        if (storage == 1)
            (stream ? k->bf16_normalize_stream : k->bf16_normalize)(
                n, (const simdnorm_bf16 *)x, p->shift, p->scale, p->offset, g, b, act,
                (simdnorm_bf16 *)y, (const simdnorm_bf16 *)pf);
        else
            (stream ? k->f16_normalize_stream : k->f16_normalize)(
                n, (const simdnorm_f16 *)x, p->shift, p->scale, p->offset, g, b, act,
                (simdnorm_f16 *)y, (const simdnorm_f16 *)pf);
        return;
    }
    float buf[1024];
    for (size_t e = 0; e < n; e += 1024) {
        const size_t m = n - e < 1024 ? n - e : 1024;
        simdnorm_half_widen_k(k, storage, m, (const uint16_t *)x + e, buf);
        simdnorm_apply_normalize_ch(k, k->f32_normalize, p, m, buf, gamma, beta, ch, act, buf, NULL);
        simdnorm_half_narrow_k(k, storage, m, buf, (uint16_t *)y + e);
    }
}

void simdnorm_normalize_slow_half(const simdnorm_norm_plan *p, int storage, size_t n,
                                  const void *x, size_t x_stride, const float *gamma,
                                  const float *beta, size_t ch, void *y, size_t y_stride)
{
    const uint16_t *xh = x;
    uint16_t *yh = y;
    float buf[1024];
    for (size_t e = 0; e < n; e += 1024) {
        const size_t m = n - e < 1024 ? n - e : 1024;
        for (size_t i = 0; i < m; i++)
            buf[i] = simdnorm_half_at(storage, xh, (e + i) * x_stride);
        simdnorm_normalize_slow(p, m, buf, 1, gamma, beta, ch, buf, 1);
        for (size_t i = 0; i < m; i++)
            yh[(e + i) * y_stride] =
                storage == 1 ? simdnorm_bf16_narrow1(buf[i]) : simdnorm_f16_narrow1(buf[i]);
    }
}

static double span_sumsq(const simdnorm_kernels *k, double ss, size_t n, const float *x)
{
    if (simdnorm_fast_sumsq_ok(n, ss))
        return ss;
    return k->f32_sumsq_exact(n, x);
}

double simdnorm_span_sumsq(const simdnorm_kernels *k, size_t n, const float *x)
{
    return span_sumsq(k, k->f32_sumsq(n, x), n, x);
}

double simdnorm_span_sumsq_mem(const simdnorm_kernels *k, size_t n, const float *x)
{
    return span_sumsq(k, k->f32_sumsq_seq(n, x), n, x);
}

/* Row plans: u rounded to float, then gamma/beta per element exactly as
 * the f32_normalize kernel applies them. */
static void slow_row(const simdnorm_norm_plan *p, size_t n, const float *x, size_t xs,
                     const float *gamma, const float *beta, float *y, size_t ys)
{
    const double mean = p->mean, rstd = p->rstd;
    for (size_t i = 0; i < n; i++) {
        const float u = (float)(((double)x[i * xs] - mean) * rstd);
        float v;
        if (gamma && beta)
            v = fmaf(u, gamma[i], beta[i]);
        else if (gamma)
            v = u * gamma[i];
        else if (beta)
            v = u + beta[i];
        else
            v = u;
        y[i * ys] = simdnorm_canonical_nan(v);
    }
}

/* Folded plans: the span's scalars (gamma_c, beta_c; NULL where absent)
 * applied in double, one rounding. */
static void slow_folded(const simdnorm_norm_plan *p, size_t n, const float *x, size_t xs,
                        const float *gamma_c, const float *beta_c, float *y, size_t ys)
{
    const double mean = p->mean, rstd = p->rstd;
    const double g = gamma_c ? (double)*gamma_c : 1.0;
    const double b = beta_c ? (double)*beta_c : 0.0;
    for (size_t i = 0; i < n; i++) {
        double t = ((double)x[i * xs] - mean) * rstd;
        if (gamma_c)
            t *= g;
        if (beta_c)
            t += b;
        y[i * ys] = simdnorm_canonical_nan((float)t);
    }
}

void simdnorm_normalize_slow(const simdnorm_norm_plan *p, size_t n, const float *x,
                             size_t x_stride, const float *gamma, const float *beta, size_t ch,
                             float *y, size_t y_stride)
{
    if (p->folded)
        slow_folded(p, n, x, x_stride, gamma ? gamma + ch : NULL, beta ? beta + ch : NULL, y,
                    y_stride);
    else
        slow_row(p, n, x, x_stride, gamma, beta, y, y_stride);
}
