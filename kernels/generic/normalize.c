/* normalize.c - the normalize-scale-shift kernels (kernels.h: f32_normalize,
 * f32_normalize_stream) with the activation epilogue, and the epilogue on
 * its own (f32_activate), written once and compiled for every ISA against
 * its vector header (SIMDNORM_VEC_HEADER, kernels/vec/); for x86 also a
 * second time for scalar with SIMDNORM_VEC_NOFMA (the scalar_nofma kernels:
 * SLEEF's non-FMA functions). Every element is the same sequence of float
 * operations in every lane of every ISA: the same bits. Any alignment;
 * nothing past element n-1 is read or written (the last partial vector
 * uses partial loads and stores); each vector of x is read before the same
 * vector of y is written, so y == x works. */
#include SIMDNORM_VEC_HEADER
#include "generic/lanes.h"
#include "generic/act.h"

#define NOINLINE __attribute__((noinline))

#if VF_STREAM_ALIGN
/* The head before y's first VF_STREAM_ALIGN boundary is one partial vector. */
_Static_assert(VF_STREAM_ALIGN % sizeof(float) == 0 && VF_STREAM_ALIGN <= VF_N * sizeof(float),
               "the streaming head must fit one vector");
#endif

/* t = x - shift, u = fma(t, scale, offset), the affine part chosen by the
 * constant flags, then the activation with NaN lanes made canonical. */
static ALWAYS_INLINE vf normalize_vf(vf v, vf shift, vf scale, vf offset, vf g, vf b,
                                    int has_gamma, int has_beta, int act)
{
    const vf u = vf_fma(vf_sub(v, shift), scale, offset);
    vf r = u;
    if (has_gamma && has_beta)
        r = vf_fma(u, g, b);
    else if (has_gamma)
        r = vf_mul(u, g);
    else if (has_beta)
        r = vf_add(u, b);
    return act_vf(r, act);
}

/* The full vector of elements [i, i + VF_N). */
static ALWAYS_INLINE vf normalize_full(size_t i, const float *x, vf shift, vf scale, vf offset,
                                      const float *gamma, const float *beta, int has_gamma,
                                      int has_beta, int act)
{
    const vf g = has_gamma ? vf_loadu(gamma + i) : vf_zero();
    const vf b = has_beta ? vf_loadu(beta + i) : vf_zero();
    return normalize_vf(vf_loadu(x + i), shift, scale, offset, g, b, has_gamma, has_beta, act);
}

/* Elements [i, i + c), 1 <= c < VF_N: partial loads and store. */
static ALWAYS_INLINE void normalize_part(size_t i, size_t c, const float *x, vf shift, vf scale,
                                         vf offset, const float *gamma, const float *beta,
                                         float *y, int has_gamma, int has_beta, int act)
{
    const vf g = has_gamma ? vf_load_part(gamma + i, c) : vf_zero();
    const vf b = has_beta ? vf_load_part(beta + i, c) : vf_zero();
    vf_store_part(y + i, normalize_vf(vf_load_part(x + i, c), shift, scale, offset, g, b,
                                      has_gamma, has_beta, act), c);
}

/* One span. stream (only where the ISA has streaming stores): the full
 * vectors of y from its first VF_STREAM_ALIGN boundary on are written with
 * non-temporal stores (the head before it goes as the tail does), then a
 * store fence. */
static ALWAYS_INLINE void normalize_span(size_t n, const float *x, float shift_s, float scale_s,
                                         float offset_s, const float *gamma, const float *beta,
                                         float *y, int has_gamma, int has_beta, int act,
                                         int stream)
{
    const vf shift = vf_set1(shift_s), scale = vf_set1(scale_s), offset = vf_set1(offset_s);
    size_t i = 0;
#if VF_STREAM_ALIGN
    if (stream && ((uintptr_t)y % sizeof(float)) == 0) {
        const size_t mis = ((uintptr_t)y % VF_STREAM_ALIGN) / sizeof(float);
        const size_t a = VF_STREAM_ALIGN / sizeof(float);
        const size_t h = mis == 0 ? 0 : a - mis < n ? a - mis : n;
        if (h) {
            normalize_part(0, h, x, shift, scale, offset, gamma, beta, y, has_gamma, has_beta,
                           act);
            i = h;
        }
        for (; i + VF_N <= n; i += VF_N)
            vf_stream(y + i, normalize_full(i, x, shift, scale, offset, gamma, beta, has_gamma,
                                            has_beta, act));
    }
#else
    (void)stream;
#endif
    for (; i + VF_NORMALIZE_UNROLL * VF_N <= n; i += VF_NORMALIZE_UNROLL * VF_N) {
#pragma GCC unroll 8
        for (size_t u = 0; u < VF_NORMALIZE_UNROLL; u++)
            vf_storeu(y + i + u * VF_N,
                      normalize_full(i + u * VF_N, x, shift, scale, offset, gamma, beta,
                                     has_gamma, has_beta, act));
    }
    if (VF_NORMALIZE_UNROLL > 1)
        for (; i + VF_N <= n; i += VF_N)
            vf_storeu(y + i, normalize_full(i, x, shift, scale, offset, gamma, beta, has_gamma,
                                            has_beta, act));
    if (i < n)
        normalize_part(i, n - i, x, shift, scale, offset, gamma, beta, y, has_gamma, has_beta,
                       act);
#if VF_STREAM_ALIGN
    if (stream)
        vf_stream_fence();
#endif
}

/* The four gamma/beta variants of one activation, each with constant flags. */
static ALWAYS_INLINE void normalize_affine(size_t n, const float *x, float shift, float scale,
                                           float offset, const float *gamma, const float *beta,
                                           float *y, int act, int stream)
{
    if (gamma && beta)
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 1, 1, act, stream);
    else if (gamma)
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 1, 0, act, stream);
    else if (beta)
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 0, 1, act, stream);
    else
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 0, 0, act, stream);
}

/* The plain call (act 0) and the activations in functions of their own:
 * the plain code stays what it was before activations existed (no stack
 * realignment for the SLEEF calls' spills), the entry points only branch. */
static NOINLINE void normalize_plain(size_t n, const float *x, float shift, float scale,
                                     float offset, const float *gamma, const float *beta,
                                     float *y)
{
    normalize_affine(n, x, shift, scale, offset, gamma, beta, y, SIMDNORM_ACT_NONE, 0);
}

static NOINLINE void normalize_act(size_t n, const float *x, float shift, float scale,
                                   float offset, const float *gamma, const float *beta, float *y,
                                   int act)
{
    SIMDNORM_WITH_CONST_ACT(act, A,
                            normalize_affine(n, x, shift, scale, offset, gamma, beta, y, A, 0))
}

/* Contract: kernels.h, f32_normalize. */
void SIMDNORM_KERNEL(f32_normalize)(size_t n, const float *x, float shift, float scale,
                                    float offset, const float *gamma, const float *beta, int act,
                                    float *y)
{
    if (act != SIMDNORM_ACT_NONE)
        normalize_act(n, x, shift, scale, offset, gamma, beta, y, act);
    else
        normalize_plain(n, x, shift, scale, offset, gamma, beta, y);
}

#if VF_STREAM_ALIGN
static NOINLINE void normalize_plain_stream(size_t n, const float *x, float shift, float scale,
                                            float offset, const float *gamma,
                                            const float *beta, float *y)
{
    normalize_affine(n, x, shift, scale, offset, gamma, beta, y, SIMDNORM_ACT_NONE, 1);
}

static NOINLINE void normalize_act_stream(size_t n, const float *x, float shift, float scale,
                                          float offset, const float *gamma, const float *beta,
                                          float *y, int act)
{
    SIMDNORM_WITH_CONST_ACT(act, A,
                            normalize_affine(n, x, shift, scale, offset, gamma, beta, y, A, 1))
}

/* Contract: kernels.h, f32_normalize_stream. As f32_normalize, with
 * non-temporal stores of y's aligned full vectors, then a store fence. */
void SIMDNORM_KERNEL(f32_normalize_stream)(size_t n, const float *x, float shift, float scale,
                                           float offset, const float *gamma,
                                           const float *beta, int act, float *y)
{
    if (act != SIMDNORM_ACT_NONE)
        normalize_act_stream(n, x, shift, scale, offset, gamma, beta, y, act);
    else
        normalize_plain_stream(n, x, shift, scale, offset, gamma, beta, y);
}
#else
/* Contract: kernels.h, f32_normalize_stream. No streaming stores on this
 * ISA: the plain kernel. */
void SIMDNORM_KERNEL(f32_normalize_stream)(size_t n, const float *x, float shift, float scale,
                                           float offset, const float *gamma,
                                           const float *beta, int act, float *y)
{
    SIMDNORM_KERNEL(f32_normalize)(n, x, shift, scale, offset, gamma, beta, act, y);
}
#endif

/* act(x_i) for i < n, one vector per step, the last partial one through
 * partial loads and stores. */
static ALWAYS_INLINE void activate(size_t n, const float *x, int act, float *y)
{
    size_t i = 0;
    for (; i + VF_N <= n; i += VF_N)
        vf_storeu(y + i, act_vf(vf_loadu(x + i), act));
    if (i < n)
        vf_store_part(y + i, act_vf(vf_load_part(x + i, n - i), act), n - i);
}

/* Contract: kernels.h, f32_activate. */
void SIMDNORM_KERNEL(f32_activate)(size_t n, const float *x, int act, float *y)
{
    SIMDNORM_WITH_CONST_ACT(act, A, activate(n, x, A, y))
}
