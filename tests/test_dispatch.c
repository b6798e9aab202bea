/* test_dispatch.c - ISA selection: detection agrees with /proc/cpuinfo (or
 * with --expect-default under qemu), SIMDNORM_ISA and simdnorm_set_isa pick
 * exactly the requested ISA and refuse one the CPU lacks, and the forced
 * ISA's kernels are the ones in the active table.
 *   test_dispatch [--expect-default=ISA] [--env=VALUE]
 * --env=VALUE: the process was started with SIMDNORM_ISA=VALUE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "cpu.h"
#include "internal.h"

static int parse_isa(const char *s, simdnorm_isa *out)
{
    for (int i = 0; i < isa_count(); i++)
        if (strcmp(s, simdnorm_isa_name((simdnorm_isa)i)) == 0) {
            *out = (simdnorm_isa)i;
            return 1;
        }
    return 0;
}

/* What /proc/cpuinfo says of the first CPU, independently of the library:
 * its flags that the ISA levels need, and whether it is an AMD family 19h
 * (the zmm_split rule). Returns 0 where the file or its flags line cannot
 * be read. */
typedef struct cpuinfo {
    int avx2, fma, f16c, f512, bw, dq, vl, bf16, asimd, amd, family;
} cpuinfo;

static int cpuinfo_read(cpuinfo *ci)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return 0;
    static char line[8192];
    int found = 0;
    *ci = (cpuinfo){.family = -1};
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, "vendor_id", 9) == 0) {
            ci->amd = strstr(line, "AuthenticAMD") != NULL;
        } else if (strncmp(line, "cpu family", 10) == 0) {
            ci->family = atoi(strchr(line, ':') + 1);
        } else if (strncmp(line, "flags", 5) == 0 || strncmp(line, "Features", 8) == 0) {
            found = 1;
            for (char *tok = strtok(strchr(line, ':') + 1, " \t\n"); tok;
                 tok = strtok(NULL, " \t\n")) {
                ci->avx2 |= !strcmp(tok, "avx2");
                ci->fma |= !strcmp(tok, "fma");
                ci->f16c |= !strcmp(tok, "f16c");
                ci->f512 |= !strcmp(tok, "avx512f");
                ci->bw |= !strcmp(tok, "avx512bw");
                ci->dq |= !strcmp(tok, "avx512dq");
                ci->vl |= !strcmp(tok, "avx512vl");
                ci->bf16 |= !strcmp(tok, "avx512_bf16");
                ci->asimd |= !strcmp(tok, "asimd");
            }
        }
    }
    fclose(f);
    return found;
}

/* The best ISA by /proc/cpuinfo's flags. */
static int cpuinfo_best(simdnorm_isa *out)
{
    cpuinfo ci;
    if (!cpuinfo_read(&ci))
        return 0;
#if defined(__aarch64__)
    *out = ci.asimd ? SIMDNORM_ISA_NEON : SIMDNORM_ISA_SCALAR;
#else
    /* the AVX2 level includes F16C (the 16-bit conversions); avx512bf16 is
     * AVX-512 plus AVX512-BF16 */
    const int avx512 = ci.avx2 && ci.fma && ci.f16c && ci.f512 && ci.bw && ci.dq && ci.vl;
    *out = avx512 && ci.bf16                 ? SIMDNORM_ISA_AVX512BF16
           : avx512                          ? SIMDNORM_ISA_AVX512
           : (ci.avx2 && ci.fma && ci.f16c) ? SIMDNORM_ISA_AVX2
                                            : SIMDNORM_ISA_SCALAR;
#endif
    return 1;
}

/* Whether /proc/cpuinfo names an AMD family 19h CPU with AVX-512F (Zen 4:
 * SIMDNORM_CPU_ZMM_SPLIT); 0: unreadable. */
static int cpuinfo_zmm_split(int *out)
{
    cpuinfo ci;
    if (!cpuinfo_read(&ci))
        return 0;
    *out = ci.amd && ci.family == 0x19 && ci.f512;
    return 1;
}

/* Whether the ISA is expected to run, given the best one (the x86 levels
 * nest in the order of their values: scalar, avx2, avx512, avx512bf16). */
static int expected_available(simdnorm_isa isa, simdnorm_isa best)
{
    if (isa == SIMDNORM_ISA_SCALAR)
        return 1;
#if defined(__aarch64__)
    return isa == SIMDNORM_ISA_NEON && best == SIMDNORM_ISA_NEON;
#else
    if (isa == SIMDNORM_ISA_NEON)
        return 0;
    return (int)isa <= (int)best;
#endif
}

/* The tables cascade (kernels/isa_list.h): each family an ISA lists points
 * at that ISA's own kernel, every other one at its parent's table's (where
 * the parent is compiled in; scalar, the root, lists every family). */
#define FAMILY_FLAG_(a, f) unsigned char f;
typedef struct family_flags {
    SIMDNORM_KERNEL_FAMILIES(FAMILY_FLAG_, ~)
} family_flags;
#undef FAMILY_FLAG_
#define OWN_KERNEL_(tok, f)                                                                       \
    own.f = 1;                                                                                    \
    CHECK(t->f == simdnorm_##f##_##tok, "%s is not its own kernel", #f);
#define PARENT_KERNEL_(a, f)                                                                      \
    if (!own.f)                                                                                   \
        CHECK(t->f == p->f, "%s is not its parent's", #f);
#define CASCADE_CASE_(E, tok, P, level)                                                           \
    SIMDNORM_IF_##E({                                                                             \
        h_begin("table_cascades[%s]", #tok);                                                      \
        const simdnorm_kernels *t = simdnorm_kernels_for(SIMDNORM_ISA_##E);                       \
        const simdnorm_kernels *p = simdnorm_kernels_for(SIMDNORM_ISA_##P);                       \
        family_flags own;                                                                         \
        memset(&own, 0, sizeof own);                                                              \
        CHECK(t != NULL, "no table");                                                             \
        if (t) {                                                                                  \
            SIMDNORM_KERNELS_##tok(OWN_KERNEL_, tok)                                              \
            if (p && p != t) {                                                                    \
                SIMDNORM_KERNEL_FAMILIES(PARENT_KERNEL_, ~)                                       \
            }                                                                                     \
        }                                                                                         \
        h_end();                                                                                  \
    })

static void test_cascade(void) { SIMDNORM_ISAS(CASCADE_CASE_) }

int main(int argc, char **argv)
{
    const char *expect_default = NULL, *env = NULL;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--expect-default=", 17) == 0)
            expect_default = argv[i] + 17;
        else if (strncmp(argv[i], "--env=", 6) == 0)
            env = argv[i] + 6;
    }

    /* The best ISA this CPU runs, known without asking the library. */
    simdnorm_isa best;
    h_begin("best_isa_known_independently");
    if (expect_default)
        CHECK(parse_isa(expect_default, &best), "bad --expect-default=%s", expect_default);
    else
        CHECK(cpuinfo_best(&best), "cannot read /proc/cpuinfo");
    h_end();

    /* First use of the library happens here: SIMDNORM_ISA is read now. */
    const simdnorm_isa first = simdnorm_active_isa();
    if (env) {
        simdnorm_isa wanted;
        const int known = parse_isa(env, &wanted);
        h_begin("env_SIMDNORM_ISA=%s", env);
        const char *seen = simdnorm_isa_env();
        CHECK(seen && strcmp(seen, env) == 0, "library saw SIMDNORM_ISA=%s", seen ? seen : "(unset)");
        if (known && expected_available(wanted, best)) {
            CHECK(first == wanted, "active %s, want %s", simdnorm_isa_name(first), env);
            CHECK(strcmp(simdnorm_isa_reason(), "SIMDNORM_ISA") == 0, "reason %s", simdnorm_isa_reason());
        } else {
            CHECK(first == best, "active %s, want the default %s", simdnorm_isa_name(first),
                  simdnorm_isa_name(best));
            CHECK(strstr(simdnorm_isa_reason(), known ? "not available" : "unknown") != NULL,
                  "reason %s", simdnorm_isa_reason());
        }
        h_end();
    } else {
        h_begin("default_is_best_available");
        CHECK(first == best, "active %s, want %s", simdnorm_isa_name(first), simdnorm_isa_name(best));
        CHECK(strcmp(simdnorm_isa_reason(), "default") == 0, "reason %s", simdnorm_isa_reason());
        h_end();
    }

    for (int i = SIMDNORM_ISA_SCALAR; i < isa_count(); i++) {
        const simdnorm_isa isa = (simdnorm_isa)i;
        h_begin("available_matches_cpu[%s]", simdnorm_isa_name(isa));
        CHECK(simdnorm_isa_available(isa) == expected_available(isa, best),
              "available %d, expected %d", simdnorm_isa_available(isa), expected_available(isa, best));
        h_end();

        h_begin("set_isa_selects_exactly[%s]", simdnorm_isa_name(isa));
        const simdnorm_isa prev = simdnorm_active_isa();
        const simdnorm_status st = simdnorm_set_isa(isa);
        if (expected_available(isa, best)) {
            CHECK(st == SIMDNORM_OK, "status %d", st);
            CHECK(simdnorm_active_isa() == isa, "active %s", simdnorm_isa_name(simdnorm_active_isa()));
            /* the forced ISA's kernels are the ones calls go through */
            const simdnorm_kernels *want = simdnorm_kernels_for(isa), *got = simdnorm_active_kernels();
            CHECK(want && got == want && got->f32_moments == want->f32_moments &&
                      got->f32_sumsq == want->f32_sumsq &&
                      got->f32_normalize == want->f32_normalize,
                  "active table is not %s's", simdnorm_isa_name(isa));
            float x[40], y[40];
            for (int j = 0; j < 40; j++)
                x[j] = (float)j;
            CHECK(simdnorm_layer_norm_f32(1, 40, x, 40, NULL, NULL, 0.0f, y, 40, NULL, NULL) ==
                          SIMDNORM_OK && fabs(y[0] + 1.689277519114419) < 2e-6,
                  "a call on %s gave %.9g", simdnorm_isa_name(isa), y[0]);
        } else {
            CHECK(st == SIMDNORM_ERR_ISA, "status %d, want SIMDNORM_ERR_ISA", st);
            CHECK(simdnorm_active_isa() == prev, "active ISA changed");
        }
        h_end();
    }

    test_cascade();

    /* The zmm_split rule (cpu.h) on cpuid signatures: leaf 0's vendor
     * registers (ebx, edx, ecx) and leaf 1's eax. */
    h_begin("zmm_split_signatures");
    const unsigned amd[3] = {0x68747541u, 0x69746e65u, 0x444d4163u};   /* AuthenticAMD */
    const unsigned intel[3] = {0x756e6547u, 0x49656e69u, 0x6c65746eu}; /* GenuineIntel */
    const unsigned f512 = SIMDNORM_CPU_AVX512F | SIMDNORM_CPU_AVX2;
    const struct {
        const unsigned *vendor;
        unsigned eax1, features;
        int split;
        const char *what;
    } sig[] = {
        {amd, 0x00A10F11u, f512, 1, "Zen 4 EPYC (19h)"},
        {amd, 0x00A60F12u, f512, 1, "Zen 4 Ryzen (19h)"},
        {amd, 0x00A20F12u, SIMDNORM_CPU_AVX2, 0, "Zen 3 (19h, no AVX-512)"},
        {amd, 0x00B00F21u, f512, 0, "Zen 5 (1Ah)"},
        {amd, 0x00830F10u, SIMDNORM_CPU_AVX2, 0, "Zen 2 (17h)"},
        {intel, 0x000806F8u, f512, 0, "Sapphire Rapids"},
        {intel, 0x00050654u, f512, 0, "Skylake-SP"},
    };
    for (size_t i = 0; i < sizeof sig / sizeof *sig; i++)
        CHECK(simdnorm_x86_zmm_split(sig[i].vendor[0], sig[i].vendor[1], sig[i].vendor[2],
                                     sig[i].eax1, sig[i].features) == sig[i].split,
              "%s: want %d", sig[i].what, sig[i].split);
    CHECK(!simdnorm_x86_zmm_split(intel[0], intel[1], intel[2], 0x00A10F11u, f512),
          "an Intel vendor with family 19h's signature");
    h_end();

    /* The library's bit agrees with /proc/cpuinfo natively; under qemu
     * (--expect-default: cpuinfo is the host's, cpuid the emulated CPU's)
     * the bit needs AVX-512F, which the emulated CPUs lack. */
    h_begin("zmm_split_matches_cpu");
    const int lib_split = (simdnorm_cpu_features() & SIMDNORM_CPU_ZMM_SPLIT) != 0;
    int want_split = 0;
    if (!expect_default)
        CHECK(cpuinfo_zmm_split(&want_split), "cannot read /proc/cpuinfo");
    CHECK(lib_split == want_split, "library %d, expected %d", lib_split, want_split);
    h_end();
    return h_summary();
}
