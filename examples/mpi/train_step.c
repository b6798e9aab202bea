/* train_step.c - one data-parallel training step of a BatchNorm layer over
 * MPI: every rank holds its own slice of the batch (here rank r gets r + 1
 * samples, so the split is uneven), the forward and the backward are
 * synchronized across the ranks (simdnorm_sync_batch_norm_*), and the
 * outputs are bit for bit what one process computes over the whole batch -
 * which the example checks on rank 0. Build against an installed simdnorm:
 *   mpicc train_step.c $(pkg-config --cflags --libs simdnorm_mpi simdnorm) -o train_step
 *   mpirun -np 3 ./train_step */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>
#include <simdnorm.h>
#include <simdnorm_mpi.h>

enum { C = 8, H = 4, W = 4, SP = H * W };

/* The whole batch's sample i, the same on every rank (a fixed formula). */
static void sample(size_t i, float *x, float *dy)
{
    for (size_t k = 0; k < C * SP; k++) {
        x[k] = (float)((i * 131 + k * 17) % 97) * 0.05f - 2.0f;
        dy[k] = (float)((i * 7 + k * 29) % 89) * 0.01f - 0.44f;
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const size_t n_local = (size_t)rank + 1, first = (size_t)rank * (size_t)(rank + 1) / 2;
    const size_t n = (size_t)size * (size_t)(size + 1) / 2;
    float *x = malloc(n_local * C * SP * sizeof(float)), *dy = malloc(n_local * C * SP * sizeof(float));
    float *y = malloc(n_local * C * SP * sizeof(float)), *dx = malloc(n_local * C * SP * sizeof(float));
    for (size_t i = 0; i < n_local; i++)
        sample(first + i, x + i * C * SP, dy + i * C * SP);
    float gamma[C], beta[C], run_mean[C], run_var[C], save_mean[C], save_rstd[C], dgamma[C], dbeta[C];
    for (int j = 0; j < C; j++)
        gamma[j] = 1.0f, beta[j] = 0.0f, run_mean[j] = 0.0f, run_var[j] = 1.0f;

    /* forward: the batch statistics of all ranks' samples, running statistics updated */
    simdnorm_status st = simdnorm_sync_batch_norm_train_f32(
        MPI_COMM_WORLD, SIMDNORM_NCHW, n_local, C, SP, x, gamma, beta, 1e-5f, 0.1f, run_mean,
        run_var, y, save_mean, save_rstd);
    /* backward: dx of this rank's samples, dgamma/dbeta of the whole batch */
    if (st == SIMDNORM_OK)
        st = simdnorm_sync_batch_norm_bwd_f32(MPI_COMM_WORLD, SIMDNORM_NCHW, n_local, C, SP, dy, x,
                                              gamma, save_mean, save_rstd, dx, dgamma, dbeta);
    if (st != SIMDNORM_OK) { /* every rank gets the same status */
        if (rank == 0)
            fprintf(stderr, "sync batch norm failed: %s\n", simdnorm_status_str(st));
        MPI_Finalize();
        return 1;
    }
    /* the data-parallel optimizer step would apply dgamma/dbeta here: they
     * are the same on every rank, so no further all-reduce is needed */

    /* check on rank 0: one process over the whole batch */
    int same = 1;
    if (rank == 0) {
        float *xa = malloc(n * C * SP * sizeof(float)), *dya = malloc(n * C * SP * sizeof(float));
        float *ya = malloc(n * C * SP * sizeof(float)), *dxa = malloc(n * C * SP * sizeof(float));
        float rm[C], rv[C], sm[C], sr[C], dg[C], db[C];
        for (size_t i = 0; i < n; i++)
            sample(i, xa + i * C * SP, dya + i * C * SP);
        for (int j = 0; j < C; j++)
            rm[j] = 0.0f, rv[j] = 1.0f;
        simdnorm_batch_norm_train_f32(SIMDNORM_NCHW, n, C, SP, xa, gamma, beta, 1e-5f, 0.1f, rm, rv,
                                      ya, sm, sr);
        simdnorm_batch_norm_bwd_f32(SIMDNORM_NCHW, n, C, SP, dya, xa, gamma, sm, sr, 1, dxa, dg, db);
        same = !memcmp(ya, y, n_local * C * SP * sizeof(float)) &&
               !memcmp(dxa, dx, n_local * C * SP * sizeof(float)) && !memcmp(sm, save_mean, sizeof sm) &&
               !memcmp(sr, save_rstd, sizeof sr) && !memcmp(rm, run_mean, sizeof rm) &&
               !memcmp(rv, run_var, sizeof rv) && !memcmp(dg, dgamma, sizeof dg) &&
               !memcmp(db, dbeta, sizeof db);
        printf("%d ranks, %zu samples: running_mean[0] %.6f, dgamma[0] %.6f; %s a single process\n",
               size, n, run_mean[0], dgamma[0], same ? "bit for bit" : "DIFFERENT FROM");
        free(xa), free(dya), free(ya), free(dxa);
    }
    MPI_Bcast(&same, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(x), free(dy), free(y), free(dx);
    MPI_Finalize();
    return same ? 0 : 1;
}
