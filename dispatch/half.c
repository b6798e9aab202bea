/* half.c - the 16-bit storage entry points that are not row norms: the
 * conversions (simdnorm_convert_*) and the activation twins
 * (simdnorm_activate_bf16/_f16). Each validates, then runs the active
 * table's <storage>_widen / _narrow / _activate kernels over the threads
 * that the size allows, split in units of whole cache lines of the output
 * (element by element: no bit depends on the split). */
#include "fpenv.h"

#include "internal.h"

/* Elements per unit of the thread split: a multiple of a cache line of
 * both float and 16-bit outputs. */
#define HALF_UNIT 32

typedef struct half_elems_call {
    const simdnorm_kernels *k;
    int op; /* 0: widen, 1: narrow, 2: activate */
    int storage, act;
    size_t n;
    const void *x;
    void *y;
} half_elems_call;

static void half_elems_range(void *ctx, size_t u0, size_t u1)
{
    const half_elems_call *c = ctx;
    const size_t b = u0 * HALF_UNIT, e = u1 * HALF_UNIT < c->n ? u1 * HALF_UNIT : c->n;
    const simdnorm_kernels *k = c->k;
    if (c->op == 0) {
        const simdnorm_bf16_widen_fn f = c->storage == 1 ? k->bf16_widen : k->f16_widen;
        f(e - b, (const uint16_t *)c->x + b, (float *)c->y + b);
    } else if (c->op == 1) {
        const simdnorm_bf16_narrow_fn f = c->storage == 1 ? k->bf16_narrow : k->f16_narrow;
        f(e - b, (const float *)c->x + b, (uint16_t *)c->y + b);
    } else {
        const simdnorm_bf16_activate_fn f = c->storage == 1 ? k->bf16_activate : k->f16_activate;
        f(e - b, (const uint16_t *)c->x + b, c->act, (uint16_t *)c->y + b);
    }
}

/* Validation (NULL, size, overlap: exact in place only where in_place,
 * i.e. the activation) and the run. */
static simdnorm_status half_elems(int op, int storage, size_t n, const void *x, size_t xes,
                                  void *y, size_t yes, int act, int in_place)
{
    if (n == 0)
        return SIMDNORM_OK;
    if (!x || !y)
        return SIMDNORM_ERR_NULL;
    size_t xb, yb;
    if (!simdnorm_matrix_span_es(x, 1, n, n, xes, &xb) ||
        !simdnorm_matrix_span_es(y, 1, n, n, yes, &yb))
        return SIMDNORM_ERR_SHAPE;
    if (!(in_place && x == y) && simdnorm_overlaps(x, xb, y, yb))
        return SIMDNORM_ERR_OVERLAP;
    const half_elems_call c = {simdnorm_active_kernels(), op, storage, act, n, x, y};
    const size_t units = (n + HALF_UNIT - 1) / HALF_UNIT;
    const simdnorm_fpenv fe = simdnorm_fpenv_enter(); /* fpenv.h */
    simdnorm_parallel_for(units, units, n * (xes + yes), half_elems_range, (void *)&c);
    simdnorm_fpenv_leave(fe);
    return SIMDNORM_OK;
}

simdnorm_status simdnorm_convert_bf16_to_f32(size_t n, const simdnorm_bf16 *x, float *y)
{
    return half_elems(0, 1, n, x, sizeof *x, y, sizeof *y, 0, 0);
}
simdnorm_status simdnorm_convert_f16_to_f32(size_t n, const simdnorm_f16 *x, float *y)
{
    return half_elems(0, 2, n, x, sizeof *x, y, sizeof *y, 0, 0);
}
simdnorm_status simdnorm_convert_f32_to_bf16(size_t n, const float *x, simdnorm_bf16 *y)
{
    return half_elems(1, 1, n, x, sizeof *x, y, sizeof *y, 0, 0);
}
simdnorm_status simdnorm_convert_f32_to_f16(size_t n, const float *x, simdnorm_f16 *y)
{
    return half_elems(1, 2, n, x, sizeof *x, y, sizeof *y, 0, 0);
}

/* The activation twins: as simdnorm_activate_f32 (the act check first,
 * then n == 0, NULL, overlap; y == x in place). */
simdnorm_status simdnorm_activate_bf16(size_t n, const simdnorm_bf16 *x, simdnorm_activation act,
                                       simdnorm_bf16 *y)
{
    if (!simdnorm_act_ok(act))
        return SIMDNORM_ERR_PARAM;
    return half_elems(2, 1, n, x, sizeof *x, y, sizeof *y, (int)act, 1);
}
simdnorm_status simdnorm_activate_f16(size_t n, const simdnorm_f16 *x, simdnorm_activation act,
                                      simdnorm_f16 *y)
{
    if (!simdnorm_act_ok(act))
        return SIMDNORM_ERR_PARAM;
    return half_elems(2, 2, n, x, sizeof *x, y, sizeof *y, (int)act, 1);
}
