/* act.h - the activation epilogue (kernels.h: the activation sequences) on
 * one vf, written once for every ISA against its vector header. Include
 * after the vector header and generic/lanes.h. */
#ifndef SIMDNORM_GENERIC_ACT_H
#define SIMDNORM_GENERIC_ACT_H

/* act(v) with NaN lanes made canonical; act is a constant after inlining
 * (SIMDNORM_WITH_CONST_ACT), so each kernel gets one straight sequence.
 * The operations are those of kernels.h in that order, one rounding each:
 *   GELU_ERF   h = v*0.5; e = erf(v*SQRT1_2F); fma(h, e, h)
 *   GELU_TANH  h = v*0.5; q = (v*v)*C; p = fma(q, v, v);
 *              t = tanh(p*SQRT2_PIF); fma(h, t, h)
 *   SILU       v / (1 + exp(-v))
 * NONE and RELU probe v for NaN (vf_max0 may turn a NaN v into 0; the
 * probe puts the NaN back), the others probe their result r. */
static ALWAYS_INLINE vf act_vf(vf v, int act)
{
    switch (act) {
    case SIMDNORM_ACT_RELU:
        return vf_canon_nan_of(vf_max0(v), v);
    case SIMDNORM_ACT_GELU_ERF: {
        const vf h = vf_mul(v, vf_set1(0.5f));
        const vf e = vf_erf(vf_mul(v, vf_set1(SIMDNORM_SQRT1_2F)));
        const vf r = vf_fma(h, e, h);
        return vf_canon_nan_of(r, r);
    }
    case SIMDNORM_ACT_GELU_TANH: {
        const vf h = vf_mul(v, vf_set1(0.5f));
        const vf q = vf_mul(vf_mul(v, v), vf_set1(SIMDNORM_GELU_TANH_C));
        const vf p = vf_fma(q, v, v);
        const vf t = vf_tanh(vf_mul(p, vf_set1(SIMDNORM_SQRT2_PIF)));
        const vf r = vf_fma(h, t, h);
        return vf_canon_nan_of(r, r);
    }
    case SIMDNORM_ACT_SILU: {
        const vf e = vf_exp(vf_neg(v));
        const vf r = vf_div(v, vf_add(vf_set1(1.0f), e));
        return vf_canon_nan_of(r, r);
    }
    default:
        return vf_canon_nan_of(v, v);
    }
}

#endif
