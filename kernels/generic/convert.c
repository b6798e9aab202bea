/* convert.c - the 16-bit conversions (kernels.h "16-bit storage":
 * <storage>_widen, <storage>_narrow), written once and compiled for every
 * ISA and each 16-bit storage type (SIMDNORM_STORAGE_BF16 / _F16); nothing
 * in the float32 build. One vector per step through the vector header's
 * loads and stores (vx_*), the last partial vector by partial loads and
 * stores: any alignment, nothing past element n-1 read or written. */
#include SIMDNORM_VEC_HEADER
#include "generic/lanes.h"
#include "generic/storage.h"

#if !SX_IS_F32
/* Contract: kernels.h, <storage>_widen: y_i = x_i widened (exact), a NaN
 * written as the canonical float NaN. x and y must not overlap. */
void SIMDNORM_SKERNEL(widen)(size_t n, const sx *x, float *y)
{
    size_t i = 0;
    for (; i + VF_N <= n; i += VF_N) {
        const vf v = vx_loadu(x + i);
        vf_storeu(y + i, vf_canon_nan_of(v, v));
    }
    if (i < n) {
        const vf v = vx_load_part(x + i, n - i);
        vf_store_part(y + i, vf_canon_nan_of(v, v), n - i);
    }
}

/* Contract: kernels.h, <storage>_narrow: y_i = x_i rounded to nearest even
 * (overflow to +-Inf, subnormals kept), NaN canonical. x and y must not
 * overlap. */
void SIMDNORM_SKERNEL(narrow)(size_t n, const float *x, sx *y)
{
    size_t i = 0;
    for (; i + VF_N <= n; i += VF_N)
        vx_storeu(y + i, vf_loadu(x + i));
    if (i < n)
        vx_store_part(y + i, vf_load_part(x + i, n - i), n - i);
}
#endif
