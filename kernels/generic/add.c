/* add.c - the residual add h = (x + r) + b (kernels.h: f32_add), written
 * once and compiled for every ISA against its vector header
 * (SIMDNORM_VEC_HEADER, kernels/vec/). Two float adds per element in every
 * lane of every ISA: the same bits. Any alignment; nothing past element n-1
 * is read or written (the last partial vector uses partial loads and
 * stores); each vector is loaded before it is stored, so h == x or h == r
 * works. Compiled once per storage type (generic/storage.h): x and r of
 * that type (bf16_add, f16_add: widened on load), b and h float. */
#include SIMDNORM_VEC_HEADER
#include "generic/lanes.h"
#include "generic/storage.h"

/* (v + r) + b, r or b skipped by the constant flags, NaN lanes canonical. */
static ALWAYS_INLINE vf add_vf(vf v, vf r, vf b, int has_r, int has_b)
{
    if (has_r)
        v = vf_add(v, r);
    if (has_b)
        v = vf_add(v, b);
    return vf_canon_nan_of(v, v);
}

static ALWAYS_INLINE void add_span(size_t n, const sx *x, const sx *r, const float *b,
                                   float *h, int has_r, int has_b)
{
    size_t i = 0;
    for (; i + VF_N <= n; i += VF_N)
        vf_storeu(h + i, add_vf(vx_loadu(x + i), has_r ? vx_loadu(r + i) : vf_zero(),
                                has_b ? vf_loadu(b + i) : vf_zero(), has_r, has_b));
    if (i < n) {
        const size_t c = n - i;
        vf_store_part(h + i, add_vf(vx_load_part(x + i, c),
                                    has_r ? vx_load_part(r + i, c) : vf_zero(),
                                    has_b ? vf_load_part(b + i, c) : vf_zero(), has_r, has_b),
                      c);
    }
}

/* Contract: kernels.h, f32_add. The four r/b variants, each with constant
 * flags. */
void SIMDNORM_SKERNEL(add)(size_t n, const sx *x, const sx *r, const float *b, float *h)
{
    if (r && b)
        add_span(n, x, r, b, h, 1, 1);
    else if (r)
        add_span(n, x, r, b, h, 1, 0);
    else if (b)
        add_span(n, x, r, b, h, 0, 1);
    else
        add_span(n, x, r, b, h, 0, 0);
}
