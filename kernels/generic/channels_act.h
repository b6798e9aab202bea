/* channels_act.h - for now, the activation epilogue of generic/channels.c:
 * vf_act_(v, act) maps onto the existing per-ISA act functions, chosen by
 * the register width (VF_N). To be replaced by the generic act (generic/
 * act.h) once that exists on the same branch. Include after the vector
 * header; act is a constant after inlining. */
#ifndef SIMDNORM_GENERIC_CHANNELS_ACT_H
#define SIMDNORM_GENERIC_CHANNELS_ACT_H

#if VF_N == 16
#include "x86/act_avx512.h"
#define vf_act_(v, act) act16((v), (act))
#elif VF_N == 8
#include "x86/act_avx2.h"
#define vf_act_(v, act) act8((v), (act))
#elif VF_N == 4
#include "arm/act_neon.h"
#define vf_act_(v, act) act4((v), (act))
#elif VF_N == 1
#include "scalar/act_scalar.h"
#if defined(SIMDNORM_VEC_NOFMA)
#define vf_act_(v, act) act_scalar((v), (act), 0)
#else
#define vf_act_(v, act) act_scalar((v), (act), 1)
#endif
#else
#error "channels_act.h: no activation for this VF_N"
#endif

#endif
