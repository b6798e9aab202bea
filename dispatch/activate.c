/* activate.c - the public activation on its own (simdnorm_activate_f32): the
 * fused epilogue's f32_activate kernel, the same bits as the fused calls,
 * split over threads when large (element by element: no bit depends on the
 * split). */
#include "fpenv.h"
#include "internal.h"

/* Threads take whole cache lines of y. */
#define ACT_UNIT 16

simdnorm_status simdnorm_activate_f32(size_t n, const float *x, simdnorm_activation act,
                                      float *y)
{
    if (!simdnorm_act_ok(act))
        return SIMDNORM_ERR_PARAM;
    if (n == 0)
        return SIMDNORM_OK;
    if (!x || !y)
        return SIMDNORM_ERR_NULL;
    size_t xb, yb;
    if (!simdnorm_matrix_span(x, 1, n, n, &xb) || !simdnorm_matrix_span(y, 1, n, n, &yb))
        return SIMDNORM_ERR_SHAPE;
    if (y != x && simdnorm_overlaps(y, yb, x, xb))
        return SIMDNORM_ERR_OVERLAP;
    const simdnorm_kernels *k = simdnorm_active_kernels();
    const size_t units = (n + ACT_UNIT - 1) / ACT_UNIT;
    const int nt = simdnorm_threads_for(n * 2 * sizeof(float), units);
    const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* fpenv.h */
    if (nt <= 1) {
        k->f32_activate(n, x, (int)act, y);
        simdnorm_fpenv_leave(fe);
        return SIMDNORM_OK;
    }
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (int t = 0; t < nt; t++) {
        const size_t b = units * (size_t)t / (size_t)nt * ACT_UNIT;
        size_t e = units * (size_t)(t + 1) / (size_t)nt * ACT_UNIT;
        if (e > n)
            e = n;
        if (b < e) {
            /* each worker computes under the canonical state too (its own
             * control register) */
            const simdnorm_fpenv wfe = simdnorm_fpenv_enter();
            k->f32_activate(e - b, x + b, (int)act, y + b);
            simdnorm_fpenv_leave(wfe);
        }
    }
    simdnorm_fpenv_leave(fe);
    return SIMDNORM_OK;
}
