/* threads.c - the thread count of the parallel entry points (OpenMP when
 * built with it) and the rule that keeps small or nested calls on the
 * calling thread. Results never depend on it: work is split only where every
 * output is computed the same way whichever thread computes it. */
#include <stdatomic.h>

#include "internal.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static _Atomic int requested_threads; /* 0: OpenMP's own default */

simdnorm_status simdnorm_set_num_threads(int n)
{
    if (n < 1)
        return SIMDNORM_ERR_PARAM;
    atomic_store(&requested_threads, n);
    return SIMDNORM_OK;
}

int simdnorm_get_num_threads(void)
{
    const int n = atomic_load(&requested_threads);
    if (n)
        return n;
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

int simdnorm_threads_for(size_t bytes, size_t max_parts)
{
    if (bytes < 2 * SIMDNORM_MIN_BYTES_PER_THREAD || max_parts < 2)
        return 1;
#ifdef _OPENMP
    if (omp_in_parallel())
        return 1; /* nested: the caller's threads are busy already */
    size_t n = (size_t)simdnorm_get_num_threads();
    if (n > bytes / SIMDNORM_MIN_BYTES_PER_THREAD)
        n = bytes / SIMDNORM_MIN_BYTES_PER_THREAD;
    if (n > max_parts)
        n = max_parts;
    return n < 1 ? 1 : (int)n;
#else
    return 1;
#endif
}
