/* channels_nofma.c - the scalar_nofma channel normalize kernels (an x86 CPU
 * without FMA): generic/channels.c built a second time in the scalar
 * library with SIMDNORM_VEC_NOFMA, so that vec_scalar.h names them
 * ..._scalar_nofma and the activations call SLEEF's non-FMA functions.
 * f32_channel_moments has no activation: the scalar_nofma table takes the
 * scalar one, and channels.c leaves it out of this build. */
#include "kernels.h"

#if defined(SIMDNORM_HAVE_SCALAR_NOFMA)
#define SIMDNORM_VEC_NOFMA 1
#include "generic/channels.c"
#endif
