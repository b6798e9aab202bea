/* validate.c - argument checks shared by the public entry points. */
#include <math.h>

#include "internal.h"

int simdnorm_eps_ok(float eps) { return isfinite(eps) && eps >= 0.0f; }

/* Compared as unsigned: an out-of-range enum value (negative included) is
 * rejected whatever type the compiler gave the enum. */
int simdnorm_act_ok(simdnorm_activation act)
{
    return (unsigned)act <= (unsigned)SIMDNORM_ACT_SILU;
}

int simdnorm_matrix_span(const void *p, size_t rows, size_t cols, size_t stride,
                         size_t *span)
{
    const size_t max_elems = (size_t)PTRDIFF_MAX / sizeof(float);
    if (stride > max_elems / rows)
        return 0;
    const size_t bytes = p ? ((rows - 1) * stride + cols) * sizeof(float) : 0;
    if ((uintptr_t)p > UINTPTR_MAX - bytes)
        return 0;
    *span = bytes;
    return 1;
}

int simdnorm_overlaps(const void *a, size_t abytes, const void *b, size_t bbytes)
{
    if (!a || !b || abytes == 0 || bbytes == 0)
        return 0;
    const uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
    return pa < pb + bbytes && pb < pa + abytes;
}
