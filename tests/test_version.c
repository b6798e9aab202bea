/* test_version.c - simdnorm_version() is "MAJOR.MINOR.PATCH" of the header's
 * SIMDNORM_VERSION_* macros and of meson.build's project version (argv[1]). */
#include <stdio.h>

#include "common.h"

int main(int argc, char **argv)
{
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", SIMDNORM_VERSION_MAJOR, SIMDNORM_VERSION_MINOR,
             SIMDNORM_VERSION_PATCH);
    const char *got = simdnorm_version();

    h_begin("version_string_matches_header_macros");
    CHECK(got && strcmp(got, want) == 0, "simdnorm_version() = %s, macros say %s",
          got ? got : "(null)", want);
    h_end();

    h_begin("version_matches_meson_project_version");
    CHECK(argc > 1 && strcmp(argv[1], want) == 0, "meson says %s, header says %s",
          argc > 1 ? argv[1] : "(no argument)", want);
    h_end();

    h_begin("version_is_static");
    CHECK(simdnorm_version() == got, "two calls gave two pointers");
    h_end();
    return h_summary();
}
