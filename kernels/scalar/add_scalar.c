/* add_scalar.c - the residual add h = (x + r) + b in portable C. */
#include "act_scalar.h"
#include "kernels.h"

/* Contract: kernels.h, f32_add. Element by element: h == x or h == r works. */
void simdnorm_f32_add_scalar(size_t n, const float *x, const float *r, const float *b,
                             float *h)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        if (r)
            v = v + r[i];
        if (b)
            v = v + b[i];
        h[i] = canonical_nan_scalar(v);
    }
}
