/* stats.c - from kernel sums to statistics, and the accurate slow path; all
 * in plain double C compiled once, so every ISA shares it bit for bit. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "internal.h"

simdnorm_moments simdnorm_moments_merge(simdnorm_moments a, simdnorm_moments b)
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

simdnorm_moments simdnorm_span_moments(const simdnorm_kernels *k, size_t n,
                                       const float *x)
{
    simdnorm_moments total = {0.0, 0.0, 0.0};
    for (size_t off = 0; off < n; off += SIMDNORM_BLOCK) {
        const size_t len = n - off < SIMDNORM_BLOCK ? n - off : SIMDNORM_BLOCK;
        double s[2];
        k->f32_moments(len, x + off, x[off], s);
        const simdnorm_moments b = simdnorm_block_moments(len, x[off], s[0], s[1]);
        total = off == 0 ? b : simdnorm_moments_merge(total, b);
    }
    return total;
}

void simdnorm_normalize_slow(size_t n, const float *x, double mean, double rstd,
                             const float *gamma, const float *beta, float *y)
{
    for (size_t i = 0; i < n; i++) {
        const float u = (float)(((double)x[i] - mean) * rstd);
        float v;
        if (gamma && beta)
            v = fmaf(u, gamma[i], beta[i]);
        else if (gamma)
            v = u * gamma[i];
        else if (beta)
            v = u + beta[i];
        else
            v = u;
        y[i] = simdnorm_canonical_nan(v);
    }
}

float simdnorm_normalize_span(const simdnorm_kernels *k, size_t n, const float *x,
                              double mean, double var, double eps,
                              const float *gamma, const float *beta, float *y)
{
    const double rstd = 1.0 / sqrt(var + eps);
    const float rstd_f = (float)rstd;
    /* Fast path: t = x - mean_hi cannot overflow (|x|, |mean| < 2^126) and
     * rstd is a normal float; the lost low part of the mean is put back
     * through the fma's addend: u = t*rstd - mean_lo*rstd. */
    if (isfinite(mean) && rstd_f >= FLT_MIN && rstd_f <= FLT_MAX &&
        fabs(mean) + sqrt(var * (double)n) < 0x1p126) {
        const float mean_hi = (float)mean;
        const float mean_lo = (float)(mean - (double)mean_hi);
        const float offset = (float)(-(double)mean_lo * (double)rstd_f);
        k->f32_normalize(n, x, mean_hi, rstd_f, offset, gamma, beta, y);
    } else {
        simdnorm_normalize_slow(n, x, mean, rstd, gamma, beta, y);
    }
    return simdnorm_canonical_nan(rstd_f);
}
