/* simdnorm-info - prints what simdnorm found on this machine: CPU features
 * (and whether the OS saves the vector state), the ISAs available, and which
 * one calls use and why. --json prints the same for scripts. */
#include <stdio.h>
#include <string.h>

#include "cpu.h"
#include "simdnorm.h"

int main(int argc, char **argv)
{
    const int json = argc > 1 && strcmp(argv[1], "--json") == 0;
    if (argc > 1 && !json) {
        fprintf(stderr, "usage: %s [--json]\n", argv[0]);
        return 2;
    }
    const unsigned f = simdnorm_cpu_features();
    const simdnorm_isa active = simdnorm_active_isa();
    const char *env = simdnorm_isa_env();
    const size_t nfeat = sizeof simdnorm_cpu_feature_names / sizeof *simdnorm_cpu_feature_names;

    if (json) {
        printf("{\"version\": \"%d.%d.%d\", \"features\": [", SIMDNORM_VERSION_MAJOR,
               SIMDNORM_VERSION_MINOR, SIMDNORM_VERSION_PATCH);
        const char *sep = "";
        for (size_t i = 0; i < nfeat; i++)
            if (f & (1u << i)) {
                printf("%s\"%s\"", sep, simdnorm_cpu_feature_names[i]);
                sep = ", ";
            }
        printf("], \"available\": [");
        sep = "";
        for (int i = SIMDNORM_ISA_SCALAR; i <= SIMDNORM_ISA_NEON; i++)
            if (simdnorm_isa_available((simdnorm_isa)i)) {
                printf("%s\"%s\"", sep, simdnorm_isa_name((simdnorm_isa)i));
                sep = ", ";
            }
        printf("], \"active\": \"%s\", \"reason\": \"%s\", \"SIMDNORM_ISA\": ",
               simdnorm_isa_name(active), simdnorm_isa_reason());
        if (env) {
            putchar('"');
            for (const char *p = env; *p; p++)
                if (*p >= 0x20 && *p != '"' && *p != '\\')
                    putchar(*p);
            printf("\"}\n");
        } else {
            printf("null}\n");
        }
        return 0;
    }

    printf("simdnorm %d.%d.%d\n", SIMDNORM_VERSION_MAJOR, SIMDNORM_VERSION_MINOR,
           SIMDNORM_VERSION_PATCH);
    printf("CPU features:");
    for (size_t i = 0; i < nfeat; i++)
        if (f & (1u << i))
            printf(" %s", simdnorm_cpu_feature_names[i]);
    printf("\n  (os_ymm / os_zmm: the OS saves the AVX / AVX-512 register state, XCR0)\n");
    printf("ISAs:\n");
    for (int i = SIMDNORM_ISA_SCALAR; i <= SIMDNORM_ISA_NEON; i++)
        printf("  %-7s %s\n", simdnorm_isa_name((simdnorm_isa)i),
               simdnorm_isa_available((simdnorm_isa)i) ? "available" : "not available");
    printf("active: %s (%s", simdnorm_isa_name(active), simdnorm_isa_reason());
    if (env)
        printf(", SIMDNORM_ISA=%s", env);
    printf(")\n");
    return 0;
}
