/* threads.c - the thread count of the parallel entry points (OpenMP when
 * built with it), the rule that keeps small or nested calls on the calling
 * thread, and the one parallel region every entry point splits its work
 * with (simdnorm_parallel_for, internal.h). Results never depend on it: work is split only where every
 * output is computed the same way whichever thread computes it. */
#include <stdatomic.h>

#include "fpenv.h"
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

void simdnorm_parallel_run(int nt, size_t parts, simdnorm_range_fn body, void *ctx)
{
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; t++) {
        const size_t b = parts * (size_t)t / (size_t)nt;
        const size_t e = parts * (size_t)(t + 1) / (size_t)nt;
        if (b < e) {
            /* each worker computes under the canonical state too (its own
             * control register) */
            const simdnorm_fpenv fe = simdnorm_fpenv_enter();
            body(ctx, b, e);
            simdnorm_fpenv_leave(fe);
        }
    }
#else
    (void)nt;
    body(ctx, 0, parts); /* the caller is in the canonical state already */
#endif
}
