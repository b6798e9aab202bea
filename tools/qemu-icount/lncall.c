/* lncall.c - calls simdnorm_layer_norm_f32 on ROWS rows (environment, default
 * 1) `reps` times with a forced ISA, for instruction counting under qemu
 * (icount.sh). */
#include <stdio.h>
#include <stdlib.h>

#include "simdnorm.h"

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    const size_t cols = strtoul(argv[1], 0, 10);
    const int reps = atoi(argv[2]);
    const simdnorm_isa isa = argv[3][0] == 'n' ? SIMDNORM_ISA_NEON : SIMDNORM_ISA_SCALAR;
    const int affine = argc > 4;
    const size_t rows = getenv("ROWS") ? strtoul(getenv("ROWS"), 0, 10) : 1;
    float *x = malloc(rows * cols * 4), *y = malloc(rows * cols * 4), *g = malloc(cols * 4),
          *b = malloc(cols * 4), *m = malloc(rows * 4), *r = malloc(rows * 4);
    for (size_t i = 0; i < rows * cols; i++)
        x[i] = (float)((i * 7919u) % 1000) * 1e-3f + 3.0f;
    for (size_t i = 0; i < cols; i++) {
        g[i] = 1.0f;
        b[i] = 0.5f;
    }
    if (simdnorm_set_isa(isa) != SIMDNORM_OK)
        return 1;
    for (int k = 0; k < reps; k++)
        simdnorm_layer_norm_f32(rows, cols, x, cols, affine ? g : NULL, affine ? b : NULL, 1e-5f,
                                y, cols, m, r);
    printf("%g\n", (double)y[cols / 2]);
    return 0;
}
