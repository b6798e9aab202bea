/* channels_scalar.c - the scalar_nofma channel normalize kernels (an x86 CPU
 * without FMA: SLEEF's non-FMA activations, act_scalar.h). Every other ISA's
 * channel kernels, scalar included, are generic/channels.c; these two stay
 * here until that file is built a second time with SIMDNORM_VEC_NOFMA. The
 * arithmetic is generic/channels.c's, element by element. */
#include <math.h>
#include <string.h>

#include "act_scalar.h"
#include "kernels.h"

#if defined(SIMDNORM_HAVE_SCALAR_NOFMA)
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

void simdnorm_f32_normalize_channels_scalar_nofma(size_t rows, size_t channels,
                                                  const float *x, size_t stride,
                                                  const float *shift, const float *scale,
                                                  const float *offset, int act, float *y)
{
    normalize_channels(rows, channels, x, stride, shift, scale, offset, act, y, 0);
}

/* Contract: kernels.h, f32_normalize_channels_stream: the plain kernel. */
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
