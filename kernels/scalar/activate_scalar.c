/* activate_scalar.c - the activation epilogue on its own, in portable C
 * (SLEEF's FMA functions; _nofma: the non-FMA ones). */
#include "act_scalar.h"
#include "kernels.h"

/* Contract: kernels.h, f32_activate. Element by element: y == x works. */
void simdnorm_f32_activate_scalar(size_t n, const float *x, int act, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = act_scalar(x[i], act, 1);
}

#if defined(SIMDNORM_HAVE_SCALAR_NOFMA)
void simdnorm_f32_activate_scalar_nofma(size_t n, const float *x, int act, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = act_scalar(x[i], act, 0);
}
#endif
