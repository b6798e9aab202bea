/* isa_list.h - the one list of ISAs, and the kernel families each ISA
 * defines. Everything that names the ISAs - the kernel declarations
 * (kernels.h), the dispatcher's tables, names, CPU checks and preference
 * (dispatch/isa.c), simdnorm-info and the tests - expands this list; the
 * only other list is the build's (kernels/meson.build: flags and sources),
 * and the public enum simdnorm_isa (include/simdnorm.h).
 *
 * SIMDNORM_ISAS(X) calls X(ENUM, token, PARENT, cpu_level) for each ISA, in
 * order of preference (the last one this CPU runs is the default):
 *   ENUM       the simdnorm_isa value is SIMDNORM_ISA_<ENUM>
 *   token      the name everywhere: file suffix, meson key, kernel suffix,
 *              SIMDNORM_ISA value, simdnorm_isa_name()
 *   PARENT     the ISA whose table this one starts from (tables cascade: an
 *              ISA overrides only the families it lists below; scalar, the
 *              root, is its own parent and defines every family). A parent
 *              comes earlier in the list.
 *   cpu_level  the CPU feature bits (dispatch/cpu.h) the ISA needs
 * A parent of another architecture is fine (NEON starts from scalar). */
#ifndef SIMDNORM_ISA_LIST_H
#define SIMDNORM_ISA_LIST_H

#define SIMDNORM_ISAS(X)                                                      \
    X(SCALAR, scalar, SCALAR, 0u)                                             \
    X(AVX2, avx2, SCALAR, SIMDNORM_CPU_LEVEL_AVX2)                            \
    X(AVX512, avx512, AVX2, SIMDNORM_CPU_LEVEL_AVX512)                        \
    X(NEON, neon, SCALAR, SIMDNORM_CPU_LEVEL_NEON)                            \
    X(AVX512BF16, avx512bf16, AVX512, SIMDNORM_CPU_LEVEL_AVX512BF16)

/* SIMDNORM_KERNELS_<token>(X, token): X(token, family) for each kernel
 * family (kernels.h) the ISA defines itself; the others come from its
 * parent's table. An ISA that starts with one kernel lists one family. */
#define SIMDNORM_KERNELS_scalar(X, isa) SIMDNORM_KERNEL_FAMILIES(X, isa)
#define SIMDNORM_KERNELS_avx2(X, isa) SIMDNORM_KERNEL_FAMILIES(X, isa)
#define SIMDNORM_KERNELS_avx512(X, isa) SIMDNORM_KERNEL_FAMILIES(X, isa)
#define SIMDNORM_KERNELS_neon(X, isa) SIMDNORM_KERNEL_FAMILIES(X, isa)
/* AVX-512 with AVX512-BF16: only the bf16 storage families, which narrow
 * with vcvtne2ps2bf16 (vec_avx512.h); the rest is avx512's. */
#define SIMDNORM_KERNELS_avx512bf16(X, isa) SIMDNORM_HALF_FAMILIES(X, isa, bf16)

/* SIMDNORM_IF_<ENUM>(...): its arguments where the ISA is compiled in (the
 * build defines SIMDNORM_HAVE_<ENUM>), nothing elsewhere. */
#if defined(SIMDNORM_HAVE_SCALAR)
#define SIMDNORM_IF_SCALAR(...) __VA_ARGS__
#else
#define SIMDNORM_IF_SCALAR(...)
#endif
#if defined(SIMDNORM_HAVE_AVX2)
#define SIMDNORM_IF_AVX2(...) __VA_ARGS__
#else
#define SIMDNORM_IF_AVX2(...)
#endif
#if defined(SIMDNORM_HAVE_AVX512)
#define SIMDNORM_IF_AVX512(...) __VA_ARGS__
#else
#define SIMDNORM_IF_AVX512(...)
#endif
#if defined(SIMDNORM_HAVE_AVX512BF16)
#define SIMDNORM_IF_AVX512BF16(...) __VA_ARGS__
#else
#define SIMDNORM_IF_AVX512BF16(...)
#endif
#if defined(SIMDNORM_HAVE_NEON)
#define SIMDNORM_IF_NEON(...) __VA_ARGS__
#else
#define SIMDNORM_IF_NEON(...)
#endif

#endif /* SIMDNORM_ISA_LIST_H */
