/* activate.c - the public activation on its own (simdnorm_activate_f32): the
 * fused epilogue's f32_activate kernel, the same bits as the fused calls,
 * split over threads when large (element by element: no bit depends on the
 * split). */
#include "fpenv.h"
#include "internal.h"

/* Threads take whole cache lines of y: the parallel for splits units of
 * ACT_UNIT elements. */
#define ACT_UNIT 16

typedef struct act_call {
    const simdnorm_kernels *k;
    size_t n;
    const float *x;
    int act;
    float *y;
} act_call;

/* Units [u0, u1) of the call ctx (the last one short when n is not a
 * multiple of ACT_UNIT). */
static void act_range(void *ctx, size_t u0, size_t u1)
{
    const act_call *a = ctx;
    const size_t b = u0 * ACT_UNIT;
    const size_t e = u1 * ACT_UNIT < a->n ? u1 * ACT_UNIT : a->n;
    a->k->f32_activate(e - b, a->x + b, a->act, a->y + b);
}

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
    const simdnorm_buffer buf[2] = {{x, xb, 0, 0, 0}, {y, yb, 0, 1u << 0, 1}}; /* y may be x */
    if (simdnorm_check_overlap(buf, 2) != SIMDNORM_OK)
        return SIMDNORM_ERR_OVERLAP;
    act_call a = {simdnorm_active_kernels(), n, x, (int)act, y};
    const size_t units = (n + ACT_UNIT - 1) / ACT_UNIT;
    const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* fpenv.h */
    simdnorm_parallel_for(units, units, n * 2 * sizeof(float), act_range, &a);
    simdnorm_fpenv_leave(fe);
    return SIMDNORM_OK;
}
