/* test_dispatch.c - ISA selection: detection agrees with /proc/cpuinfo (or
 * with --expect-default under qemu), SIMDNORM_ISA and simdnorm_set_isa pick
 * exactly the requested ISA and refuse one the CPU lacks, and the forced
 * ISA's kernels are the ones in the active table.
 *   test_dispatch [--expect-default=ISA] [--env=VALUE]
 * --env=VALUE: the process was started with SIMDNORM_ISA=VALUE. */
#include <stdio.h>
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

/* The best ISA by /proc/cpuinfo's flags, independently of the library. */
static int cpuinfo_best(simdnorm_isa *out)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return 0;
    static char line[8192];
    int found = 0, avx2 = 0, fma = 0, f16c = 0, f512 = 0, bw = 0, dq = 0, vl = 0, asimd = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0 && strncmp(line, "Features", 8) != 0)
            continue;
        found = 1;
        for (char *tok = strtok(strchr(line, ':') + 1, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
            avx2 |= !strcmp(tok, "avx2");
            fma |= !strcmp(tok, "fma");
            f16c |= !strcmp(tok, "f16c");
            f512 |= !strcmp(tok, "avx512f");
            bw |= !strcmp(tok, "avx512bw");
            dq |= !strcmp(tok, "avx512dq");
            vl |= !strcmp(tok, "avx512vl");
            asimd |= !strcmp(tok, "asimd");
        }
        break;
    }
    fclose(f);
    if (!found)
        return 0;
#if defined(__aarch64__)
    *out = asimd ? SIMDNORM_ISA_NEON : SIMDNORM_ISA_SCALAR;
#else
    (void)asimd;
    /* the AVX2 level includes F16C (the 16-bit conversions) */
    *out = (avx2 && fma && f16c && f512 && bw && dq && vl) ? SIMDNORM_ISA_AVX512
           : (avx2 && fma && f16c)                         ? SIMDNORM_ISA_AVX2
                                                           : SIMDNORM_ISA_SCALAR;
#endif
    return 1;
}

/* Whether the ISA is expected to run, given the best one (levels nest). */
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
            CHECK(want && got->f32_moments == want->f32_moments &&
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
    return h_summary();
}
