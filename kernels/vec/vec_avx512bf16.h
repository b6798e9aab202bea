/* vec_avx512bf16.h - the vector operations of the avx512bf16 build: AVX-512
 * (vec_avx512.h) compiled with -mavx512bf16, whose bf16 narrowing uses the
 * AVX512-BF16 conversion instructions (the same bits). Only the bf16
 * storage families are built with it (kernels/meson.build, isa_list.h). */
#define SIMDNORM_VEC_ISA avx512bf16
#include "vec_avx512.h"
