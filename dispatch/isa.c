/* isa.c - the per-ISA kernel tables, built from the ISA list
 * (kernels/isa_list.h) by cascading, the one-time ISA choice (CPU features,
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

#define ISA_ONE_(E, isa, P, level) +1
enum { ISA_COUNT = 0 SIMDNORM_ISAS(ISA_ONE_) };

/* Whether each ISA is compiled in; its name; the CPU features it needs. */
#define ISA_BUILT_(E, isa, P, level) [SIMDNORM_ISA_##E] = 0 SIMDNORM_IF_##E(+1),
#define ISA_NAME_(E, isa, P, level) [SIMDNORM_ISA_##E] = #isa,
#define ISA_LEVEL_(E, isa, P, level) [SIMDNORM_ISA_##E] = (level),
static const unsigned char isa_built[ISA_COUNT] = {SIMDNORM_ISAS(ISA_BUILT_)};
static const char *const isa_names[ISA_COUNT] = {SIMDNORM_ISAS(ISA_NAME_)};
static const unsigned isa_levels[ISA_COUNT] = {SIMDNORM_ISAS(ISA_LEVEL_)};

/* The tables, one per ISA in the list, filled once by build_tables() (in
 * init, before any is published) and never written again. Cascade: an
 * ISA's table starts as a copy of its parent's (earlier in the list) and
 * takes the ISA's own kernels over it; an ISA that is not compiled in
 * passes its parent's table on unchanged (and is never selected). */
static simdnorm_kernels tables[ISA_COUNT];
#define TAKE_KERNEL_(isa, f) t->f = simdnorm_##f##_##isa;
#define BUILD_TABLE_(E, tok, P, level)                                        \
    {                                                                         \
        simdnorm_kernels *t = &tables[SIMDNORM_ISA_##E];                      \
        *t = tables[SIMDNORM_ISA_##P];                                        \
        SIMDNORM_IF_##E(SIMDNORM_KERNELS_##tok(TAKE_KERNEL_, tok))            \
        t->isa = SIMDNORM_ISA_##E;                                            \
    }

static void build_tables(void)
{
    SIMDNORM_ISAS(BUILD_TABLE_)
}

const char *const simdnorm_cpu_feature_names[13] = {
    "avx", "fma", "avx2", "avx512f", "avx512bw", "avx512dq", "avx512vl",
    "os_ymm", "os_zmm", "neon", "f16c", "zmm_split", "avx512bf16"};

int simdnorm_isa_count(void) { return ISA_COUNT; }

/* The table of an ISA (NULL if not compiled in). The scalar kernels are
 * built without -m flags, so they are also the table of an x86 CPU without
 * FMA: C fmaf is libm's exact software fma there, the same bits. */
static const simdnorm_kernels *table_for(simdnorm_isa isa)
{
    if ((unsigned)isa >= ISA_COUNT || !isa_built[isa])
        return NULL;
    return &tables[isa];
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static unsigned cpu_features;
static char env_value[32];
static int env_set;
static _Atomic(const simdnorm_kernels *) active_table;
static _Atomic(const char *) active_reason;

int simdnorm_isa_runnable(simdnorm_isa isa, unsigned f)
{
    if ((unsigned)isa >= ISA_COUNT || !isa_built[isa])
        return 0;
    return (f & isa_levels[isa]) == isa_levels[isa];
}

/* The default: the last ISA of the list this CPU runs. */
static simdnorm_isa best_isa(unsigned f)
{
    simdnorm_isa best = SIMDNORM_ISA_SCALAR;
    for (int i = 0; i < ISA_COUNT; i++)
        if (simdnorm_isa_runnable((simdnorm_isa)i, f))
            best = (simdnorm_isa)i;
    return best;
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

#define SET_PARENT_(E, tok, P, level)                                         \
    tables[SIMDNORM_ISA_##E].parent =                                         \
        SIMDNORM_ISA_##E != SIMDNORM_ISA_##P &&                               \
                simdnorm_isa_runnable(SIMDNORM_ISA_##P, cpu_features)         \
            ? &tables[SIMDNORM_ISA_##P]                                       \
            : NULL;

static void init(void)
{
    build_tables();
    cpu_features = simdnorm_cpu_detect_arch();
    SIMDNORM_ISAS(SET_PARENT_)
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
    atomic_store(&active_table, table_for(isa));
}

static void ensure_init(void) { pthread_once(&init_once, init); }

const simdnorm_kernels *simdnorm_kernels_for(simdnorm_isa isa)
{
    ensure_init();
    return table_for(isa);
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
    atomic_store_explicit(&active_table, table_for(isa), memory_order_release);
    return SIMDNORM_OK;
}

const char *simdnorm_isa_name(simdnorm_isa isa)
{
    return (unsigned)isa < ISA_COUNT ? isa_names[isa] : "unknown";
}
