/* simdnorm-info - prints what simdnorm found on this machine: the library
 * version, the CPU features (and whether the OS saves the vector register
 * state), each ISA compiled in and whether it can run here, and which one
 * calls use and why. --json prints the same as one JSON object for scripts:
 *   {"version": "0.1.0", "header_version": "0.1.0", "arch": "x86_64",
 *    "features": ["avx", ...], "os_saves": {"ymm": true, "zmm": true},
 *    "isas": [{"name": "scalar", "compiled": true, "available": true}, ...],
 *    "available": ["scalar", ...], "active": "avx2",
 *    "reason": "default" | "SIMDNORM_ISA" | "SIMDNORM_ISA unknown, default used"
 *              | "SIMDNORM_ISA not available, default used",
 *    "SIMDNORM_ISA": null | "<value seen at first use>"}
 * "os_saves" is {} off x86 (NEON state is always saved on AArch64). */
#include <stdio.h>
#include <string.h>

#include "cpu.h"
#include "internal.h"
#include "simdnorm.h"

#if defined(__x86_64__) || defined(__i386__)
#define ARCH "x86_64"
#define HAVE_XCR0 1
#elif defined(__aarch64__)
#define ARCH "aarch64"
#define HAVE_XCR0 0
#else
#define ARCH "other"
#define HAVE_XCR0 0
#endif

#define N_FEATURES (sizeof simdnorm_cpu_feature_names / sizeof *simdnorm_cpu_feature_names)
#define OS_BITS (SIMDNORM_CPU_OS_YMM | SIMDNORM_CPU_OS_ZMM)

/* s as a JSON string: quotes, backslashes and control bytes escaped, bytes
 * above 0x7f as \u00XX so any environment value gives valid JSON. */
static void json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p > 0x7e)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static const char *bool_str(int b) { return b ? "true" : "false"; }

static void print_json(unsigned f, simdnorm_isa active, const char *env)
{
    printf("{\"version\": ");
    json_string(simdnorm_version());
    printf(", \"header_version\": \"%d.%d.%d\", \"arch\": \"%s\", \"features\": [",
           SIMDNORM_VERSION_MAJOR, SIMDNORM_VERSION_MINOR, SIMDNORM_VERSION_PATCH, ARCH);
    const char *sep = "";
    for (size_t i = 0; i < N_FEATURES; i++)
        if ((f & (1u << i)) && !((1u << i) & OS_BITS)) {
            printf("%s\"%s\"", sep, simdnorm_cpu_feature_names[i]);
            sep = ", ";
        }
    printf("], \"os_saves\": {");
    if (HAVE_XCR0)
        printf("\"ymm\": %s, \"zmm\": %s", bool_str(f & SIMDNORM_CPU_OS_YMM),
               bool_str(f & SIMDNORM_CPU_OS_ZMM));
    printf("}, \"isas\": [");
    for (int i = SIMDNORM_ISA_SCALAR; i < simdnorm_isa_count(); i++) {
        const simdnorm_isa isa = (simdnorm_isa)i;
        printf("%s{\"name\": \"%s\", \"compiled\": %s, \"available\": %s}", i ? ", " : "",
               simdnorm_isa_name(isa), bool_str(simdnorm_kernels_for(isa) != NULL),
               bool_str(simdnorm_isa_available(isa)));
    }
    printf("], \"available\": [");
    sep = "";
    for (int i = SIMDNORM_ISA_SCALAR; i < simdnorm_isa_count(); i++)
        if (simdnorm_isa_available((simdnorm_isa)i)) {
            printf("%s\"%s\"", sep, simdnorm_isa_name((simdnorm_isa)i));
            sep = ", ";
        }
    printf("], \"active\": \"%s\", \"reason\": ", simdnorm_isa_name(active));
    json_string(simdnorm_isa_reason());
    printf(", \"SIMDNORM_ISA\": ");
    if (env)
        json_string(env);
    else
        printf("null");
    printf("}\n");
}

static void print_text(unsigned f, simdnorm_isa active, const char *env)
{
    printf("simdnorm %s (header %d.%d.%d), %s\n", simdnorm_version(), SIMDNORM_VERSION_MAJOR,
           SIMDNORM_VERSION_MINOR, SIMDNORM_VERSION_PATCH, ARCH);
    printf("CPU features:");
    for (size_t i = 0; i < N_FEATURES; i++)
        if ((f & (1u << i)) && !((1u << i) & OS_BITS))
            printf(" %s", simdnorm_cpu_feature_names[i]);
    printf("\n");
    if (HAVE_XCR0)
        printf("OS saves (XCR0): YMM (AVX) state %s, ZMM (AVX-512) state %s\n",
               f & SIMDNORM_CPU_OS_YMM ? "yes" : "no", f & SIMDNORM_CPU_OS_ZMM ? "yes" : "no");
    printf("ISAs:\n");
    for (int i = SIMDNORM_ISA_SCALAR; i < simdnorm_isa_count(); i++) {
        const simdnorm_isa isa = (simdnorm_isa)i;
        printf("  %-10s %s\n", simdnorm_isa_name(isa),
               simdnorm_isa_available(isa)        ? "available"
               : simdnorm_kernels_for(isa) != NULL ? "not available (this CPU/OS cannot run it)"
                                                   : "not available (not compiled in)");
    }
    printf("active: %s (%s", simdnorm_isa_name(active), simdnorm_isa_reason());
    if (env)
        printf("; SIMDNORM_ISA=%s", env);
    printf(")\n");
}

int main(int argc, char **argv)
{
    const int json = argc == 2 && strcmp(argv[1], "--json") == 0;
    if (argc > 2 || (argc == 2 && !json)) {
        fprintf(stderr, "usage: %s [--json]\n", argv[0]);
        return 2;
    }
    /* the first use of the library: SIMDNORM_ISA is read now */
    const simdnorm_isa active = simdnorm_active_isa();
    const unsigned f = simdnorm_cpu_features();
    const char *env = simdnorm_isa_env();
    if (json)
        print_json(f, active, env);
    else
        print_text(f, active, env);
    return 0;
}
