/* channels_scalar.c - the channel (column) kernels in portable C: per-channel
 * shifted sums down the rows of a block, and the per-channel normalize. They
 * define the arithmetic that every SIMD kernel reproduces bit for bit
 * (activations: act_scalar.h; _nofma for an x86 CPU without FMA). */
#include <math.h>
#include <string.h>

#include "act_scalar.h"
#include "kernels.h"

/* Contract: kernels.h, f32_channel_moments. The row loop is outside, so the
 * running sums live in s1/s2 themselves; each channel of each block still
 * sees exactly one chain, r = 0, 1, ..., rows-1. */
void simdnorm_f32_channel_moments_scalar(size_t rows, size_t channels,
                                         const float *x, size_t stride, size_t groups,
                                         size_t group_stride, double *s1, double *s2)
{
    for (size_t g = 0; g < groups; g++) {
        const float *xg = x + g * group_stride;
        double *a = s1 + g * channels, *q = s2 + g * channels;
        for (size_t c = 0; c < channels; c++)
            a[c] = q[c] = 0.0;
        for (size_t r = 0; r < rows; r++) {
            const float *xr = xg + r * stride;
            for (size_t c = 0; c < channels; c++) {
                const double d = (double)xr[c] - (double)xg[c];
                a[c] = a[c] + d;
                q[c] = fma(d, d, q[c]);
            }
        }
    }
}

/* Contract: kernels.h, f32_normalize_channels. Each element is read before
 * its y is written, so y == x works. */
static inline void normalize_channels(size_t rows, size_t channels, const float *x,
                                      size_t stride, const float *shift, const float *scale,
                                      const float *offset, int act, float *y, int fma)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * stride;
        float *yr = y + r * stride;
        if (act == SIMDNORM_ACT_NONE) {
            for (size_t c = 0; c < channels; c++)
                yr[c] = canonical_nan_scalar(fmaf(xr[c] - shift[c], scale[c], offset[c]));
        } else {
            for (size_t c = 0; c < channels; c++)
                yr[c] = act_scalar(fmaf(xr[c] - shift[c], scale[c], offset[c]), act, fma);
        }
    }
}

void simdnorm_f32_normalize_channels_scalar(size_t rows, size_t channels,
                                            const float *x, size_t stride,
                                            const float *shift, const float *scale,
                                            const float *offset, int act, float *y)
{
    normalize_channels(rows, channels, x, stride, shift, scale, offset, act, y, 1);
}

/* Contract: kernels.h, f32_normalize_channels_stream: the plain kernel. */
void simdnorm_f32_normalize_channels_stream_scalar(size_t rows, size_t channels,
                                                   const float *x, size_t stride,
                                                   const float *shift, const float *scale,
                                                   const float *offset, int act, float *y)
{
    normalize_channels(rows, channels, x, stride, shift, scale, offset, act, y, 1);
}

#if defined(SIMDNORM_HAVE_SCALAR_NOFMA)
void simdnorm_f32_normalize_channels_scalar_nofma(size_t rows, size_t channels,
                                                  const float *x, size_t stride,
                                                  const float *shift, const float *scale,
                                                  const float *offset, int act, float *y)
{
    normalize_channels(rows, channels, x, stride, shift, scale, offset, act, y, 0);
}

void simdnorm_f32_normalize_channels_stream_scalar_nofma(size_t rows, size_t channels,
                                                         const float *x, size_t stride,
                                                         const float *shift,
                                                         const float *scale,
                                                         const float *offset, int act,
                                                         float *y)
{
    normalize_channels(rows, channels, x, stride, shift, scale, offset, act, y, 0);
}
#endif
