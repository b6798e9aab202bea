/* version.c - simdnorm_version(), and the build-time check that the header's
 * SIMDNORM_VERSION_* macros equal meson.build's project version. */
#include "simdnorm.h"

/* meson.build passes its project version split into these three. */
#if !defined(SIMDNORM_PROJECT_VERSION_MAJOR) || !defined(SIMDNORM_PROJECT_VERSION_MINOR) || \
    !defined(SIMDNORM_PROJECT_VERSION_PATCH)
#error "build simdnorm with meson: it defines SIMDNORM_PROJECT_VERSION_*"
#endif
_Static_assert(SIMDNORM_VERSION_MAJOR == SIMDNORM_PROJECT_VERSION_MAJOR &&
                   SIMDNORM_VERSION_MINOR == SIMDNORM_PROJECT_VERSION_MINOR &&
                   SIMDNORM_VERSION_PATCH == SIMDNORM_PROJECT_VERSION_PATCH,
               "include/simdnorm.h SIMDNORM_VERSION_* differ from meson.build's version");

#define STR_(v) #v
#define STR(v) STR_(v)

const char *simdnorm_version(void)
{
    return STR(SIMDNORM_VERSION_MAJOR) "." STR(SIMDNORM_VERSION_MINOR) "." STR(
        SIMDNORM_VERSION_PATCH);
}
