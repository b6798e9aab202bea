/* test_mpi.c - simdnorm_mpi under mpirun -np K: every rank builds the whole
 * batch from a shared seed, computes the single-process results with
 * libsimdnorm, and checks that its slice of the synchronized call's outputs
 * (y, saved and running statistics; dx, dgamma, dbeta) are those bits, for
 * uneven splits, empty ranks, NCHW/NHWC/2-D, with and without running
 * statistics and affine parameters, NaN/Inf channels; the 16-bit twins
 * against the single-process twins. Odd ranks run the
 * scalar kernels (SIMDNORM_ISA=scalar), even ranks the best ISA. Then the
 * agreed errors: mismatched c, spatial, layout or eps across ranks, a bad
 * pointer or a too-small batch on one rank: every rank returns the same
 * status and writes nothing. Every rank prints its failures; rank 0 the
 * summary; the exit status is the same on every rank. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "simdnorm.h"
#include "simdnorm_mpi.h"

static int rank, size, failures, checks;

#define CHECK(cond, ...)                                                                     \
    do {                                                                                     \
        checks++;                                                                            \
        if (!(cond)) {                                                                       \
            if (failures++ < 10) {                                                           \
                printf("rank %d: %s:%d: ", rank, __FILE__, __LINE__);                        \
                printf(__VA_ARGS__);                                                         \
                printf("\n");                                                                \
            }                                                                                \
        }                                                                                    \
    } while (0)

static uint64_t rng = 1;
static void seed(uint64_t s) { rng = s * 0x9e3779b97f4a7c15ull + 1; }
static double unif(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1p-53;
}
static double normal(void) { return sqrt(-2.0 * log(unif() + 0x1p-60)) * cos(6.283185307179586 * unif()); }

#define SENT 0x7fa5a5a5u
static float sentinel(void)
{
    float f;
    const uint32_t u = SENT;
    memcpy(&f, &u, 4);
    return f;
}
static int all_sentinel(const float *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, p + i, 4);
        if (u != SENT)
            return 0;
    }
    return 1;
}
static float *sent_buf(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++)
        p[i] = sentinel();
    return p;
}

/* The split of n samples over `size` ranks by pattern: 0 even, 1 all on
 * rank 0, 2 uneven with rank 1 empty, 3 uneven with the last rank empty and
 * rank 0 holding one sample. */
static void split(size_t n, int pattern, size_t *cnt)
{
    for (int r = 0; r < size; r++)
        cnt[r] = 0;
    if (pattern == 0 || size == 1) {
        for (int r = 0; r < size; r++)
            cnt[r] = (size_t)(r + 1) * n / (size_t)size - (size_t)r * n / (size_t)size;
        return;
    }
    if (pattern == 1) {
        cnt[0] = n;
        return;
    }
    size_t left = n;
    for (int r = 0; r < size && left; r++) {
        if ((pattern == 2 && r == 1) || (pattern == 3 && r == size - 1))
            continue;
        size_t take = pattern == 3 && r == 0 ? 1 : (left + 1) / 2 + (size_t)r;
        if (take > left || r == size - 1 || (pattern == 3 && r == size - 2))
            take = left;
        cnt[r] = take;
        left -= take;
    }
    cnt[0] += left;
}

typedef struct shape {
    simdnorm_layout lay;
    size_t n, c, sp;
} shape;

static void one_case(const shape *sh, int pattern, int variant, int kind)
{
    const size_t n = sh->n, c = sh->c, sp = sh->sp, per = c * sp, total = n * per;
    seed(1000 + (uint64_t)pattern * 31 + (uint64_t)variant * 7 + (uint64_t)kind + n * c * sp);
    float *x = malloc(total * 4), *dy = malloc(total * 4);
    for (size_t i = 0; i < total; i++) {
        x[i] = (float)(3.0 + 2.0 * normal());
        dy[i] = (float)normal();
    }
    if (kind == 1 && total > 10) {
        x[total / 3] = INFINITY;
        x[total - 2] = NAN;
    }
    float *g = malloc(c * 4), *b = malloc(c * 4), *rm0 = malloc(c * 4), *rv0 = malloc(c * 4);
    for (size_t j = 0; j < c; j++) {
        g[j] = (float)(0.5 + unif());
        b[j] = (float)normal();
        rm0[j] = (float)normal();
        rv0[j] = (float)(0.5 + unif());
    }
    const int affine = variant & 1, running = (variant & 2) != 0;
    const float *gp = affine ? g : NULL, *bp = affine ? b : NULL;
    /* single process, whole batch */
    float *y1 = malloc(total * 4), *dx1 = malloc(total * 4);
    float *sm1 = malloc(c * 4), *sr1 = malloc(c * 4), *rm1 = malloc(c * 4), *rv1 = malloc(c * 4);
    float *dg1 = malloc(c * 4), *db1 = malloc(c * 4);
    memcpy(rm1, rm0, c * 4);
    memcpy(rv1, rv0, c * 4);
    CHECK(simdnorm_batch_norm_train_f32(sh->lay, n, c, sp, x, gp, bp, 1e-5f, 0.1f,
                                        running ? rm1 : NULL, running ? rv1 : NULL, y1, sm1,
                                        sr1) == SIMDNORM_OK,
          "single-process train");
    CHECK(simdnorm_batch_norm_bwd_f32(sh->lay, n, c, sp, dy, x, gp, sm1, sr1, 1, dx1, dg1, db1) ==
              SIMDNORM_OK,
          "single-process bwd");
    /* this rank's slice */
    size_t cnt[64], g0 = 0;
    split(n, pattern, cnt);
    for (int r = 0; r < rank; r++)
        g0 += cnt[r];
    const size_t nl = cnt[rank];
    float *yl = sent_buf(nl * per), *dxl = sent_buf(nl * per);
    float *sm = sent_buf(c), *sr = sent_buf(c), *rm = malloc(c * 4), *rv = malloc(c * 4);
    float *dg = sent_buf(c), *db = sent_buf(c);
    memcpy(rm, rm0, c * 4);
    memcpy(rv, rv0, c * 4);
    const float *xl = nl ? x + g0 * per : NULL, *dyl = nl ? dy + g0 * per : NULL;
    simdnorm_status st = simdnorm_sync_batch_norm_train_f32(
        MPI_COMM_WORLD, sh->lay, nl, c, sp, xl, gp, bp, 1e-5f, 0.1f, running ? rm : NULL,
        running ? rv : NULL, nl ? yl : NULL, sm, sr);
    const char *lname = sh->lay == SIMDNORM_NHWC ? "nhwc" : "nchw";
    CHECK(st == SIMDNORM_OK, "%s %zux%zux%zu pattern %d variant %d: train status %d", lname, n, c,
          sp, pattern, variant, st);
    CHECK(memcmp(yl, y1 + g0 * per, nl * per * 4) == 0,
          "%s %zux%zux%zu pattern %d variant %d kind %d: y differs", lname, n, c, sp, pattern,
          variant, kind);
    CHECK(memcmp(sm, sm1, c * 4) == 0 && memcmp(sr, sr1, c * 4) == 0,
          "%s %zux%zux%zu pattern %d variant %d kind %d: saved statistics differ", lname, n, c, sp,
          pattern, variant, kind);
    CHECK(!running || (memcmp(rm, rm1, c * 4) == 0 && memcmp(rv, rv1, c * 4) == 0),
          "%s %zux%zux%zu pattern %d variant %d kind %d: running statistics differ", lname, n, c,
          sp, pattern, variant, kind);
    st = simdnorm_sync_batch_norm_bwd_f32(MPI_COMM_WORLD, sh->lay, nl, c, sp, dyl, xl, gp, sm1, sr1,
                                          nl ? dxl : NULL, dg, db);
    CHECK(st == SIMDNORM_OK, "bwd status %d", st);
    CHECK(memcmp(dxl, dx1 + g0 * per, nl * per * 4) == 0,
          "%s %zux%zux%zu pattern %d variant %d kind %d: dx differs", lname, n, c, sp, pattern,
          variant, kind);
    CHECK(memcmp(dg, dg1, c * 4) == 0 && memcmp(db, db1, c * 4) == 0,
          "%s %zux%zux%zu pattern %d variant %d kind %d: dgamma/dbeta differ", lname, n, c, sp,
          pattern, variant, kind);
    free(x), free(dy), free(g), free(b), free(rm0), free(rv0), free(y1), free(dx1);
    free(sm1), free(sr1), free(rm1), free(rv1), free(dg1), free(db1);
    free(yl), free(dxl), free(sm), free(sr), free(rm), free(rv), free(dg), free(db);
}

/* The 16-bit twins (storage 1 bf16, 2 f16): this rank's slice of the
 * synchronized twin equals the single-process twin over the whole batch. */
static void twin_case(const shape *sh, int pattern, int storage)
{
    const size_t n = sh->n, c = sh->c, sp = sh->sp, per = c * sp, total = n * per;
    seed(5000 + (uint64_t)pattern * 31 + (uint64_t)storage + n * c * sp);
    uint16_t *x = malloc(total * 2), *dy = malloc(total * 2), *y1 = malloc(total * 2),
             *dx1 = malloc(total * 2);
    float *f = calloc(total ? total : 1, sizeof(float));
    for (size_t i = 0; i < total; i++)
        f[i] = (float)(3.0 + 2.0 * normal());
    if (storage == 1)
        simdnorm_convert_f32_to_bf16(total, f, x);
    else
        simdnorm_convert_f32_to_f16(total, f, x);
    for (size_t i = 0; i < total; i++)
        f[i] = (float)normal();
    if (storage == 1)
        simdnorm_convert_f32_to_bf16(total, f, dy);
    else
        simdnorm_convert_f32_to_f16(total, f, dy);
    float g[300], b[300], rm1[300], rv1[300], sm1[300], sr1[300], dg1[300], db1[300];
    float rm[300], rv[300], sm[300], sr[300], dg[300], db[300];
    for (size_t j = 0; j < c; j++) {
        g[j] = (float)(0.5 + unif());
        b[j] = (float)normal();
        rm[j] = rm1[j] = (float)normal();
        rv[j] = rv1[j] = (float)(0.5 + unif());
    }
    simdnorm_status st;
    if (storage == 1) {
        st = simdnorm_batch_norm_train_bf16(sh->lay, n, c, sp, x, g, b, 1e-5f, 0.1f, rm1, rv1, y1,
                                            sm1, sr1);
        st |= simdnorm_batch_norm_bwd_bf16(sh->lay, n, c, sp, dy, x, g, sm1, sr1, 1, dx1, dg1, db1);
    } else {
        st = simdnorm_batch_norm_train_f16(sh->lay, n, c, sp, x, g, b, 1e-5f, 0.1f, rm1, rv1, y1,
                                           sm1, sr1);
        st |= simdnorm_batch_norm_bwd_f16(sh->lay, n, c, sp, dy, x, g, sm1, sr1, 1, dx1, dg1, db1);
    }
    CHECK(st == SIMDNORM_OK, "single-process twins");
    size_t cnt[64], g0 = 0;
    split(n, pattern, cnt);
    for (int r = 0; r < rank; r++)
        g0 += cnt[r];
    const size_t nl = cnt[rank];
    uint16_t *yl = malloc(nl * per * 2 + 2), *dxl = malloc(nl * per * 2 + 2);
    const uint16_t *xl = nl ? x + g0 * per : NULL, *dyl = nl ? dy + g0 * per : NULL;
    simdnorm_status s1, s2;
    if (storage == 1) {
        s1 = simdnorm_sync_batch_norm_train_bf16(MPI_COMM_WORLD, sh->lay, nl, c, sp, xl, g, b,
                                                 1e-5f, 0.1f, rm, rv, nl ? yl : NULL, sm, sr);
        s2 = simdnorm_sync_batch_norm_bwd_bf16(MPI_COMM_WORLD, sh->lay, nl, c, sp, dyl, xl, g, sm1,
                                               sr1, nl ? dxl : NULL, dg, db);
    } else {
        s1 = simdnorm_sync_batch_norm_train_f16(MPI_COMM_WORLD, sh->lay, nl, c, sp, xl, g, b,
                                                1e-5f, 0.1f, rm, rv, nl ? yl : NULL, sm, sr);
        s2 = simdnorm_sync_batch_norm_bwd_f16(MPI_COMM_WORLD, sh->lay, nl, c, sp, dyl, xl, g, sm1,
                                              sr1, nl ? dxl : NULL, dg, db);
    }
    const char *lname = sh->lay == SIMDNORM_NHWC ? "nhwc" : "nchw";
    CHECK(s1 == SIMDNORM_OK && s2 == SIMDNORM_OK, "twin statuses %d %d", s1, s2);
    CHECK(memcmp(yl, y1 + g0 * per, nl * per * 2) == 0 && memcmp(sm, sm1, c * 4) == 0 &&
              memcmp(sr, sr1, c * 4) == 0 && memcmp(rm, rm1, c * 4) == 0 &&
              memcmp(rv, rv1, c * 4) == 0,
          "%s %zux%zux%zu pattern %d storage %d: the train twin differs", lname, n, c, sp,
          pattern, storage);
    CHECK(memcmp(dxl, dx1 + g0 * per, nl * per * 2) == 0 && memcmp(dg, dg1, c * 4) == 0 &&
              memcmp(db, db1, c * 4) == 0,
          "%s %zux%zux%zu pattern %d storage %d: the bwd twin differs", lname, n, c, sp, pattern,
          storage);
    free(x), free(dy), free(y1), free(dx1), free(f), free(yl), free(dxl);
}

/* One rank deviates (`who`), every rank must return `want` and write
 * nothing. what: 0 c, 1 layout, 2 spatial, 3 eps, 4 x NULL, 5 tiny batch,
 * 6 backward mean NULL, 7 backward c. */
static void error_case(int what, int who, simdnorm_status want)
{
    const size_t nl = 3, sp = 4;
    size_t c = 5;
    simdnorm_layout lay = SIMDNORM_NCHW;
    float eps = 1e-5f;
    size_t spl = sp, nll = nl;
    const int me = rank == who;
    if (me && (what == 0 || what == 7))
        c = 6;
    if (me && what == 1)
        lay = SIMDNORM_NHWC;
    if (me && what == 2)
        spl = 5;
    if (me && what == 3)
        eps = 1e-3f;
    if (what == 5)
        nll = rank == 0 ? 1 : 0, spl = 1;
    float *x = malloc(nl * 6 * 5 * 4), *dy = malloc(nl * 6 * 5 * 4);
    for (size_t i = 0; i < nl * 6 * 5; i++)
        x[i] = dy[i] = (float)normal();
    float *y = sent_buf(nl * 6 * 5), *sm = sent_buf(6), *sr = sent_buf(6), *rm = sent_buf(6),
          *rv = sent_buf(6), *dx = sent_buf(nl * 6 * 5), *dg = sent_buf(6), *db = sent_buf(6);
    float ms[6] = {0, 0, 0, 0, 0, 0}, rs[6] = {1, 1, 1, 1, 1, 1};
    simdnorm_status st;
    if (what < 6) {
        st = simdnorm_sync_batch_norm_train_f32(MPI_COMM_WORLD, lay, nll, c, spl,
                                                me && what == 4 ? NULL : x, NULL, NULL, eps, 0.1f,
                                                rm, rv, y, sm, sr);
    } else {
        st = simdnorm_sync_batch_norm_bwd_f32(MPI_COMM_WORLD, lay, nll, c, spl, dy, x, NULL,
                                              me && what == 6 ? NULL : ms, rs, dx, dg, db);
    }
    CHECK(st == want, "error case %d (rank %d deviates): status %d, want %d", what, who, st, want);
    CHECK(all_sentinel(y, nl * 6 * 5) && all_sentinel(sm, 6) && all_sentinel(sr, 6) &&
              all_sentinel(rm, 6) && all_sentinel(rv, 6) && all_sentinel(dx, nl * 6 * 5) &&
              all_sentinel(dg, 6) && all_sentinel(db, 6),
          "error case %d: written", what);
    free(x), free(dy), free(y), free(sm), free(sr), free(rm), free(rv), free(dx), free(dg), free(db);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 64) {
        MPI_Finalize();
        return 2;
    }
    if (rank % 2)
        setenv("SIMDNORM_ISA", "scalar", 1); /* read by each library at first use */
    static const shape shapes[] = {
        {SIMDNORM_NCHW, 9, 5, 30}, {SIMDNORM_NHWC, 9, 5, 30},  {SIMDNORM_NHWC, 5, 3, 300},
        {SIMDNORM_NCHW, 6, 3, 300}, {SIMDNORM_NCHW, 37, 6, 1}, {SIMDNORM_NHWC, 37, 6, 1},
        {SIMDNORM_NHWC, 4, 300, 3}, {SIMDNORM_NCHW, 17, 2, 7}, {SIMDNORM_NHWC, 2, 7, 2},
        /* the nodes' scratch past the stack's 64 KiB at every K: malloc'ed
         * and agreed on (dispatch/mpi.c, SYNC_STACK_BYTES); the others fit */
        {SIMDNORM_NCHW, 5, 2100, 1},
        /* batches cut into blocks of 4096 samples (internal.h, "BatchNorm's
         * blocks"): ranks send their whole blocks' sums and the nodes of
         * partial blocks; 8192 over 2 ranks is whole blocks only */
        {SIMDNORM_NHWC, 9000, 3, 1}, {SIMDNORM_NCHW, 4500, 2, 3}, {SIMDNORM_NHWC, 4200, 2, 2},
        {SIMDNORM_NHWC, 8192, 2, 1},
    };
    int cases = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int pattern = 0; pattern < 4; pattern++)
            for (int variant = 0; variant < 4; variant++)
                for (int kind = 0; kind < 2; kind++) {
                    if (kind == 1 && variant != 3)
                        continue;
                    one_case(&shapes[s], pattern, variant, kind);
                    cases++;
                }
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int pattern = 0; pattern < 4 && shapes[s].c <= 300; pattern++) /* twin_case's arrays */
            for (int storage = 1; storage <= 2; storage++) {
                twin_case(&shapes[s], pattern, storage);
                cases++;
            }
    int ecases = 0;
    if (size >= 2) {
        for (int who = 0; who < size; who += size - 1) {
            error_case(0, who, SIMDNORM_ERR_SHAPE);
            error_case(1, who, SIMDNORM_ERR_PARAM);
            error_case(2, who, SIMDNORM_ERR_SHAPE);
            error_case(3, who, SIMDNORM_ERR_PARAM);
            error_case(4, who, SIMDNORM_ERR_NULL);
            error_case(6, who, SIMDNORM_ERR_NULL);
            error_case(7, who, SIMDNORM_ERR_SHAPE);
            ecases += 7;
        }
    } else {
        error_case(4, 0, SIMDNORM_ERR_NULL);
        error_case(6, 0, SIMDNORM_ERR_NULL);
        ecases += 2;
    }
    error_case(5, -1, SIMDNORM_ERR_SHAPE); /* N*spatial = 1 < 2 */
    ecases++;
    int all = 0;
    MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        printf("%s: %d ranks, %d cases, %d error cases, %d checks on rank 0, %d failures\n",
               all ? "FAIL" : "PASS", size, cases, ecases, checks, all);
    MPI_Finalize();
    return all ? 1 : 0;
}
