/* harness.h - a minimal test runner: named cases that pass, fail or skip,
 * a closing "N passed, N failed, N skipped" line, exit 1 on any failure. */
#ifndef SIMDNORM_HARNESS_H
#define SIMDNORM_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int h_passed, h_failed, h_skipped;
static int h_case_failures;
static const char *h_case_name;
static char h_case_buf[160];

/* Record a failed check of the current case (the first few are printed). */
static inline void h_fail(const char *file, int line, const char *fmt, ...)
{
    if (h_case_failures++ < 5) {
        va_list ap;
        va_start(ap, fmt);
        printf("  %s:%d: ", file, line);
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
    }
}

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond))                                                         \
            h_fail(__FILE__, __LINE__, __VA_ARGS__);                         \
    } while (0)

static inline void h_begin(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h_case_buf, sizeof h_case_buf, fmt, ap);
    va_end(ap);
    h_case_name = h_case_buf;
    h_case_failures = 0;
}

static inline void h_end(void)
{
    if (h_case_failures) {
        printf("FAIL %s (%d failed checks)\n", h_case_name, h_case_failures);
        h_failed++;
    } else {
        printf("PASS %s\n", h_case_name);
        h_passed++;
    }
    fflush(stdout);
}

static inline void h_skip(const char *why)
{
    printf("SKIP %s: %s\n", h_case_name, why);
    h_skipped++;
    fflush(stdout);
}

static inline int h_summary(void)
{
    printf("%d passed, %d failed, %d skipped\n", h_passed, h_failed, h_skipped);
    return h_failed ? 1 : 0;
}

#endif /* SIMDNORM_HARNESS_H */
