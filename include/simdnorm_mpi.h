/* simdnorm_mpi.h - BatchNorm across MPI processes (library simdnorm_mpi,
 * pkg-config simdnorm_mpi; built when MPI is found). Every rank of `comm`
 * calls with its own slice of the batch: n_local whole samples (0 allowed),
 * the ranks' slices concatenated in rank order being the batch. Every
 * rank's outputs are bit for bit those of one single-process call of
 * simdnorm.h over the whole batch, for any number of ranks and any split
 * by whole samples (README "Across processes"): the batch reductions follow
 * a fixed tree over global sample indices within blocks of 4096 samples and
 * an exact, order-independent sum of the blocks; each rank sends its whole
 * blocks' sums and the maximal aligned nodes of the rest of its range,
 * every rank merges the same sums and folds the same nodes.
 *
 * Collective: every rank of comm must call, with the same c, spatial,
 * layout, eps and momentum (gamma, beta and the running statistics are the
 * caller's business: give every rank the same values, as data-parallel
 * training does, and every rank's updated running statistics are the same).
 * Errors are agreed on: every rank returns the same status - the first
 * failing rank's own (in rank order), else SIMDNORM_ERR_SHAPE for c or
 * spatial differing across ranks or a batch too small (training:
 * N*spatial < 2; backward: N*spatial < 1) or beyond 2^41 samples, SIMDNORM_ERR_PARAM for layout,
 * eps or momentum differing or an MPI error (an MPI error handler that
 * returns) - and then nothing is written on any rank. Where a rank has no
 * samples, its x, y, dy, dx may be NULL.
 *
 * Communication per call: an MPI_Allgather of a 64-byte header and an
 * MPI_Allgatherv in which each rank sends 16*c bytes per node of its range
 * (forward: each node's mean and M2 per channel, backward: its two sums;
 * at most 2*log2(n_local) + 2 nodes, and for a batch of more than 4096
 * samples at most 24 plus its blocks' sums, 120*c bytes forward and 80*c
 * backward: at most 64 + 504*c bytes a rank, whatever the batch size);
 * between them, where the call's scratch (the nodes of all ranks twice,
 * their sums once) exceeds 64 KiB, an MPI_Allreduce of
 * one int (the ranks agree that their scratch was allocated). The threads of
 * the calls are the library's own (OMP_NUM_THREADS); the library links
 * its own copy of simdnorm (simdnorm_set_isa / simdnorm_set_num_threads of
 * libsimdnorm do not reach it; SIMDNORM_ISA does, and no result depends on
 * either). */
#ifndef SIMDNORM_MPI_H
#define SIMDNORM_MPI_H

#include <mpi.h>

#include "simdnorm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* BatchNorm training forward (simdnorm_batch_norm_train_f32) of the whole
 * batch: x, y [n_local, c, spatial] (NCHW) or [n_local, spatial, c] (NHWC)
 * of this rank; gamma, beta, running_mean, running_var, save_mean,
 * save_rstd [c] each, as simdnorm_batch_norm_train_f32 takes them; the
 * saved and running statistics are the batch's, the same on every rank. */
SIMDNORM_API simdnorm_status simdnorm_sync_batch_norm_train_f32(
    MPI_Comm comm, simdnorm_layout layout, size_t n_local, size_t c, size_t spatial,
    const float *x, const float *gamma, const float *beta, float eps, float momentum,
    float *running_mean, float *running_var,
    float *y, float *save_mean, float *save_rstd);

/* BatchNorm training backward (simdnorm_batch_norm_bwd_f32 with training
 * != 0) of the whole batch: dx of this rank's samples, dgamma and dbeta
 * [c] of the batch (the same on every rank); mean, rstd: the forward's
 * save_mean/save_rstd. dx, dgamma, dbeta optional (NULL: not written). */
SIMDNORM_API simdnorm_status simdnorm_sync_batch_norm_bwd_f32(
    MPI_Comm comm, simdnorm_layout layout, size_t n_local, size_t c, size_t spatial,
    const float *dy, const float *x, const float *gamma,
    const float *mean, const float *rstd,   /* the forward's save_mean/save_rstd */
    float *dx, float *dgamma, float *dbeta);

/* The 16-bit twins (simdnorm.h "16-bit storage"): x, y, dy, dx bf16 or f16,
 * everything else as above; the tensors are read and written in 16 bits
 * (no widened copy: the call allocates what the float32 function does).
 * Each rank's outputs are bit for bit those of the single-process twin over
 * the whole batch. */
SIMDNORM_API simdnorm_status simdnorm_sync_batch_norm_train_bf16(
    MPI_Comm comm, simdnorm_layout layout, size_t n_local, size_t c, size_t spatial,
    const simdnorm_bf16 *x, const float *gamma, const float *beta, float eps, float momentum,
    float *running_mean, float *running_var,
    simdnorm_bf16 *y, float *save_mean, float *save_rstd);
SIMDNORM_API simdnorm_status simdnorm_sync_batch_norm_bwd_bf16(
    MPI_Comm comm, simdnorm_layout layout, size_t n_local, size_t c, size_t spatial,
    const simdnorm_bf16 *dy, const simdnorm_bf16 *x, const float *gamma,
    const float *mean, const float *rstd,
    simdnorm_bf16 *dx, float *dgamma, float *dbeta);
SIMDNORM_API simdnorm_status simdnorm_sync_batch_norm_train_f16(
    MPI_Comm comm, simdnorm_layout layout, size_t n_local, size_t c, size_t spatial,
    const simdnorm_f16 *x, const float *gamma, const float *beta, float eps, float momentum,
    float *running_mean, float *running_var,
    simdnorm_f16 *y, float *save_mean, float *save_rstd);
SIMDNORM_API simdnorm_status simdnorm_sync_batch_norm_bwd_f16(
    MPI_Comm comm, simdnorm_layout layout, size_t n_local, size_t c, size_t spatial,
    const simdnorm_f16 *dy, const simdnorm_f16 *x, const float *gamma,
    const float *mean, const float *rstd,
    simdnorm_f16 *dx, float *dgamma, float *dbeta);

#ifdef __cplusplus
}
#endif

#endif /* SIMDNORM_MPI_H */
