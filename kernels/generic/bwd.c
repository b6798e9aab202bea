/* bwd.c - the backward kernels (kernels.h "Backward": f32_bwd_sums,
 * f32_bwd_dx, f32_bwd_channel_sums, f32_bwd_dx_channels, f32_norm_bwd_rows),
 * written once and compiled for every ISA against its vector header. The
 * sums follow the canonical lanes and rounds of the fast reductions
 * (generic/lanes.h), so every ISA computes the same operations in the same
 * order; the dx and dgamma/dbeta steps are elementwise (and column-wise down
 * a fixed block of rows), so the vector width cannot change them. Any
 * alignment; nothing past a span's last element is read or written. */
#include SIMDNORM_VEC_HEADER
#include "generic/lanes.h"

/* g = dy * gamma (dy without gamma); xhat = (x - mean) * rstd, or x * rstd
 * without a mean (RMSNorm). */
static ALWAYS_INLINE vf bwd_g(vf dy, vf gamma, int has_gamma)
{
    return has_gamma ? vf_mul(dy, gamma) : dy;
}
static ALWAYS_INLINE vf bwd_xhat(vf x, vf mean, vf rstd, int has_mean)
{
    return vf_mul(has_mean ? vf_sub(x, mean) : x, rstd);
}
/* dx = fmaf(g, w, fmaf(xhat, k, o)) (RMSNorm: fmaf(g, w, xhat * k)), NaN
 * canonical. */
static ALWAYS_INLINE vf bwd_dx(vf g, vf xhat, vf w, vf k, vf o, int has_mean)
{
    const vf r = has_mean ? vf_fma(xhat, k, o) : vf_mul(xhat, k);
    const vf d = vf_fma(g, w, r);
    return vf_canon_nan_of(d, d);
}

/* One round [i, end) of a span's sums: float lane sums p += g (only with a
 * mean: RMSNorm needs no s1) and q = fmaf(g, xhat, q), flushed into the
 * double lanes s, q (first: assigned). Absent lanes of the partial last
 * step get g = xhat = +0, which leave a sum that started at +0 unchanged. */
static ALWAYS_INLINE void bwd_round(const float *dy, const float *x, const float *gamma,
                                    size_t i, size_t end, vf mean, vf rstd, vd s[LANE_VD],
                                    vd q[LANE_VD], int first, int has_gamma, int has_mean)
{
    vf p[LANE_VF], r[LANE_VF];
#pragma GCC unroll 32
    for (size_t j = 0; j < LANE_VF; j++)
        p[j] = r[j] = vf_zero();
    for (; i + SIMDNORM_LANES <= end; i += SIMDNORM_LANES) {
#pragma GCC unroll 32
        for (size_t j = 0; j < LANE_VF; j++) {
            const size_t e = i + j * VF_N;
            const vf g = bwd_g(vf_loadu(dy + e), has_gamma ? vf_loadu(gamma + e) : vf_zero(),
                               has_gamma);
            const vf xh = bwd_xhat(vf_loadu(x + e), mean, rstd, has_mean);
            if (has_mean)
                p[j] = vf_add(p[j], g);
            r[j] = vf_fma(g, xh, r[j]);
        }
    }
    if (i < end) {
        const size_t rem = end - i;
#pragma GCC unroll 32
        for (size_t j = 0; j < LANE_VF; j++) {
            const size_t c = lanes_in_reg(j, rem, VF_N), e = i + j * VF_N;
            if (c == 0)
                break;
            const vf g = vf_keep_first(
                bwd_g(vf_load_part(dy + e, c), has_gamma ? vf_load_part(gamma + e, c) : vf_zero(),
                      has_gamma),
                c);
            const vf xh = vf_keep_first(bwd_xhat(vf_load_part(x + e, c), mean, rstd, has_mean), c);
            if (has_mean)
                p[j] = vf_add(p[j], g);
            r[j] = vf_fma(g, xh, r[j]);
        }
    }
    if (has_mean)
        lanes_flush(p, s, first);
    lanes_flush(r, q, first);
}

/* s1 (with a mean), s2 of one span, n >= 1. */
static ALWAYS_INLINE void bwd_sums(size_t n, const float *dy, const float *x, const float *gamma,
                                   float mean, float rstd, double out[2], int has_gamma,
                                   int has_mean)
{
    const vf m = vf_set1(mean), r = vf_set1(rstd);
    vd s[LANE_VD], q[LANE_VD];
    for (size_t i = 0; i < n; i += ROUND_ELEMS)
        bwd_round(dy, x, gamma, i, n - i < ROUND_ELEMS ? n : i + ROUND_ELEMS, m, r, s, q, i == 0,
                  has_gamma, has_mean);
    out[0] = has_mean ? lanes_fold(s) : 0.0;
    out[1] = lanes_fold(q);
}

/* dx of one span, n >= 1. */
static ALWAYS_INLINE void bwd_dx_span(size_t n, const float *dy, const float *x,
                                      const float *gamma, float mean, float rstd, float w,
                                      float k, float o, float *dx, int has_gamma, int has_mean)
{
    const vf m = vf_set1(mean), r = vf_set1(rstd), wv = vf_set1(w), kv = vf_set1(k),
             ov = vf_set1(o);
    size_t i = 0;
    for (; i + VF_N <= n; i += VF_N) {
        const vf g = bwd_g(vf_loadu(dy + i), has_gamma ? vf_loadu(gamma + i) : vf_zero(),
                           has_gamma);
        const vf xh = bwd_xhat(vf_loadu(x + i), m, r, has_mean);
        vf_storeu(dx + i, bwd_dx(g, xh, wv, kv, ov, has_mean));
    }
    if (i < n) {
        const size_t c = n - i;
        const vf g = bwd_g(vf_load_part(dy + i, c),
                           has_gamma ? vf_load_part(gamma + i, c) : vf_zero(), has_gamma);
        const vf xh = bwd_xhat(vf_load_part(x + i, c), m, r, has_mean);
        vf_store_part(dx + i, bwd_dx(g, xh, wv, kv, ov, has_mean), c);
    }
}

/* Contract: kernels.h, f32_bwd_sums. */
void SIMDNORM_KERNEL(f32_bwd_sums)(size_t n, const float *dy, const float *x, const float *gamma,
                                   float mean, float rstd, double out[2])
{
    if (gamma)
        bwd_sums(n, dy, x, gamma, mean, rstd, out, 1, 1);
    else
        bwd_sums(n, dy, x, gamma, mean, rstd, out, 0, 1);
}

/* Contract: kernels.h, f32_bwd_dx. */
void SIMDNORM_KERNEL(f32_bwd_dx)(size_t n, const float *dy, const float *x, const float *gamma,
                                 float mean, float rstd, float w, float k, float o, float *dx)
{
    if (gamma)
        bwd_dx_span(n, dy, x, gamma, mean, rstd, w, k, o, dx, 1, 1);
    else
        bwd_dx_span(n, dy, x, gamma, mean, rstd, w, k, o, dx, 0, 1);
}

/* ---- NHWC: channels in lanes, one double chain per channel -------------- */

/* Vectors of channels one tile of the channel kernels walks the rows with
 * (independent chains for the adds' latency). */
#define BWD_CH_VECS 4

/* Channels [c0, c0 + nv*VF_N) (the last vector partial, cl lanes, when
 * cl < VF_N) of f32_bwd_channel_sums. */
static ALWAYS_INLINE void bwd_channel_sums_tile(size_t rows, size_t c0, size_t nv, size_t cl,
                                                const float *dy, const float *x, size_t stride,
                                                const float *mean, const float *rstd,
                                                double *s1, double *s2)
{
    vf m[BWD_CH_VECS], r[BWD_CH_VECS];
    vd a1[BWD_CH_VECS][VD_PER_VF], a2[BWD_CH_VECS][VD_PER_VF];
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) {
        const size_t c = c0 + v * VF_N, l = v + 1 == nv ? cl : VF_N;
        m[v] = l == VF_N ? vf_loadu(mean + c) : vf_load_part(mean + c, l);
        r[v] = l == VF_N ? vf_loadu(rstd + c) : vf_load_part(rstd + c, l);
#pragma GCC unroll 2
        for (size_t h = 0; h < VD_PER_VF; h++)
            a1[v][h] = a2[v][h] = vd_zero();
    }
    for (size_t row = 0; row < rows; row++) {
        const float *dyr = dy + row * stride, *xr = x + row * stride;
#pragma GCC unroll 4
        for (size_t v = 0; v < nv; v++) {
            const size_t c = c0 + v * VF_N, l = v + 1 == nv ? cl : VF_N;
            const vf d = l == VF_N ? vf_loadu(dyr + c) : vf_load_part(dyr + c, l);
            const vf xv = l == VF_N ? vf_loadu(xr + c) : vf_load_part(xr + c, l);
            vd dw[VD_PER_VF], xw[VD_PER_VF];
            vf_widen(d, dw);
            vf_widen(bwd_xhat(xv, m[v], r[v], 1), xw);
#pragma GCC unroll 2
            for (size_t h = 0; h < VD_PER_VF; h++) {
                a1[v][h] = vd_add(a1[v][h], dw[h]);
                a2[v][h] = vd_fma(dw[h], xw[h], a2[v][h]);
            }
        }
    }
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) {
        const size_t c = c0 + v * VF_N, l = v + 1 == nv ? cl : VF_N;
#pragma GCC unroll 2
        for (size_t h = 0; h < VD_PER_VF; h++) {
            const size_t lo = h * VD_N, cnt = l <= lo ? 0 : l - lo >= VD_N ? VD_N : l - lo;
            if (cnt == VD_N) {
                vd_storeu(s1 + c + lo, a1[v][h]);
                vd_storeu(s2 + c + lo, a2[v][h]);
            } else if (cnt) {
                vd_store_part(s1 + c + lo, a1[v][h], cnt);
                vd_store_part(s2 + c + lo, a2[v][h], cnt);
            }
        }
    }
}

/* Contract: kernels.h, f32_bwd_channel_sums. */
void SIMDNORM_KERNEL(f32_bwd_channel_sums)(size_t rows, size_t channels, const float *dy,
                                           const float *x, size_t stride, const float *mean,
                                           const float *rstd, double *s1, double *s2)
{
    size_t c = 0;
    for (; c + BWD_CH_VECS * VF_N <= channels; c += BWD_CH_VECS * VF_N)
        bwd_channel_sums_tile(rows, c, BWD_CH_VECS, VF_N, dy, x, stride, mean, rstd, s1, s2);
    for (; c + VF_N <= channels; c += VF_N)
        bwd_channel_sums_tile(rows, c, 1, VF_N, dy, x, stride, mean, rstd, s1, s2);
    if (c < channels)
        bwd_channel_sums_tile(rows, c, 1, channels - c, dy, x, stride, mean, rstd, s1, s2);
}

/* Channels [c0, c0 + nv*VF_N) of f32_bwd_dx_channels (the last vector
 * partial, cl lanes). */
static ALWAYS_INLINE void bwd_dx_channels_tile(size_t rows, size_t c0, size_t nv, size_t cl,
                                               const float *dy, const float *x, size_t stride,
                                               const float *mean, const float *rstd,
                                               const float *w, const float *k, const float *o,
                                               float *dx)
{
    vf m[BWD_CH_VECS], r[BWD_CH_VECS], wv[BWD_CH_VECS], kv[BWD_CH_VECS], ov[BWD_CH_VECS];
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) {
        const size_t c = c0 + v * VF_N, l = v + 1 == nv ? cl : VF_N;
        if (l == VF_N) {
            m[v] = vf_loadu(mean + c);
            r[v] = vf_loadu(rstd + c);
            wv[v] = vf_loadu(w + c);
            kv[v] = vf_loadu(k + c);
            ov[v] = vf_loadu(o + c);
        } else {
            m[v] = vf_load_part(mean + c, l);
            r[v] = vf_load_part(rstd + c, l);
            wv[v] = vf_load_part(w + c, l);
            kv[v] = vf_load_part(k + c, l);
            ov[v] = vf_load_part(o + c, l);
        }
    }
    for (size_t row = 0; row < rows; row++) {
        const float *dyr = dy + row * stride, *xr = x + row * stride;
        float *dxr = dx + row * stride;
#pragma GCC unroll 4
        for (size_t v = 0; v < nv; v++) {
            const size_t c = c0 + v * VF_N, l = v + 1 == nv ? cl : VF_N;
            if (l == VF_N) {
                const vf xh = bwd_xhat(vf_loadu(xr + c), m[v], r[v], 1);
                vf_storeu(dxr + c, bwd_dx(vf_loadu(dyr + c), xh, wv[v], kv[v], ov[v], 1));
            } else {
                const vf xh = bwd_xhat(vf_load_part(xr + c, l), m[v], r[v], 1);
                vf_store_part(dxr + c,
                              bwd_dx(vf_load_part(dyr + c, l), xh, wv[v], kv[v], ov[v], 1), l);
            }
        }
    }
}

/* Contract: kernels.h, f32_bwd_dx_channels. */
void SIMDNORM_KERNEL(f32_bwd_dx_channels)(size_t rows, size_t channels, const float *dy,
                                          const float *x, size_t stride, const float *mean,
                                          const float *rstd, const float *w, const float *k,
                                          const float *o, float *dx)
{
    size_t c = 0;
    for (; c + BWD_CH_VECS * VF_N <= channels; c += BWD_CH_VECS * VF_N)
        bwd_dx_channels_tile(rows, c, BWD_CH_VECS, VF_N, dy, x, stride, mean, rstd, w, k, o, dx);
    for (; c + VF_N <= channels; c += VF_N)
        bwd_dx_channels_tile(rows, c, 1, VF_N, dy, x, stride, mean, rstd, w, k, o, dx);
    if (c < channels)
        bwd_dx_channels_tile(rows, c, 1, channels - c, dy, x, stride, mean, rstd, w, k, o, dx);
}

/* ---- the row-norm backward over blocks of rows -------------------------- */

/* Adds the float block sums b (c <= VF_N lanes) as doubles into acc[0..c). */
static ALWAYS_INLINE void bwd_acc_add(double *acc, vf b, size_t c)
{
    if (c == VF_N) {
        vd w[VD_PER_VF];
        vf_widen(b, w);
#pragma GCC unroll 2
        for (size_t h = 0; h < VD_PER_VF; h++)
            vd_storeu(acc + h * VD_N, vd_add(vd_loadu(acc + h * VD_N), w[h]));
    } else {
        float t[VF_N];
        vf_storeu(t, b);
        for (size_t l = 0; l < c; l++)
            acc[l] += (double)t[l];
    }
}

/* Columns [j, j + c) (c <= VF_N) of the m rows of a block: dx and the
 * block's dgamma/dbeta float sums, row by row in order. */
static ALWAYS_INLINE void bwd_block_cols(const simdnorm_bwd_job *jb, size_t r0, size_t m,
                                         size_t j, size_t c, const float *w, const float *k,
                                         const float *o, int has_gamma, int has_mean)
{
    const int full = c == VF_N;
    const vf gm = has_gamma ? (full ? vf_loadu(jb->gamma + j) : vf_load_part(jb->gamma + j, c))
                            : vf_zero();
    vf bg = vf_zero(), bb = vf_zero();
    for (size_t r = 0; r < m; r++) {
        const size_t row = r0 + r;
        const float *dyr = jb->dy + row * jb->dy_stride + j, *xr = jb->x + row * jb->x_stride + j;
        const vf d = full ? vf_loadu(dyr) : vf_load_part(dyr, c);
        const vf xv = full ? vf_loadu(xr) : vf_load_part(xr, c);
        const vf xh = bwd_xhat(xv, vf_set1(has_mean ? jb->mean[row] : 0.0f),
                               vf_set1(jb->rstd[row]), has_mean);
        if (jb->dx) {
            const vf v = bwd_dx(bwd_g(d, gm, has_gamma), xh, vf_set1(w[r]), vf_set1(k[r]),
                                vf_set1(o[r]), has_mean);
            float *dxr = jb->dx + row * jb->dx_stride + j;
            if (full)
                vf_storeu(dxr, v);
            else
                vf_store_part(dxr, v, c);
        }
        bg = vf_fma(d, xh, bg);
        bb = vf_add(bb, d);
    }
    if (jb->acc_g)
        bwd_acc_add(jb->acc_g + j, bg, c);
    if (jb->acc_b)
        bwd_acc_add(jb->acc_b + j, bb, c);
}

static ALWAYS_INLINE void norm_bwd_rows(const simdnorm_bwd_job *jb, size_t r0, size_t r1,
                                        int has_gamma, int has_mean)
{
    const size_t n = jb->cols;
    for (size_t b = r0; b < r1; b += SIMDNORM_BWD_ROWS) {
        const size_t m = r1 - b < SIMDNORM_BWD_ROWS ? r1 - b : SIMDNORM_BWD_ROWS;
        float w[SIMDNORM_BWD_ROWS], k[SIMDNORM_BWD_ROWS], o[SIMDNORM_BWD_ROWS];
        for (size_t r = 0; r < m; r++) {
            const size_t row = b + r;
            const float *dyr = jb->dy + row * jb->dy_stride, *xr = jb->x + row * jb->x_stride;
            const float mean = has_mean ? jb->mean[row] : 0.0f, rstd = jb->rstd[row];
            double s[2];
            bwd_sums(n, dyr, xr, jb->gamma, mean, rstd, s, has_gamma, has_mean);
            simdnorm_bwd_coeffs(s[0], s[1], jb->inv_cols, (double)rstd, &w[r], &k[r], &o[r]);
            if (!jb->acc_g && !jb->acc_b && jb->dx) /* no column sums: dx row by row */
                bwd_dx_span(n, dyr, xr, jb->gamma, mean, rstd, w[r], k[r], o[r],
                            jb->dx + row * jb->dx_stride, has_gamma, has_mean);
        }
        if (!jb->acc_g && !jb->acc_b)
            continue;
        size_t j = 0;
        for (; j + VF_N <= n; j += VF_N)
            bwd_block_cols(jb, b, m, j, VF_N, w, k, o, has_gamma, has_mean);
        if (j < n)
            bwd_block_cols(jb, b, m, j, n - j, w, k, o, has_gamma, has_mean);
    }
}

/* Contract: kernels.h, f32_norm_bwd_rows. */
void SIMDNORM_KERNEL(f32_norm_bwd_rows)(const simdnorm_bwd_job *jb, size_t r0, size_t r1)
{
    const int g = jb->gamma != NULL, mn = jb->mean != NULL;
    if (g && mn)
        norm_bwd_rows(jb, r0, r1, 1, 1);
    else if (g)
        norm_bwd_rows(jb, r0, r1, 1, 0);
    else if (mn)
        norm_bwd_rows(jb, r0, r1, 0, 1);
    else
        norm_bwd_rows(jb, r0, r1, 0, 0);
}
