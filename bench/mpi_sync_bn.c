/* mpi_sync_bn.c - time per call of simdnorm_sync_batch_norm_train_f32 and
 * simdnorm_sync_batch_norm_bwd_f32 with the batch split over the ranks, and
 * what of it is computation and what communication. Run by hand:
 *   OMP_NUM_THREADS=1 mpirun -np K build/simdnorm-mpi-bench [n c h w]
 * (default 32 64 56 56). Per layout, rank 0 prints the median over the
 * repetitions (every rank's call ends when the slowest rank's does, so the
 * maximum over ranks is taken per repetition) of:
 *   sync      the synchronized call;
 *   compute   the same rank-local work through the single-process API
 *             (moments of the slice + training from given moments; the
 *             backward: the single-process backward of the slice);
 *   comm      the call's collectives alone, with the training forward's
 *             message sizes: a 64-byte header, 16*c bytes per tree node
 *             and, for a batch of more than 4096 samples (cut into blocks),
 *             120*c bytes of the whole blocks' sums, and one int where the
 *             call's scratch exceeds the stack's 64 KiB (dispatch/mpi.c,
 *             SYNC_STACK_BYTES; the size computed here as there);
 *   single    (K = 1 only) the plain single-process call on the whole batch.
 * bytes: what rank 0 sends per call, forward and backward (its blocks'
 * sums are 80*c bytes there). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "simdnorm.h"
#include "simdnorm_mpi.h"

enum { REPS = 15 };

static int rank, size;

/* The median over REPS of the per-repetition maximum over ranks. */
static double median_max(double *t)
{
    double all[REPS];
    MPI_Allreduce(t, all, REPS, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    for (int i = 1; i < REPS; i++)
        for (int j = i; j > 0 && all[j - 1] > all[j]; j--) {
            const double v = all[j];
            all[j] = all[j - 1];
            all[j - 1] = v;
        }
    return all[REPS / 2];
}

/* Blocks of a batch of more than 4096 samples (dispatch/internal.h,
 * SIMDNORM_BN_BLOCK_LEVEL). */
#define BLOCK_LEVEL 12

/* Nodes of the maximal aligned decomposition of [g0, g0 + n) that a rank
 * sends: in a blocked batch those below the block level (whole blocks go
 * into its sums). */
static size_t node_count(size_t g0, size_t n, int blocked)
{
    size_t k = 0, p = g0;
    while (p < g0 + n) {
        unsigned l = 0;
        while (l < 63 && !((p >> l) & 1) && ((size_t)1 << (l + 1)) <= g0 + n - p)
            l++;
        p += (size_t)1 << l;
        k += !blocked || l < BLOCK_LEVEL;
    }
    return k;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    size_t n = 32, c = 64, sp = 56 * 56;
    if (argc == 5) {
        n = strtoul(argv[1], NULL, 10);
        c = strtoul(argv[2], NULL, 10);
        sp = strtoul(argv[3], NULL, 10) * strtoul(argv[4], NULL, 10);
    }
    const size_t g0 = (size_t)rank * n / (size_t)size, nl = (size_t)(rank + 1) * n / (size_t)size - g0;
    const size_t per = c * sp, local = nl * per;
    float *x = malloc((local ? local : 1) * 4), *y = malloc((local ? local : 1) * 4);
    float *dy = malloc((local ? local : 1) * 4), *dx = malloc((local ? local : 1) * 4);
    for (size_t i = 0; i < local; i++) { /* pre-faulted, deterministic */
        x[i] = (float)((i * 2654435761u) % 1000) * 1e-3f;
        dy[i] = (float)((i * 40503u) % 1000) * 1e-3f - 0.5f;
        y[i] = dx[i] = 0.0f;
    }
    float *g = malloc(c * 4), *b = malloc(c * 4), *rm = malloc(c * 4), *rv = malloc(c * 4);
    float *sm = malloc(c * 4), *sr = malloc(c * 4), *dg = malloc(c * 4), *db = malloc(c * 4);
    simdnorm_moments *m = malloc(c * sizeof *m);
    for (size_t j = 0; j < c; j++)
        g[j] = 1.0f, b[j] = 0.0f, rm[j] = 0.0f, rv[j] = 1.0f;
    /* the communication of one call (the training forward's), alone */
    const int blocked = n > ((size_t)1 << BLOCK_LEVEL);
    const size_t sw = blocked ? 15 * c : 0; /* doubles of a rank's sums (120*c bytes) */
    size_t nodes = 0;
    int *counts = malloc((size_t)size * sizeof(int)), *displs = malloc((size_t)size * sizeof(int));
    for (int r = 0; r < size; r++) {
        const size_t a = (size_t)r * n / (size_t)size, e = (size_t)(r + 1) * n / (size_t)size;
        counts[r] = (int)(2 * c * node_count(a, e - a, blocked) + sw);
        displs[r] = (int)(2 * c * nodes + (size_t)r * sw);
        nodes += node_count(a, e - a, blocked);
    }
    const size_t recv_words = 2 * c * nodes + (size_t)size * sw;
    double *recv = malloc(recv_words * sizeof(double) + 8);
    memset(recv, 0, recv_words * sizeof(double));
    int64_t hdr[8] = {0}, *hdrs = malloc((size_t)size * sizeof hdr);
    const size_t mine = node_count(g0, nl, blocked);
    /* the call's scratch (dispatch/mpi.c, exchange_header): past 64 KiB
     * it is malloc'ed and agreed on by a third collective */
    const size_t ab = (nodes ? nodes : 1) * c;
    const size_t need = ((recv_words < 3 * c ? 3 * c : recv_words) + 2 * ab + sw) * sizeof(double) +
                        nodes * sizeof(size_t) + (size_t)size * 2 * sizeof(int) + nodes;
    const int agree = need > ((size_t)64 << 10);

    for (int layout = 0; layout < 2; layout++) {
        const simdnorm_layout lay = layout ? SIMDNORM_NHWC : SIMDNORM_NCHW;
        double t_sync[REPS], t_comp[REPS], t_comm[REPS], t_bsync[REPS], t_bcomp[REPS], t_one[REPS];
        for (int rep = -2; rep < REPS; rep++) { /* two warm-ups */
            double t0;
            MPI_Barrier(MPI_COMM_WORLD);
            t0 = MPI_Wtime();
            simdnorm_sync_batch_norm_train_f32(MPI_COMM_WORLD, lay, nl, c, sp, x, g, b, 1e-5f, 0.1f,
                                               rm, rv, y, sm, sr);
            const double a1 = MPI_Wtime() - t0;
            MPI_Barrier(MPI_COMM_WORLD);
            t0 = MPI_Wtime();
            if (nl)
                simdnorm_batch_norm_moments_f32(lay, nl, c, sp, x, m);
            else
                for (size_t j = 0; j < c; j++)
                    m[j] = (simdnorm_moments){2, 0, 1};
            if (nl == 0)
                for (size_t j = 0; j < c; j++)
                    m[j].count = 2;
            simdnorm_batch_norm_train_from_moments_f32(lay, nl, c, sp, x, m, g, b, 1e-5f, 0.1f, rm,
                                                       rv, y, sm, sr);
            const double a2 = MPI_Wtime() - t0;
            MPI_Barrier(MPI_COMM_WORLD);
            t0 = MPI_Wtime();
            MPI_Allgather(hdr, 8, MPI_INT64_T, hdrs, 8, MPI_INT64_T, MPI_COMM_WORLD);
            int ok = 1, all = 0;
            if (agree)
                MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
            MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, recv, counts, displs, MPI_DOUBLE,
                           MPI_COMM_WORLD);
            const double a3 = MPI_Wtime() - t0;
            MPI_Barrier(MPI_COMM_WORLD);
            t0 = MPI_Wtime();
            simdnorm_sync_batch_norm_bwd_f32(MPI_COMM_WORLD, lay, nl, c, sp, dy, x, g, sm, sr, dx,
                                             dg, db);
            const double a4 = MPI_Wtime() - t0;
            MPI_Barrier(MPI_COMM_WORLD);
            t0 = MPI_Wtime();
            if (nl)
                simdnorm_batch_norm_bwd_f32(lay, nl, c, sp, dy, x, g, sm, sr, 1, dx, dg, db);
            const double a5 = MPI_Wtime() - t0;
            double a6 = 0.0;
            if (size == 1) {
                t0 = MPI_Wtime();
                simdnorm_batch_norm_train_f32(lay, n, c, sp, x, g, b, 1e-5f, 0.1f, rm, rv, y, sm, sr);
                a6 = MPI_Wtime() - t0;
            }
            if (rep >= 0) {
                t_sync[rep] = a1, t_comp[rep] = a2, t_comm[rep] = a3;
                t_bsync[rep] = a4, t_bcomp[rep] = a5, t_one[rep] = a6;
            }
        }
        const double s1 = median_max(t_sync), s2 = median_max(t_comp), s3 = median_max(t_comm);
        const double s4 = median_max(t_bsync), s5 = median_max(t_bcomp), s6 = median_max(t_one);
        if (rank == 0) {
            printf("%s (%zu,%zu,%zu) K=%d: train sync %.3f ms = compute %.3f + comm %.3f (rest %.3f)",
                   layout ? "NHWC" : "NCHW", n, c, sp, size, s1 * 1e3, s2 * 1e3, s3 * 1e3,
                   (s1 - s2 - s3) * 1e3);
            if (size == 1)
                printf(", single-process call %.3f ms", s6 * 1e3);
            printf("; bwd sync %.3f ms = compute %.3f + comm %.3f (rest %.3f)\n", s4 * 1e3,
                   s5 * 1e3, s3 * 1e3, (s4 - s5 - s3) * 1e3);
            printf("  %d collectives; bytes sent per call by rank 0: header 64%s + nodes %zu x 16 x"
                   " %zu%s = %zu forward, %zu backward (all ranks' nodes: %zu)\n",
                   agree ? 3 : 2, agree ? " + flag 4" : "", mine, c,
                   blocked ? " + blocks' sums 120 (backward 80) x c" : "",
                   (size_t)64 + (agree ? 4 : 0) + mine * 16 * c + (blocked ? 120 * c : 0),
                   (size_t)64 + (agree ? 4 : 0) + mine * 16 * c + (blocked ? 80 * c : 0), nodes);
        }
    }
    MPI_Finalize();
    return 0;
}
