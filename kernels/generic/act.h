/* act.h - the activation epilogue (kernels.h: the activation sequences) on
 * one vf, written once for every ISA against its vector header. Include
 * after the vector header and generic/lanes.h. */
#ifndef SIMDNORM_GENERIC_ACT_H
#define SIMDNORM_GENERIC_ACT_H

#include "generic/act_math.h"

/* act(v) with NaN lanes made canonical; act is a constant after inlining
 * (SIMDNORM_WITH_CONST_ACT), so each kernel gets one straight sequence:
 * the sequences of kernels.h, in generic/act_math.h. NONE and RELU probe v
 * for NaN (vf_max0 may turn a NaN v into 0; the probe puts the NaN back). */
static ALWAYS_INLINE vf act_vf(vf v, int act)
{
    switch (act) {
    case SIMDNORM_ACT_RELU:
        return vf_canon_nan_of(vf_max0(v), v);
    case SIMDNORM_ACT_GELU_ERF:
        return act_gelu_erf(v);
    case SIMDNORM_ACT_GELU_TANH:
        return act_gelu_tanh(v);
    case SIMDNORM_ACT_SILU:
        return act_silu(v);
    default:
        return vf_canon_nan_of(v, v);
    }
}

#endif
