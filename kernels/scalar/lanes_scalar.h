/* lanes_scalar.h - the canonical lane fold, shared by the scalar kernels. */
#ifndef SIMDNORM_LANES_SCALAR_H
#define SIMDNORM_LANES_SCALAR_H

#include "kernels.h"

/* Fold SIMDNORM_LANES lanes by halves: l += l+16, l += l+8, ..., l += l+1. */
static inline double fold_lanes_scalar(double *acc)
{
    for (int half = SIMDNORM_LANES / 2; half >= 1; half /= 2)
        for (int l = 0; l < half; l++)
            acc[l] = acc[l] + acc[l + half];
    return acc[0];
}

#endif
