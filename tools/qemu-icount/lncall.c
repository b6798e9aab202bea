/* lncall.c - calls simdnorm_layer_norm_f32 on ROWS rows (environment, default
 * 1) `reps` times with a forced ISA (neon, avx2, avx512; anything else:
 * scalar), for instruction counting under qemu (icount.sh) or valgrind
 * (x86: gcc -O2 -Iinclude tools/qemu-icount/lncall.c build/libsimdnorm.a
 * -fopenmp -lm -o lncall; ROWS=248 valgrind --tool=callgrind ./lncall 33 200
 * avx2 affine: the instruction count of 200 calls). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simdnorm.h"

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    const size_t cols = strtoul(argv[1], 0, 10);
    const int reps = atoi(argv[2]);
    const simdnorm_isa isa = !strcmp(argv[3], "neon")     ? SIMDNORM_ISA_NEON
                             : !strcmp(argv[3], "avx2")   ? SIMDNORM_ISA_AVX2
                             : !strcmp(argv[3], "avx512") ? SIMDNORM_ISA_AVX512
                                                          : SIMDNORM_ISA_SCALAR;
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
