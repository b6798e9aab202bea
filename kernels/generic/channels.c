/* channels.c - the channel (column) kernels (kernels.h: f32_channel_moments,
 * f32_normalize_channels, f32_normalize_channels_stream): BatchNorm's NHWC
 * statistics and normalize, channels in vector lanes, written once and
 * compiled for every ISA against its vector header (SIMDNORM_VEC_HEADER,
 * kernels/vec/). Each channel's arithmetic is the same sequence on every
 * ISA (one chain down the rows, or one element's two roundings), so the
 * results are the same bits whatever the lanes; only the tiling, set by the
 * header's CH_* sizes, differs. Compiled once per storage type (generic/storage.h):
 * the normalize kernels as f32_*, bf16_*, f16_* (x, y of that type, widened
 * on load, narrowed on store; the moments widen each element to double
 * from its storage type). */
#include <stdint.h>
#include <string.h>

#include SIMDNORM_VEC_HEADER
#include "generic/lanes.h"
#include "generic/act.h"
#include "generic/storage.h"

/* stmt with the enum constant N = nv, 1 <= nv <= max <= 8: a tile's loops
 * over its registers unroll completely and its arrays live in registers.
 * Cases above max are dead code the compiler drops. */
#define WITH_CONST_NV(nv, max, N, stmt)                                        \
    switch (nv) {                                                              \
    case 1: { enum { N = 1 }; stmt; } break;                                   \
    case 2: if (2 <= (max)) { enum { N = 2 <= (max) ? 2 : 1 }; stmt; } break;  \
    case 3: if (3 <= (max)) { enum { N = 3 <= (max) ? 3 : 1 }; stmt; } break;  \
    case 4: if (4 <= (max)) { enum { N = 4 <= (max) ? 4 : 1 }; stmt; } break;  \
    case 5: if (5 <= (max)) { enum { N = 5 <= (max) ? 5 : 1 }; stmt; } break;  \
    case 6: if (6 <= (max)) { enum { N = 6 <= (max) ? 6 : 1 }; stmt; } break;  \
    case 7: if (7 <= (max)) { enum { N = 7 <= (max) ? 7 : 1 }; stmt; } break;  \
    default: { enum { N = (max) }; stmt; } break;                              \
    }

/* ---- f32_channel_moments ---------------------------------------------------
 * Channels sit in the lanes of vc registers (VC_N doubles) and the kernel
 * walks down the rows, so each channel's sums are one sequential chain, as
 * kernels.h defines them. One chain per register would wait an add latency
 * per row, so a tile keeps CH_MOM_SLOTS slots of SLOT channels (4, or
 * VC_N when wider; SLOT / VC_N registers each) in flight: with at most SLOT
 * channels and several blocks,
 * each slot is one block instead (its channels in the low lanes). The tile
 * walks CH_MOM_TILE_ROWS rows with its sums in registers, then parks them
 * in local arrays and the next tile (the next channels of the same rows)
 * starts: the data is read nearly in memory order even when a row is long.
 * The shift K of a group of up to MOM_GROUP channels is widened once into a
 * local array, as -K; d = x + (-K) is x - K rounded once (vc_addk).
 * While a tile walks its block of rows it prefetches its columns of the
 * block below (lanes.h, channel_sums_prefetch: not for rows under 128
 * bytes or aliasing modulo 4 KiB; f32_bwd_channel_sums_seq does the same
 * for dy and x): from L3 or memory this pass had read at 13-19 GB/s where
 * it computes 30 GB/s in cache (simdnorm-kernel-bench, AVX-512), a tile
 * reading each row's lines a tile apart. Xeon (Sapphire Rapids class) VM,
 * one thread, base and new library alternated in one process (/tmp
 * throwaways abf.c, abbn.c, abgn.c; median of 5-9 rounds of best-of-3;
 * this VM's rounds move by +-5 %), time new/base, AVX2 (AVX-512):
 * BatchNorm NHWC training (32,64,56x56) 0.88 (0.95-0.98), (128,256,14x14)
 * 0.87-0.90 (0.94-1.0), (32,256,14x14) 0.90-0.92 (0.96-0.97); GroupNorm
 * NHWC (2,320,64x64) 0.84-0.90 (0.90-0.93), (2,1280,16x16) 0.84-0.92
 * (0.91-0.93), (1,64,256x256) 0.83-0.87 (0.95-0.98), (2,640,32x32)
 * 0.87-1.0 (0.92-1.0); backward (the sums pass): GroupNorm NHWC
 * (2,320,64x64) 0.91-0.93 (0.91-0.94), (2,640,32x32) 0.92-0.94
 * (0.94-0.95), BatchNorm NHWC (128,256,14x14) 0.86-0.98 (0.98-0.99);
 * shapes without prefetch ((32,1024,14x14), (8,3,224x224)) 0.97-1.05, the
 * noise. Prefetching two blocks ahead was 1.02-1.04x one block's; the
 * hint "keep in L2 only" 0.98-1.04x. Prefetching in the dx pass
 * (f32_bwd_dx_channels, rows in memory order there) was 1.03-1.07x on
 * AVX2: not done. */
#define SLOT (VC_N > 4 ? VC_N : 4) /* channels (lanes) of a slot: 4, or one vc */
#define SLOT_VC (SLOT / VC_N)  /* vc registers of a slot */
#define MOM_GROUP 256

/* One tile: nv slots, slot v read at x + v*vstep of each row (vstep SLOT:
 * consecutive channels, all slots full but the last with `last` lanes;
 * group_stride: one block per slot, every slot with `last` lanes). The sums
 * live in SLOT-lane slots of local arrays between tiles; absent lanes
 * compute on zeros and are never stored. */
static ALWAYS_INLINE void moments_tile(int nv, int all_partial, size_t last, size_t vstep,
                                       size_t rows, const sx *x, size_t stride,
                                       const double *negk, double *s1, double *s2,
                                       size_t pf_rows, size_t pf_bytes)
{
    vc a[CH_MOM_SLOTS * SLOT_VC], q[CH_MOM_SLOTS * SLOT_VC], nk[CH_MOM_SLOTS * SLOT_VC];
#pragma GCC unroll 32
    for (int v = 0; v < nv * SLOT_VC; v++) {
        nk[v] = vc_load(negk + VC_N * v);
        a[v] = vc_load(s1 + VC_N * v);
        q[v] = vc_load(s2 + VC_N * v);
    }
    for (size_t r = 0; r < rows; r++) {
        const sx *xr = x + r * stride;
        if (r < pf_rows)
            prefetch_span(xr + CH_MOM_TILE_ROWS * stride, pf_bytes);
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++) {
            const sx *p = xr + (size_t)v * vstep;
#pragma GCC unroll 4
            for (int h = 0; h < SLOT_VC; h++) {
                /* registers of a partial slot with no lane present keep
                 * their zero sums (only where a slot is several registers) */
                if (SLOT_VC > 1 && h > 0 && (all_partial || v == nv - 1) &&
                    (size_t)h * VC_N >= last)
                    continue;
                const int l = v * SLOT_VC + h;
                const vc xv = all_partial || v == nv - 1
                                  ? vcx_load_widen_part(p + h * VC_N, lanes_in_reg((size_t)h, last, VC_N))
                                  : vcx_load_widen(p + h * VC_N);
                const vc d = vc_addk(xv, nk[l]);
                a[l] = vc_add(a[l], d);
                q[l] = vc_fma(d, d, q[l]);
            }
        }
    }
#pragma GCC unroll 32
    for (int v = 0; v < nv * SLOT_VC; v++) {
        vc_store(s1 + VC_N * v, a[v]);
        vc_store(s2 + VC_N * v, q[v]);
    }
}

/* -K of one slot of w lanes (the others get -0 and never leave the
 * kernel), sums zeroed. */
static inline void set_slot(double *negk, double *a, double *q, size_t w, const sx *k)
{
#pragma GCC unroll 4
    for (size_t h = 0; h < SLOT_VC; h++) {
        vc_store(negk + h * VC_N, vc_neg(vcx_load_widen_part(k + h * VC_N, lanes_in_reg(h, w, VC_N))));
        vc_store(a + h * VC_N, vc_zero());
        vc_store(q + h * VC_N, vc_zero());
    }
}

/* Contract: kernels.h, f32_channel_moments. Partial loads: nothing past the
 * last channel of a row is read. The sums live in local arrays padded to
 * whole slots and are copied to s1/s2 at the end, so nothing past
 * s1/s2[groups*channels-1] is written. */
void SIMDNORM_SKERNEL(channel_moments)(size_t rows, size_t channels, const sx *x,
                                          size_t stride, size_t groups, size_t group_stride,
                                          double *s1, double *s2)
{
    _Alignas(64) double negk[MOM_GROUP], a[MOM_GROUP], q[MOM_GROUP];
    if (channels <= SLOT && groups > 1) {
        for (size_t g0 = 0; g0 < groups; g0 += MOM_GROUP / SLOT) {
            const size_t gn = groups - g0 < MOM_GROUP / SLOT ? groups - g0 : MOM_GROUP / SLOT;
            const sx *xg = x + g0 * group_stride;
            for (size_t g = 0; g < gn; g++)
                set_slot(negk + SLOT * g, a + SLOT * g, q + SLOT * g, channels,
                         xg + g * group_stride);
            for (size_t r0 = 0; r0 < rows; r0 += CH_MOM_TILE_ROWS) {
                const size_t rn = rows - r0 < CH_MOM_TILE_ROWS ? rows - r0 : CH_MOM_TILE_ROWS;
                for (size_t g = 0; g < gn; g += CH_MOM_SLOTS) {
                    const int nv = (int)(gn - g < CH_MOM_SLOTS ? gn - g : CH_MOM_SLOTS);
                    WITH_CONST_NV(nv, CH_MOM_SLOTS, N,
                                  moments_tile(N, 1, channels, group_stride, rn,
                                               xg + g * group_stride + r0 * stride, stride,
                                               negk + SLOT * g, a + SLOT * g, q + SLOT * g, 0, 0))
                }
            }
            for (size_t g = 0; g < gn; g++)
                for (size_t c = 0; c < channels; c++) {
                    s1[(g0 + g) * channels + c] = a[SLOT * g + c];
                    s2[(g0 + g) * channels + c] = q[SLOT * g + c];
                }
        }
        return;
    }
    const int pf =
        channel_sums_prefetch(stride * sizeof(sx), (size_t)SLOT * CH_MOM_SLOTS * sizeof(sx));
    for (size_t g = 0; g < groups; g++) {
        const sx *xg = x + g * group_stride;
        for (size_t g0 = 0; g0 < channels; g0 += MOM_GROUP) {
            const size_t gw = channels - g0 < MOM_GROUP ? channels - g0 : MOM_GROUP;
            for (size_t c = 0; c < gw; c += SLOT)
                set_slot(negk + c, a + c, q + c, gw - c < SLOT ? gw - c : SLOT, xg + g0 + c);
            for (size_t r0 = 0; r0 < rows; r0 += CH_MOM_TILE_ROWS) {
                const size_t rn = rows - r0 < CH_MOM_TILE_ROWS ? rows - r0 : CH_MOM_TILE_ROWS;
                const sx *xt = xg + r0 * stride + g0;
                /* rows of this block whose row a block down exists */
                const size_t left =
                    pf && rows - r0 > CH_MOM_TILE_ROWS ? rows - r0 - CH_MOM_TILE_ROWS : 0;
                const size_t pfr = left < rn ? left : rn;
                for (size_t c = 0; c < gw; c += SLOT * CH_MOM_SLOTS) {
                    const size_t w = gw - c < SLOT * CH_MOM_SLOTS ? gw - c : SLOT * CH_MOM_SLOTS;
                    const int nv = (int)((w + SLOT - 1) / SLOT);
                    const size_t last = w - SLOT * (size_t)(nv - 1);
                    WITH_CONST_NV(nv, CH_MOM_SLOTS, N,
                                  moments_tile(N, 0, last, SLOT, rn, xt + c, stride, negk + c,
                                               a + c, q + c, pfr, w * sizeof(sx)))
                }
            }
            memcpy(s1 + g * channels + g0, a, gw * sizeof(double));
            memcpy(s2 + g * channels + g0, q, gw * sizeof(double));
        }
    }
}

/* ---- f32_normalize_channels ------------------------------------------------
 * A tile is up to CH_NRM_VECS vf of channels whose shift/scale/offset stay
 * in registers while it walks down CH_NRM_TILE_ROWS rows (all rows when the
 * matrix is no wider than one tile). The last vector of a row may be
 * partial (vx_load_part/vx_store_part_c). Streaming (stream, where the ISA
 * has streaming stores): rows of y that start on a VX_STREAM_ALIGN boundary
 * store their full vectors non-temporally; every full vector of such a row
 * is aligned, as a tile starts a whole number of vectors into the row and
 * VX_STREAM_ALIGN is one vector's bytes (VF_N elements of the storage). */
#if VF_STREAM_ALIGN != 0 && VF_STREAM_ALIGN != VF_N * 4
#error "channels.c: streaming stores assume VF_STREAM_ALIGN == sizeof(vf)"
#endif

static ALWAYS_INLINE vf normalize_vf(vf v, vf sh, vf sc, vf of, int act)
{
    return act_vf(vf_fma(vf_sub(v, sh), sc, of), act);
}

static ALWAYS_INLINE void normalize_tile(int nv, size_t last, size_t rows, const sx *x,
                                         size_t stride, const float *shift, const float *scale,
                                         const float *offset, sx *y, int act, int stream)
{
    vf sh[CH_NRM_VECS], sc[CH_NRM_VECS], of[CH_NRM_VECS];
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++) {
        const size_t w = v == nv - 1 ? last : VF_N;
        sh[v] = vf_load_part(shift + VF_N * v, w);
        sc[v] = vf_load_part(scale + VF_N * v, w);
        of[v] = vf_load_part(offset + VF_N * v, w);
    }
    for (size_t r = 0; r < rows; r++) {
        const sx *xr = x + r * stride;
        sx *yr = y + r * stride;
        const int nt = VF_STREAM_ALIGN != 0 && stream &&
                       ((uintptr_t)yr & (VX_STREAM_ALIGN ? VX_STREAM_ALIGN - 1 : 0)) == 0;
#pragma GCC unroll 8
        for (int v = 0; v < nv - 1; v++) {
            const vf out = normalize_vf(vx_loadu(xr + VF_N * v), sh[v], sc[v], of[v], act);
            if (nt)
                vx_stream_c(yr + VF_N * v, out);
            else
                vx_storeu_c(yr + VF_N * v, out);
        }
        const int v = nv - 1;
        if (last == VF_N) {
            const vf out = normalize_vf(vx_loadu(xr + VF_N * v), sh[v], sc[v], of[v], act);
            if (nt)
                vx_stream_c(yr + VF_N * v, out);
            else
                vx_storeu_c(yr + VF_N * v, out);
        } else {
            vx_store_part_c(yr + VF_N * v,
                          normalize_vf(vx_load_part(xr + VF_N * v, last), sh[v], sc[v], of[v], act),
                          last);
        }
    }
}

static ALWAYS_INLINE void normalize_channels(size_t rows, size_t channels, const sx *x,
                                             size_t stride, const float *shift,
                                             const float *scale, const float *offset, sx *y,
                                             int act, int stream)
{
    const size_t tile = (size_t)VF_N * CH_NRM_VECS;
    /* Rows that alias (rows_alias_4k) go in memory order: a tile walked
     * down them loaded each row's x at nearly the offset modulo 4 KiB of
     * the y just stored above it, and from memory every load waited for
     * those stores (BatchNorm NHWC training, c = 1024, 64 MiB, page-aligned
     * x and y, AVX2, one thread, Zen 3, a /tmp throwaway, best of 6: 54.5
     * -> 36.9 ms; inference, 32 x {512, 1000} x (196*1024/c), 25 MiB,
     * with the whole-row inference: 3.94 / 4.68 -> 1.94 / 1.87 ms); a tile
     * walked down the rows was faster
     * elsewhere: 1.08-1.42x the time in memory order at bench/'s
     * bn_{train,infer}_nhwc shapes. A streaming call with wide float rows
     * goes in memory order too (lanes.h, channel_walk_rows). */
    const size_t tile_rows =
        channel_walk_rows(rows, channels, stride, tile, sizeof(sx), CH_NRM_TILE_ROWS, stream);
    for (size_t r0 = 0; r0 < rows; r0 += tile_rows) {
        const size_t rn = rows - r0 < tile_rows ? rows - r0 : tile_rows;
        for (size_t c = 0; c < channels; c += tile) {
            const size_t w = channels - c < tile ? channels - c : tile;
            const int nv = (int)((w + VF_N - 1) / VF_N);
            const size_t last = w - VF_N * (size_t)(nv - 1);
            const sx *xc = x + r0 * stride + c;
            sx *yc = y + r0 * stride + c;
            WITH_CONST_NV(nv, CH_NRM_VECS, N,
                          normalize_tile(N, last, rn, xc, stride, shift + c, scale + c,
                                         offset + c, yc, act, stream))
        }
    }
}

/* The plain call (act 0) and the activations in functions of their own:
 * the plain code stays what it was before activations existed. */
static __attribute__((noinline)) void channels_plain(size_t rows, size_t channels,
                                                     const sx *x, size_t stride,
                                                     const float *shift, const float *scale,
                                                     const float *offset, sx *y)
{
    normalize_channels(rows, channels, x, stride, shift, scale, offset, y, SIMDNORM_ACT_NONE, 0);
}

static __attribute__((noinline)) void channels_act(size_t rows, size_t channels, const sx *x,
                                                   size_t stride, const float *shift,
                                                   const float *scale, const float *offset,
                                                   sx *y, int act)
{
    SIMDNORM_WITH_CONST_ACT(act, A, normalize_channels(rows, channels, x, stride, shift, scale,
                                                       offset, y, A, 0))
}

/* Contract: kernels.h, f32_normalize_channels. Nothing past the last
 * channel of a row is read or written; each element is read before its y
 * is written, so y == x works. */
void SIMDNORM_SKERNEL(normalize_channels)(size_t rows, size_t channels, const sx *x,
                                             size_t stride, const float *shift,
                                             const float *scale, const float *offset, int act,
                                             sx *y)
{
    if (act != SIMDNORM_ACT_NONE)
        channels_act(rows, channels, x, stride, shift, scale, offset, y, act);
    else
        channels_plain(rows, channels, x, stride, shift, scale, offset, y);
}

#if VF_STREAM_ALIGN != 0
static __attribute__((noinline)) void
channels_plain_stream(size_t rows, size_t channels, const sx *x, size_t stride,
                      const float *shift, const float *scale, const float *offset, sx *y)
{
    normalize_channels(rows, channels, x, stride, shift, scale, offset, y, SIMDNORM_ACT_NONE, 1);
}

static __attribute__((noinline)) void
channels_act_stream(size_t rows, size_t channels, const sx *x, size_t stride,
                    const float *shift, const float *scale, const float *offset, sx *y, int act)
{
    SIMDNORM_WITH_CONST_ACT(act, A, normalize_channels(rows, channels, x, stride, shift, scale,
                                                       offset, y, A, 1))
}

/* Contract: kernels.h, f32_normalize_channels_stream: full vectors of rows
 * that start on a VF_STREAM_ALIGN boundary are stored non-temporally; the
 * call ends with a store fence. */
void SIMDNORM_SKERNEL(normalize_channels_stream)(size_t rows, size_t channels,
                                                    const sx *x, size_t stride,
                                                    const float *shift, const float *scale,
                                                    const float *offset, int act, sx *y)
{
    if (act != SIMDNORM_ACT_NONE)
        channels_act_stream(rows, channels, x, stride, shift, scale, offset, y, act);
    else
        channels_plain_stream(rows, channels, x, stride, shift, scale, offset, y);
    vf_stream_fence();
}
#else
/* Contract: kernels.h, f32_normalize_channels_stream: no streaming stores
 * on this ISA, the plain kernel. */
void SIMDNORM_SKERNEL(normalize_channels_stream)(size_t rows, size_t channels,
                                                    const sx *x, size_t stride,
                                                    const float *shift, const float *scale,
                                                    const float *offset, int act, sx *y)
{
    SIMDNORM_SKERNEL(normalize_channels)(rows, channels, x, stride, shift, scale, offset, act,
                                            y);
}
#endif
