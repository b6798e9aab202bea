/* test_threads.c - thread safety of the dispatcher and the entry points:
 * many threads make the process's first library call at the same moment
 * (released together by a barrier; repeated in fresh forked processes), and
 * row norms keep running while other threads switch the ISA with
 * simdnorm_set_isa. Every result must be bitwise equal to a single-threaded
 * run. The test command runs it under ThreadSanitizer as well. */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "common.h"

enum { RACERS = 16, FORKS = 8, WORKERS = 4, SWITCHERS = 2, ITERS = 100 };

/* The problems every worker runs: short rows, one long multi-block row. */
typedef struct shape {
    size_t rows, cols;
} shape;
static const shape shapes[] = {{8, 67}, {3, 1000}, {1, 9000}};
#define N_SHAPES (sizeof shapes / sizeof *shapes)

static float *x_in[N_SHAPES], *gamma_in[N_SHAPES], *beta_in[N_SHAPES];
/* single-threaded results: LayerNorm y, mean, rstd, then RMSNorm y, rstd */
static float *ref[N_SHAPES][5];

static size_t out_len(size_t s, int k)
{
    return (k == 0 || k == 3) ? shapes[s].rows * shapes[s].cols : shapes[s].rows;
}

static void make_inputs(void)
{
    rng_seed(7);
    for (size_t s = 0; s < N_SHAPES; s++) {
        const size_t n = shapes[s].rows * shapes[s].cols;
        x_in[s] = malloc(n * sizeof(float));
        gamma_in[s] = malloc(shapes[s].cols * sizeof(float));
        beta_in[s] = malloc(shapes[s].cols * sizeof(float));
        fill_normal(x_in[s], n, s == 2 ? 1e4 : 0.5, 3.0);
        fill_normal(gamma_in[s], shapes[s].cols, 1.0, 0.2);
        fill_normal(beta_in[s], shapes[s].cols, 0.0, 0.5);
    }
}

/* Both row norms of shape s into out[5]; 0 unless both return OK. */
static int run_norms(size_t s, float *out[5])
{
    const size_t r = shapes[s].rows, c = shapes[s].cols;
    return simdnorm_layer_norm_f32(r, c, x_in[s], c, gamma_in[s], beta_in[s], 1e-5f, out[0], c,
                                   out[1], out[2]) == SIMDNORM_OK &&
           simdnorm_rms_norm_f32(r, c, x_in[s], c, gamma_in[s], 1e-6f, out[3], c, out[4]) ==
               SIMDNORM_OK;
}

static void alloc_outputs(float *out[N_SHAPES][5])
{
    for (size_t s = 0; s < N_SHAPES; s++)
        for (int k = 0; k < 5; k++)
            out[s][k] = malloc(out_len(s, k) * sizeof(float));
}

static void free_outputs(float *out[N_SHAPES][5])
{
    for (size_t s = 0; s < N_SHAPES; s++)
        for (int k = 0; k < 5; k++)
            free(out[s][k]);
}

/* Whether out equals the single-threaded results bit for bit. */
static int equals_ref(size_t s, float *out[5])
{
    for (int k = 0; k < 5; k++)
        if (memcmp(out[k], ref[s][k], out_len(s, k) * sizeof(float)) != 0)
            return 0;
    return 1;
}

/* ---- the first call, raced ----------------------------------------------- */

static pthread_barrier_t start;
static atomic_int bad_status, bad_isa;
/* a racer's output for the first shape, compared after the join */
static float *race_out[RACERS][5];

static int isa_ok(simdnorm_isa isa)
{
    return (int)isa >= 0 && (int)isa < isa_count() && simdnorm_isa_available(isa);
}

/* Racers make different first calls: a row norm, a query, or a switch. */
static void *racer(void *arg)
{
    const int id = (int)(intptr_t)arg;
    pthread_barrier_wait(&start);
    switch (id % 4) {
    case 0:
    case 1: /* a row norm first: it runs the one-time ISA choice */
        if (!run_norms(0, race_out[id]))
            atomic_fetch_add(&bad_status, 1);
        break;
    case 2: /* a query first */
        if (!isa_ok(simdnorm_active_isa()))
            atomic_fetch_add(&bad_isa, 1);
        if (!run_norms(0, race_out[id]))
            atomic_fetch_add(&bad_status, 1);
        break;
    case 3: /* a switch first: scalar is always available */
        if (simdnorm_set_isa(SIMDNORM_ISA_SCALAR) != SIMDNORM_OK)
            atomic_fetch_add(&bad_status, 1);
        if (!run_norms(0, race_out[id]))
            atomic_fetch_add(&bad_status, 1);
        break;
    }
    if (!isa_ok(simdnorm_active_isa()))
        atomic_fetch_add(&bad_isa, 1);
    return NULL;
}

/* RACERS threads make this process's first call together. Returns the
 * number of problems; the library must not have been used before. */
static int first_call_race(void)
{
    pthread_t t[RACERS];
    for (int i = 0; i < RACERS; i++)
        for (int k = 0; k < 5; k++)
            race_out[i][k] = malloc(out_len(0, k) * sizeof(float));
    pthread_barrier_init(&start, NULL, RACERS);
    for (int i = 0; i < RACERS; i++)
        if (pthread_create(&t[i], NULL, racer, (void *)(intptr_t)i) != 0)
            return 1000;
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    return atomic_load(&bad_status) + atomic_load(&bad_isa);
}

/* ---- ISA switches while calls run --------------------------------------- */

static atomic_int workers_left, mismatches, switch_errors, calls_done, switches;
static atomic_int isa_seen[32]; /* active ISA before a call */
static pthread_barrier_t go;

static int distinct_isas_seen(void)
{
    int n = 0;
    for (int i = 0; i < isa_count(); i++)
        n += atomic_load(&isa_seen[i]) > 0;
    return n;
}

/* ITERS rounds of every shape, and on until calls have started on two ISAs
 * (when there are two), however the threads were scheduled: so switches
 * surely land between and during calls. */
static void *worker(void *arg)
{
    const int want_isas = *(const int *)arg;
    float *out[N_SHAPES][5];
    alloc_outputs(out);
    pthread_barrier_wait(&go);
    for (int it = 0; it < ITERS || (distinct_isas_seen() < want_isas && it < 1000 * ITERS); it++)
        for (size_t s = 0; s < N_SHAPES; s++) {
            const simdnorm_isa isa = simdnorm_active_isa();
            if (isa_ok(isa))
                atomic_fetch_add(&isa_seen[isa], 1);
            for (int k = 0; k < 5; k++)
                memset(out[s][k], 0xa5, out_len(s, k) * sizeof(float));
            if (!run_norms(s, out[s]))
                atomic_fetch_add(&bad_status, 1);
            else if (!equals_ref(s, out[s]))
                atomic_fetch_add(&mismatches, 1);
            atomic_fetch_add(&calls_done, 1);
        }
    free_outputs(out);
    atomic_fetch_sub(&workers_left, 1);
    return NULL;
}

/* Cycle through every ISA value, valid or not, until the workers finish;
 * the status must say exactly what simdnorm_isa_available says. */
static void *switcher(void *arg)
{
    int v = (int)(intptr_t)arg;
    pthread_barrier_wait(&go);
    while (atomic_load(&workers_left) > 0) {
        const simdnorm_isa isa = (simdnorm_isa)(v++ % 6 - 1); /* -1 .. 4 */
        const simdnorm_status st = simdnorm_set_isa(isa);
        const simdnorm_status want = (unsigned)isa >= (unsigned)isa_count() ? SIMDNORM_ERR_PARAM
                                     : simdnorm_isa_available(isa)       ? SIMDNORM_OK
                                                                         : SIMDNORM_ERR_ISA;
        if (st != want || !isa_ok(simdnorm_active_isa()))
            atomic_fetch_add(&switch_errors, 1);
        if (st == SIMDNORM_OK)
            atomic_fetch_add(&switches, 1);
    }
    return NULL;
}

int main(void)
{
    make_inputs();

    /* Fresh processes, each racing its own first call (fork before any
     * library call, so each child starts uninitialized). */
    h_begin("first_call_race_in_fresh_processes");
    for (int f = 0; f < FORKS; f++) {
        fflush(stdout);
        const pid_t pid = fork();
        if (pid == 0)
            _exit(first_call_race() == 0 ? 0 : 1);
        int status = 0;
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                  WEXITSTATUS(status) == 0,
              "process %d: status 0x%x", f, status);
    }
    h_end();

    /* This process's first call, raced the same way. */
    h_begin("first_call_race");
    const int problems = first_call_race();
    CHECK(problems == 0, "%d failed calls or bad active ISAs", problems);
    h_end();

    /* Single-threaded references, on every ISA: equal bit for bit. */
    h_begin("single_threaded_reference");
    for (size_t s = 0; s < N_SHAPES; s++)
        for (int k = 0; k < 5; k++)
            ref[s][k] = malloc(out_len(s, k) * sizeof(float));
    float *out[N_SHAPES][5];
    alloc_outputs(out);
    int first_isa = 1;
    for (int i = SIMDNORM_ISA_SCALAR; i < isa_count(); i++) {
        if (simdnorm_set_isa((simdnorm_isa)i) != SIMDNORM_OK)
            continue;
        for (size_t s = 0; s < N_SHAPES; s++) {
            CHECK(run_norms(s, first_isa ? ref[s] : out[s]), "a call failed");
            CHECK(first_isa || equals_ref(s, out[s]), "%s differs from scalar, shape %zu",
                  simdnorm_isa_name((simdnorm_isa)i), s);
        }
        first_isa = 0;
    }
    free_outputs(out);
    h_end();

    h_begin("first_call_race_results_bitwise");
    for (int i = 0; i < RACERS; i++)
        CHECK(equals_ref(0, race_out[i]), "racer %d differs", i);
    h_end();

    h_begin("calls_while_isa_switches");
    int available = 0;
    for (int i = 0; i < isa_count(); i++)
        available += simdnorm_isa_available((simdnorm_isa)i);
    const int want_isas = available > 1 ? 2 : 1;
    atomic_store(&bad_status, 0);
    atomic_store(&workers_left, WORKERS);
    pthread_barrier_init(&go, NULL, WORKERS + SWITCHERS);
    pthread_t w[WORKERS], sw[SWITCHERS];
    for (int i = 0; i < WORKERS; i++)
        CHECK(pthread_create(&w[i], NULL, worker, (void *)&want_isas) == 0, "pthread_create");
    for (int i = 0; i < SWITCHERS; i++)
        CHECK(pthread_create(&sw[i], NULL, switcher, (void *)(intptr_t)(3 * i)) == 0,
              "pthread_create");
    for (int i = 0; i < WORKERS; i++)
        pthread_join(w[i], NULL);
    for (int i = 0; i < SWITCHERS; i++)
        pthread_join(sw[i], NULL);
    pthread_barrier_destroy(&go);
    printf("  %d switches; calls started on", atomic_load(&switches));
    for (int i = 0; i < isa_count(); i++)
        if (atomic_load(&isa_seen[i]))
            printf(" %s: %d", simdnorm_isa_name((simdnorm_isa)i), atomic_load(&isa_seen[i]));
    printf("\n");
    CHECK(distinct_isas_seen() >= want_isas, "every call ran on one ISA: no switch interleaved");
    CHECK(atomic_load(&calls_done) >= WORKERS * ITERS * (int)N_SHAPES, "%d calls",
          atomic_load(&calls_done));
    CHECK(atomic_load(&bad_status) == 0, "%d calls failed", atomic_load(&bad_status));
    CHECK(atomic_load(&mismatches) == 0, "%d results differ from the reference",
          atomic_load(&mismatches));
    CHECK(atomic_load(&switch_errors) == 0, "%d wrong simdnorm_set_isa statuses",
          atomic_load(&switch_errors));
    h_end();
    return h_summary();
}
