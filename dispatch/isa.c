/* isa.c - the per-ISA kernel tables, the one-time ISA choice (CPU features,
 * SIMDNORM_ISA) and the atomic pointer that publishes the active table. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "internal.h"

#if !defined(__x86_64__) && !defined(__i386__) && !defined(__aarch64__)
unsigned simdnorm_cpu_detect_arch(void) { return 0; }
#endif

static const simdnorm_kernels table_scalar = SIMDNORM_KERNEL_TABLE(SIMDNORM_ISA_SCALAR, scalar);
#if defined(SIMDNORM_HAVE_SCALAR_NOFMA)
/* The scalar ISA of an x86 CPU that cannot run FMA instructions: SLEEF's
 * FMA functions (purecfma) would raise SIGILL there, so its activations
 * come from the non-FMA ones (purec) - the one documented exception to
 * bitwise identity (kernels.h). Everything else is table_scalar's. */
static const simdnorm_kernels table_scalar_nofma =
    SIMDNORM_KERNEL_TABLE_MATH(SIMDNORM_ISA_SCALAR, scalar, scalar_nofma);
#endif
#if defined(SIMDNORM_HAVE_AVX2)
static const simdnorm_kernels table_avx2 = SIMDNORM_KERNEL_TABLE(SIMDNORM_ISA_AVX2, avx2);
#endif
#if defined(SIMDNORM_HAVE_AVX512)
static const simdnorm_kernels table_avx512 = SIMDNORM_KERNEL_TABLE(SIMDNORM_ISA_AVX512, avx512);
#endif
#if defined(SIMDNORM_HAVE_NEON)
static const simdnorm_kernels table_neon = SIMDNORM_KERNEL_TABLE(SIMDNORM_ISA_NEON, neon);
#endif

#define ISA_COUNT 4

/* Indexed by simdnorm_isa; NULL where the ISA is not compiled in. */
static const simdnorm_kernels *const tables[ISA_COUNT] = {
    &table_scalar,
#if defined(SIMDNORM_HAVE_AVX2)
    &table_avx2,
#else
    NULL,
#endif
#if defined(SIMDNORM_HAVE_AVX512)
    &table_avx512,
#else
    NULL,
#endif
#if defined(SIMDNORM_HAVE_NEON)
    &table_neon,
#else
    NULL,
#endif
};

static const char *const isa_names[ISA_COUNT] = {"scalar", "avx2", "avx512", "neon"};

const char *const simdnorm_cpu_feature_names[10] = {
    "avx", "fma", "avx2", "avx512f", "avx512bw", "avx512dq", "avx512vl",
    "os_ymm", "os_zmm", "neon"};

/* The table an ISA runs with on a CPU with features f (NULL if not
 * compiled in). FMA instructions are VEX-encoded: they need the OS to save
 * the YMM state too. */
static const simdnorm_kernels *table_for(simdnorm_isa isa, unsigned f)
{
#if defined(SIMDNORM_HAVE_SCALAR_NOFMA)
    const unsigned fma = SIMDNORM_CPU_AVX | SIMDNORM_CPU_FMA | SIMDNORM_CPU_OS_YMM;
    if (isa == SIMDNORM_ISA_SCALAR && (f & fma) != fma)
        return &table_scalar_nofma;
#else
    (void)f;
#endif
    return tables[isa];
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static unsigned cpu_features;
static char env_value[32];
static int env_set;
static _Atomic(const simdnorm_kernels *) active_table;
static _Atomic(const char *) active_reason;

int simdnorm_isa_runnable(simdnorm_isa isa, unsigned f)
{
    const unsigned avx2_level = SIMDNORM_CPU_AVX | SIMDNORM_CPU_FMA |
                                SIMDNORM_CPU_AVX2 | SIMDNORM_CPU_OS_YMM;
    const unsigned avx512_level = avx2_level | SIMDNORM_CPU_AVX512F |
                                  SIMDNORM_CPU_AVX512BW | SIMDNORM_CPU_AVX512DQ |
                                  SIMDNORM_CPU_AVX512VL | SIMDNORM_CPU_OS_ZMM;
    if ((unsigned)isa >= ISA_COUNT || !tables[isa])
        return 0;
    switch (isa) {
    case SIMDNORM_ISA_SCALAR: return 1;
    case SIMDNORM_ISA_AVX2: return (f & avx2_level) == avx2_level;
    case SIMDNORM_ISA_AVX512: return (f & avx512_level) == avx512_level;
    case SIMDNORM_ISA_NEON: return (f & SIMDNORM_CPU_NEON) != 0;
    }
    return 0;
}

static simdnorm_isa best_isa(unsigned f)
{
    static const simdnorm_isa preference[] = {SIMDNORM_ISA_AVX512, SIMDNORM_ISA_AVX2,
                                              SIMDNORM_ISA_NEON};
    for (size_t i = 0; i < sizeof preference / sizeof *preference; i++)
        if (simdnorm_isa_runnable(preference[i], f))
            return preference[i];
    return SIMDNORM_ISA_SCALAR;
}

static int parse_isa(const char *name, simdnorm_isa *out)
{
    for (int i = 0; i < ISA_COUNT; i++) {
        if (strcmp(name, isa_names[i]) == 0) {
            *out = (simdnorm_isa)i;
            return 1;
        }
    }
    return 0;
}

static void init(void)
{
    cpu_features = simdnorm_cpu_detect_arch();
    simdnorm_isa isa = best_isa(cpu_features);
    const char *reason = "default";
    const char *env = getenv("SIMDNORM_ISA");
    if (env && *env) {
        env_set = 1;
        strncpy(env_value, env, sizeof env_value - 1);
        simdnorm_isa wanted;
        if (!parse_isa(env, &wanted))
            reason = "SIMDNORM_ISA unknown, default used";
        else if (!simdnorm_isa_runnable(wanted, cpu_features))
            reason = "SIMDNORM_ISA not available, default used";
        else {
            isa = wanted;
            reason = "SIMDNORM_ISA";
        }
    }
    atomic_store(&active_reason, reason);
    atomic_store(&active_table, table_for(isa, cpu_features));
}

static void ensure_init(void) { pthread_once(&init_once, init); }

const simdnorm_kernels *simdnorm_kernels_for(simdnorm_isa isa)
{
    ensure_init();
    return (unsigned)isa < ISA_COUNT ? table_for(isa, cpu_features) : NULL;
}

int simdnorm_scalar_math_fma(void)
{
    return simdnorm_kernels_for(SIMDNORM_ISA_SCALAR) == &table_scalar;
}

const simdnorm_kernels *simdnorm_active_kernels(void)
{
    const simdnorm_kernels *t = atomic_load_explicit(&active_table, memory_order_acquire);
    if (t)
        return t;
    ensure_init();
    return atomic_load_explicit(&active_table, memory_order_acquire);
}

unsigned simdnorm_cpu_features(void)
{
    ensure_init();
    return cpu_features;
}

const char *simdnorm_isa_reason(void)
{
    ensure_init();
    return atomic_load(&active_reason);
}

const char *simdnorm_isa_env(void)
{
    ensure_init();
    return env_set ? env_value : NULL;
}

simdnorm_isa simdnorm_active_isa(void)
{
    return (simdnorm_isa)simdnorm_active_kernels()->isa;
}

int simdnorm_isa_available(simdnorm_isa isa)
{
    ensure_init();
    return simdnorm_isa_runnable(isa, cpu_features);
}

simdnorm_status simdnorm_set_isa(simdnorm_isa isa)
{
    if ((unsigned)isa >= ISA_COUNT)
        return SIMDNORM_ERR_PARAM;
    if (!simdnorm_isa_available(isa))
        return SIMDNORM_ERR_ISA;
    atomic_store(&active_reason, "simdnorm_set_isa");
    atomic_store_explicit(&active_table, table_for(isa, cpu_features), memory_order_release);
    return SIMDNORM_OK;
}

const char *simdnorm_isa_name(simdnorm_isa isa)
{
    return (unsigned)isa < ISA_COUNT ? isa_names[isa] : "unknown";
}
