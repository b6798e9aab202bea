/* normalize.c - the normalize-scale-shift kernels (kernels.h: f32_normalize,
 * f32_normalize_stream) with the activation epilogue, and the epilogue on
 * its own (f32_activate), written once and compiled for every ISA against
 * its vector header (SIMDNORM_VEC_HEADER, kernels/vec/). Every element is
 * the same sequence of float
 * operations in every lane of every ISA: the same bits. Any alignment;
 * nothing past element n-1 is read or written (the last partial vector
 * uses partial loads and stores); each vector of x is read before the same
 * vector of y is written, so y == x works. Compiled once per storage type
 * (generic/storage.h): f32_*, bf16_*, f16_* - x, y of that type, widened on
 * load and narrowed (nearest even, NaN canonical) on store. */
#include SIMDNORM_VEC_HEADER
#include "generic/lanes.h"
#include "generic/act.h"
#include "generic/storage.h"

#include "generic/normalize.h"

/* The plain call (act 0) and the activations in functions of their own:
 * the plain code stays what it was before activations existed, the entry
 * points only branch. */
static NOINLINE void normalize_plain(size_t n, const sx *x, float shift, float scale,
                                     float offset, const float *gamma, const float *beta,
                                     sx *y, const sx *pf)
{
    normalize_affine(n, x, shift, scale, offset, gamma, beta, y, SIMDNORM_ACT_NONE, 0, pf);
}

/* Contract: kernels.h, f32_normalize. */
void SIMDNORM_SKERNEL(normalize)(size_t n, const sx *x, float shift, float scale,
                                    float offset, const float *gamma, const float *beta, int act,
                                    sx *y, const sx *pf)
{
    if (act != SIMDNORM_ACT_NONE)
        normalize_act(n, x, shift, scale, offset, gamma, beta, y, act, pf);
    else
        normalize_plain(n, x, shift, scale, offset, gamma, beta, y, pf);
}

#if VF_STREAM_ALIGN
static NOINLINE void normalize_plain_stream(size_t n, const sx *x, float shift, float scale,
                                            float offset, const float *gamma,
                                            const float *beta, sx *y, const sx *pf)
{
    normalize_affine(n, x, shift, scale, offset, gamma, beta, y, SIMDNORM_ACT_NONE, 1, pf);
}

/* Contract: kernels.h, f32_normalize_stream. As f32_normalize, with
 * non-temporal stores of y's aligned full vectors, then a store fence. */
void SIMDNORM_SKERNEL(normalize_stream)(size_t n, const sx *x, float shift, float scale,
                                           float offset, const float *gamma,
                                           const float *beta, int act, sx *y, const sx *pf)
{
    if (act != SIMDNORM_ACT_NONE)
        normalize_act_stream(n, x, shift, scale, offset, gamma, beta, y, act, pf);
    else
        normalize_plain_stream(n, x, shift, scale, offset, gamma, beta, y, pf);
}
#else
/* Contract: kernels.h, f32_normalize_stream. No streaming stores on this
 * ISA: the plain kernel. */
void SIMDNORM_SKERNEL(normalize_stream)(size_t n, const sx *x, float shift, float scale,
                                           float offset, const float *gamma,
                                           const float *beta, int act, sx *y, const sx *pf)
{
    SIMDNORM_SKERNEL(normalize)(n, x, shift, scale, offset, gamma, beta, act, y, pf);
}
#endif

/* act(x_i) for i < n, one vector per step, the last partial one through
 * partial loads and stores. */
static ALWAYS_INLINE void activate(size_t n, const sx *x, int act, sx *y)
{
    size_t i = 0;
    for (; i + VF_N <= n; i += VF_N)
        vx_storeu_c(y + i, act_vf(vx_loadu(x + i), act));
    if (i < n)
        vx_store_part_c(y + i, act_vf(vx_load_part(x + i, n - i), act), n - i);
}

/* Contract: kernels.h, f32_activate. */
void SIMDNORM_SKERNEL(activate)(size_t n, const sx *x, int act, sx *y)
{
    SIMDNORM_WITH_CONST_ACT(act, A, activate(n, x, A, y))
}
