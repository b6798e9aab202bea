/* normalize.h - the normalize-scale-shift loop of one span, written once
 * for every ISA against its vector header; the f32_normalize kernels
 * (generic/normalize.c) and the row engine (generic/rows.c) inline it.
 * Include after the vector header, generic/lanes.h, generic/act.h and
 * generic/storage.h: x and y are of the build's storage type (loaded
 * widened, stored narrowed: vx_*), gamma and beta float. */
#ifndef SIMDNORM_GENERIC_NORMALIZE_H
#define SIMDNORM_GENERIC_NORMALIZE_H

#define NOINLINE __attribute__((noinline))

#if VF_STREAM_ALIGN
/* The head before y's first VF_STREAM_ALIGN boundary is one partial vector. */
_Static_assert(VF_STREAM_ALIGN % sizeof(float) == 0 && VF_STREAM_ALIGN <= VF_N * sizeof(float),
               "the streaming head must fit one vector");
#endif

/* act for normalize_vf: the affine part alone, NaNs as they come. */
#define NORMALIZE_AFFINE_ONLY (-1)

/* t = x - shift, u = fma(t, scale, offset), the affine part chosen by the
 * constant flags, then the activation with NaN lanes made canonical. */
static ALWAYS_INLINE vf normalize_vf(vf v, vf shift, vf scale, vf offset, vf g, vf b,
                                    int has_gamma, int has_beta, int act)
{
    const vf u = vf_fma(vf_sub(v, shift), scale, offset);
    vf r = u;
    if (has_gamma && has_beta)
        r = vf_fma(u, g, b);
    else if (has_gamma)
        r = vf_mul(u, g);
    else if (has_beta)
        r = vf_add(u, b);
    return act == NORMALIZE_AFFINE_ONLY ? r : act_vf(r, act);
}

/* Prefetch of the data the caller reads next (the row engine: the next
 * batch's row; the f32_normalize kernels: their pf argument, the next long
 * row or GroupNorm pair), so that the caller's next statistics pass reads
 * the caches: pf[i] for the full vector at i (NULL: none). Not on scalar
 * (one element per vector). With beta (far, a compile-time constant of the
 * loop) the hint is "low locality" (x86 prefetcht2, aarch64 PLDL3KEEP;
 * where the line lands is the CPU's choice, and the gain below is what a
 * fill of the L2 without the L1 would give): the loop then reads x, gamma
 * and beta, and with the next row fetched into the L1 (32 KiB on Zen 3/4)
 * as well, rows of thousands of floats overflowed it (4096 floats: 16 KiB
 * each). LayerNorm from memory (64 MiB, one thread,
 * AVX-512, Zen 4; /tmp throwaway `ab`, the two libraries alternated in one
 * process, best of 12-15, two or three times): new/base 768 floats
 * 0.94-0.98, 1024 0.83-0.91, 2048 0.83-0.90, 4096 0.88-0.91; AVX2 4096 0.73;
 * `bench/ab.py` (3 alternations): f16 / bf16 LayerNorm 4096 columns at 64
 * MiB 0.72-0.74 / 0.92-0.95, LayerNorm + GELU at 64 MiB 0.81-0.96, in cache
 * 0.94-1.06 (noise). Without beta (RMSNorm) the low hint was slower at 3072
 * and 4096 floats (1.04-1.10): it keeps prefetcht0. Zen 3 not measured. */
#if VF_N >= 4
#define NORMALIZE_PREFETCH(pf, i, far)                                         \
    do {                                                                       \
        if ((pf) && (far))                                                     \
            __builtin_prefetch((pf) + (i), 0, 1);                              \
        else if (pf)                                                           \
            __builtin_prefetch((pf) + (i));                                    \
    } while (0)
#else
#define NORMALIZE_PREFETCH(pf, i, far) ((void)(pf))
#endif

/* The activations whose arithmetic bounds the loop (GELU, SiLU: tens of
 * operations a vector) take normalize_span's plain loop, one vector a
 * step, not its software-pipelined blocks: those hold two blocks and the
 * activation's constants at once, more than the registers, and the spills
 * cost more than the 4K aliasing they avoid. LayerNorm + act, 85x768
 * floats in cache, AVX2 Zen 3, time plain / pipelined (best of 15
 * alternating, /tmp throwaway `abfused`): GELU(erf) 0.93, SiLU 0.89. The
 * 16-bit builds' pairs (normalize_pairs) stay pipelined: a pair a step
 * was 1.02-1.05x their time, one vector a step 1.06-1.12x. */
#define NORMALIZE_HEAVY_ACT(act) ((act) > SIMDNORM_ACT_RELU)

/* The full vector of elements [i, i + VF_N). */
static ALWAYS_INLINE vf normalize_full(size_t i, const sx *x, vf shift, vf scale, vf offset,
                                      const float *gamma, const float *beta, int has_gamma,
                                      int has_beta, int act, const sx *pf)
{
    NORMALIZE_PREFETCH(pf, i, has_beta);
    const vf g = has_gamma ? vf_loadu(gamma + i) : vf_zero();
    const vf b = has_beta ? vf_loadu(beta + i) : vf_zero();
    return normalize_vf(vx_loadu(x + i), shift, scale, offset, g, b, has_gamma, has_beta, act);
}

#if VX_HAS_PAIR
/* Elements [i, i + 2 VF_N) as a pair in the header's order for elementwise
 * loops (x, gamma and beta loaded in it; storage.h, VX_HAS_PAIR and the
 * vx_*_npair operations): the same operations as normalize_full on every
 * element. */
static OPT_INLINE void normalize_pair(size_t i, const sx *x, vf shift, vf scale, vf offset,
                                      const float *gamma, const float *beta, int has_gamma,
                                      int has_beta, int act, const sx *pf, vf *r0, vf *r1)
{
    NORMALIZE_PREFETCH(pf, i, has_beta);
    vf v0, v1, g0 = vf_zero(), g1 = vf_zero(), b0 = vf_zero(), b1 = vf_zero();
    vx_load_npair(x + i, &v0, &v1);
    if (has_gamma)
        vf_load_npair_(gamma + i, &g0, &g1);
    if (has_beta)
        vf_load_npair_(beta + i, &b0, &b1);
    *r0 = normalize_vf(v0, shift, scale, offset, g0, b0, has_gamma, has_beta, act);
    *r1 = normalize_vf(v1, shift, scale, offset, g1, b1, has_gamma, has_beta, act);
}

/* normalize_span's loops over pairs from element i (returned: where they
 * stopped, fewer than 2 VF_N elements before n): stream as normalize_span
 * (from a VF_STREAM_ALIGN boundary of y on; the element before it by the
 * caller's vectors), else one pair loaded ahead of the store of the one
 * before (normalize_span's 4K-aliasing note), with every activation
 * (NORMALIZE_HEAVY_ACT's note). */
static ALWAYS_INLINE size_t normalize_pairs(size_t i, size_t n, const sx *x, vf shift, vf scale,
                                            vf offset, const float *gamma, const float *beta,
                                            sx *y, int has_gamma, int has_beta, int act,
                                            int stream, const sx *pf)
{
    const size_t blk = 2 * VF_N;
    vf r0, r1, q0, q1;
#if VF_STREAM_ALIGN
    if (stream) {
        for (; i + blk <= n; i += blk) {
            normalize_pair(i, x, shift, scale, offset, gamma, beta, has_gamma, has_beta, act, pf,
                           &r0, &r1);
            vx_stream_npair_c(y + i, r0, r1);
        }
        return i;
    }
#else
    (void)stream;
#endif
    if (i + 2 * blk <= n) {
        normalize_pair(i, x, shift, scale, offset, gamma, beta, has_gamma, has_beta, act, pf, &r0,
                       &r1);
        for (; i + 2 * blk <= n; i += blk) {
            normalize_pair(i + blk, x, shift, scale, offset, gamma, beta, has_gamma, has_beta,
                           act, pf, &q0, &q1);
            vx_store_npair_c(y + i, r0, r1);
            r0 = q0;
            r1 = q1;
        }
        vx_store_npair_c(y + i, r0, r1);
        i += blk;
    }
    if (i + blk <= n) {
        normalize_pair(i, x, shift, scale, offset, gamma, beta, has_gamma, has_beta, act, pf, &r0,
                       &r1);
        vx_store_npair_c(y + i, r0, r1);
        i += blk;
    }
    return i;
}
#endif

/* Elements [i, i + c), 1 <= c < VF_N: partial loads and store. */
static ALWAYS_INLINE void normalize_part(size_t i, size_t c, const sx *x, vf shift, vf scale,
                                         vf offset, const float *gamma, const float *beta,
                                         sx *y, int has_gamma, int has_beta, int act)
{
    const vf g = has_gamma ? vf_load_part(gamma + i, c) : vf_zero();
    const vf b = has_beta ? vf_load_part(beta + i, c) : vf_zero();
    vx_store_part_c(y + i, normalize_vf(vx_load_part(x + i, c), shift, scale, offset, g, b,
                                      has_gamma, has_beta, act), c);
}

/* The GELUs' full vectors from element i on (spans of at least
 * NORMALIZE_CHUNK_MIN elements left; returned: where it stopped, fewer than
 * VF_N elements before n), in chunks of NORMALIZE_CHUNK: each chunk is
 * normalized into a float buffer on the stack, then activated from there
 * into y - the same operations on every element, so the same bits. The
 * polynomial's loop then runs alone, as f32_activate's does, without the
 * normalize's loads in front of its long dependency chain: LayerNorm +
 * GELU after the norm (f32_activate) had been faster than the fused loop
 * (85x768 in cache, 63 against 68 us, simdnorm-bench
 * layer_norm_gelu_unfused). LayerNorm + act, AVX2 Zen 3, one thread, time
 * chunked / per vector (best of 15 alternating, /tmp throwaway abfused):
 * GELU(erf) 85x768 0.935, 21845x768 (64 MiB) 0.95, 4096x4096 0.98,
 * 256x128 0.96, 512x64 0.98; GELU(tanh) 85x768 0.94-0.95. SiLU (a
 * division, not a polynomial) was 1.0-1.08 chunked and 33-float rows
 * 1.03: neither is chunked. The f16 builds chunk too (f16 GELU(erf)
 * 85x768 0.94, 21845x768 0.80, with this file's other changes of the same
 * day); bf16 where it has pairs (vbf16 pair loads and stores) never gets
 * here: the pairs take the full vectors first. */
#define NORMALIZE_CHUNK 256
#define NORMALIZE_CHUNK_MIN 64
#define NORMALIZE_CHUNKED_ACT(act)                                             \
    ((act) == SIMDNORM_ACT_GELU_ERF || (act) == SIMDNORM_ACT_GELU_TANH)
static ALWAYS_INLINE size_t normalize_chunks(size_t i, size_t n, const sx *x, vf shift, vf scale,
                                             vf offset, const float *gamma, const float *beta,
                                             sx *y, int has_gamma, int has_beta, int act,
                                             const sx *pf)
{
    float buf[NORMALIZE_CHUNK];
    while (i + VF_N <= n) {
        const size_t c0 = (n - i) / VF_N * VF_N, c = c0 < NORMALIZE_CHUNK ? c0 : NORMALIZE_CHUNK;
        for (size_t k = 0; k < c; k += VF_N)
            vf_storeu(buf + k, normalize_full(i + k, x, shift, scale, offset, gamma, beta,
                                              has_gamma, has_beta, NORMALIZE_AFFINE_ONLY, pf));
        for (size_t k = 0; k < c; k += VF_N)
            vx_storeu_c(y + i + k, act_vf(vf_loadu(buf + k), act));
        i += c;
    }
    return i;
}

/* One span. stream (only where the ISA has streaming stores): the full
 * vectors of y from its first VF_STREAM_ALIGN boundary on are written with
 * non-temporal stores (the head before it goes as the tail does), then -
 * stream == 1 - a store fence; stream == 2 leaves the fence to the caller
 * (the row engine fences once per call). The main loop loads
 * VF_NORMALIZE_UNROLL vectors of x before it stores any of y: when y sits
 * just after x modulo 4 KiB, a store of y followed by a load of the next
 * x looks dependent to the CPU (4K aliasing) and stalls; loading a block
 * ahead pays that once per block, not once per vector. */
static ALWAYS_INLINE void normalize_span(size_t n, const sx *x, float shift_s, float scale_s,
                                         float offset_s, const float *gamma, const float *beta,
                                         sx *y, int has_gamma, int has_beta, int act,
                                         int stream, const sx *pf)
{
    const vf shift = vf_set1(shift_s), scale = vf_set1(scale_s), offset = vf_set1(offset_s);
    const int heavy = NORMALIZE_HEAVY_ACT(act);
    size_t i = 0;
#if VF_STREAM_ALIGN
    if (stream && ((uintptr_t)y % sizeof(sx)) == 0) {
        const size_t mis = ((uintptr_t)y % VX_STREAM_ALIGN) / sizeof(sx);
        const size_t a = VX_STREAM_ALIGN / sizeof(sx);
        const size_t h = mis == 0 ? 0 : a - mis < n ? a - mis : n;
        if (h) {
            normalize_part(0, h, x, shift, scale, offset, gamma, beta, y, has_gamma, has_beta,
                           act);
            i = h;
        }
#if VX_HAS_PAIR
        if (i + VF_N <= n && (uintptr_t)(y + i) % VF_STREAM_ALIGN) {
            vx_stream_c(y + i, normalize_full(i, x, shift, scale, offset, gamma, beta, has_gamma,
                                            has_beta, act, pf));
            i += VF_N;
        }
        i = normalize_pairs(i, n, x, shift, scale, offset, gamma, beta, y, has_gamma, has_beta,
                            act, 1, pf);
#endif
        for (; i + VF_N <= n; i += VF_N)
            vx_stream_c(y + i, normalize_full(i, x, shift, scale, offset, gamma, beta, has_gamma,
                                            has_beta, act, pf));
    }
#else
    (void)stream;
#endif
#if VX_HAS_PAIR
    i = normalize_pairs(i, n, x, shift, scale, offset, gamma, beta, y, has_gamma, has_beta, act,
                        0, pf);
#endif
    /* software-pipelined: block b+1 is loaded (and computed) before block b
     * is stored, so a store never precedes a load of x within the next
     * block: y up to one block after x modulo 4 KiB does not stall */
    const size_t blk = VF_NORMALIZE_UNROLL * VF_N;
    if (!heavy && i + 2 * blk <= n) {
        vf r[VF_NORMALIZE_UNROLL];
#pragma GCC unroll 8
        for (size_t u = 0; u < VF_NORMALIZE_UNROLL; u++)
            r[u] = normalize_full(i + u * VF_N, x, shift, scale, offset, gamma, beta, has_gamma,
                                  has_beta, act, pf);
        for (; i + 2 * blk <= n; i += blk) {
            vf q[VF_NORMALIZE_UNROLL];
#pragma GCC unroll 8
            for (size_t u = 0; u < VF_NORMALIZE_UNROLL; u++)
                q[u] = normalize_full(i + blk + u * VF_N, x, shift, scale, offset, gamma, beta,
                                      has_gamma, has_beta, act, pf);
#pragma GCC unroll 8
            for (size_t u = 0; u < VF_NORMALIZE_UNROLL; u++) {
                vx_storeu_c(y + i + u * VF_N, r[u]);
                r[u] = q[u];
            }
        }
#pragma GCC unroll 8
        for (size_t u = 0; u < VF_NORMALIZE_UNROLL; u++)
            vx_storeu_c(y + i + u * VF_N, r[u]);
        i += blk;
    }
    for (; !heavy && i + blk <= n; i += blk) {
        vf r[VF_NORMALIZE_UNROLL];
#pragma GCC unroll 8
        for (size_t u = 0; u < VF_NORMALIZE_UNROLL; u++)
            r[u] = normalize_full(i + u * VF_N, x, shift, scale, offset, gamma, beta, has_gamma,
                                  has_beta, act, pf);
#pragma GCC unroll 8
        for (size_t u = 0; u < VF_NORMALIZE_UNROLL; u++)
            vx_storeu_c(y + i + u * VF_N, r[u]);
    }
    if (NORMALIZE_CHUNKED_ACT(act) && n - i >= NORMALIZE_CHUNK_MIN)
        i = normalize_chunks(i, n, x, shift, scale, offset, gamma, beta, y, has_gamma, has_beta,
                             act, pf);
    if (VF_NORMALIZE_UNROLL > 1 || heavy)
        for (; i + VF_N <= n; i += VF_N)
            vx_storeu_c(y + i, normalize_full(i, x, shift, scale, offset, gamma, beta, has_gamma,
                                            has_beta, act, pf));
    if (i < n)
        normalize_part(i, n - i, x, shift, scale, offset, gamma, beta, y, has_gamma, has_beta,
                       act);
#if VF_STREAM_ALIGN
    if (stream == 1)
        vf_stream_fence();
#endif
}

/* The four gamma/beta variants of one activation, each with constant flags. */
static ALWAYS_INLINE void normalize_affine(size_t n, const sx *x, float shift, float scale,
                                           float offset, const float *gamma, const float *beta,
                                           sx *y, int act, int stream, const sx *pf)
{
    if (gamma && beta)
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 1, 1, act, stream, pf);
    else if (gamma)
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 1, 0, act, stream, pf);
    else if (beta)
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 0, 1, act, stream, pf);
    else
        normalize_span(n, x, shift, scale, offset, gamma, beta, y, 0, 0, act, stream, pf);
}

/* The activations' loops, out of line (their registers and tail calls stay
 * out of the plain loop's frame); the stream variant ends with a fence. pf:
 * a span of n elements (of x's type) to prefetch meanwhile, or NULL
 * (NORMALIZE_PREFETCH). The GELUs have a function of their own: with
 * their chunks (normalize_chunks) in normalize_act itself, SiLU's loop
 * there ran 1.06-1.10x its time (its code unchanged; the function's
 * layout and registers changed around it). */
static NOINLINE void normalize_act_gelu(size_t n, const sx *x, float shift, float scale,
                                        float offset, const float *gamma, const float *beta,
                                        sx *y, int act, const sx *pf)
{
    if (act == SIMDNORM_ACT_GELU_ERF)
        normalize_affine(n, x, shift, scale, offset, gamma, beta, y, SIMDNORM_ACT_GELU_ERF, 0, pf);
    else
        normalize_affine(n, x, shift, scale, offset, gamma, beta, y, SIMDNORM_ACT_GELU_TANH, 0,
                         pf);
}

static NOINLINE void normalize_act(size_t n, const sx *x, float shift, float scale,
                                   float offset, const float *gamma, const float *beta, sx *y,
                                   int act, const sx *pf)
{
    if (NORMALIZE_CHUNKED_ACT(act))
        normalize_act_gelu(n, x, shift, scale, offset, gamma, beta, y, act, pf);
    else if (act == SIMDNORM_ACT_SILU)
        normalize_affine(n, x, shift, scale, offset, gamma, beta, y, SIMDNORM_ACT_SILU, 0, pf);
    else if (act == SIMDNORM_ACT_RELU)
        normalize_affine(n, x, shift, scale, offset, gamma, beta, y, SIMDNORM_ACT_RELU, 0, pf);
    else
        normalize_affine(n, x, shift, scale, offset, gamma, beta, y, SIMDNORM_ACT_NONE, 0, pf);
}

#if VF_STREAM_ALIGN
static NOINLINE void normalize_act_stream(size_t n, const sx *x, float shift, float scale,
                                          float offset, const float *gamma, const float *beta,
                                          sx *y, int act, const sx *pf)
{
    SIMDNORM_WITH_CONST_ACT(act, A,
                            normalize_affine(n, x, shift, scale, offset, gamma, beta, y, A, 1, pf))
}

#else
#define normalize_act_stream normalize_act
#endif

#endif
