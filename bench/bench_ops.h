// bench_ops.h - the list of benchmarked operations and shapes, and how each is
// run on simdnorm and on oneDNN. Adding an op here puts it in the sweep.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "simdnorm.h"

namespace simdnorm_bench {

// The fused epilogues come in pairs: the fused call (the _ex functions) and
// its "_unfused" baseline, the same result computed in separate passes:
//  - *_gelu_unfused:     the plain norm, then simdnorm_activate_f32 over y
//                        (the library's own activation kernel, in place);
//  - *_residual_unfused: h = (x + residual) + bias written into y by a plain
//                        C++ loop (compiled for baseline x86-64 / aarch64 by
//                        the compiler at -O3), then the plain norm in place.
// bytes_moved counts what the op must move (residual ops: x and residual
// read, y written), the same for both, so GB/s compare as times do.
//
// The backward ops (*_bwd) are the training case: dx and dgamma (and dbeta,
// except RMSNorm, which has no beta) from dy, x, gamma and the forward's
// saved mean/rstd; BatchNorm with batch statistics (training = 1). They move
// three tensors: x and dy read, dx written.
//
// layer_norm_gb_alias and rms_norm_gb_alias: the plain LayerNorm/RMSNorm
// (oneDNN: its LayerNorm) with gamma and beta placed 4 bytes before y
// modulo 4 KiB (gb_alias_buffers), at DRAM sizes: where loads of them can
// 4K-alias the streaming stores of y (dispatch/rows.c place_affine). The
// other ops' buffers all start on a page, as y does.
//
// GroupNorm (gn_*): simdnorm_group_norm_f32 with gamma, beta and the saved
// mean/rstd (forward), and simdnorm_group_norm_bwd_f32 with dx, dgamma, dbeta
// (backward, from the forward's statistics), NCHW and NHWC, on the shapes of
// a Stable-Diffusion-class U-Net and InstanceNorm (groups == c); the peer is
// PyTorch (bench/torch_group_norm.py, same shapes, printed beside).
enum class Op {
    LayerNorm, RmsNorm, BnTrainNchw, BnTrainNhwc, BnInferNchw, BnInferNhwc,
    LayerNormGelu, LayerNormGeluUnfused, LayerNormResidual, LayerNormResidualUnfused,
    RmsNormResidual, RmsNormResidualUnfused, BnInferNhwcRelu, BnInferNhwcReluUnfused,
    LayerNormBwd, RmsNormBwd, BnBwdNchw, BnBwdNhwc,
    GnNchw, GnNhwc, GnBwdNchw, GnBwdNhwc,
    LayerNormGeluTanh, LayerNormSilu,
    LayerNormBf16, RmsNormBf16, LayerNormF16, RmsNormF16, BnTrainNchwBf16, BnInferNchwBf16,
    BnTrainNhwcBf16, BnInferNhwcBf16, LayerNormGbAlias, RmsNormGbAlias
};

inline const char *op_name(Op op)
{
    switch (op) {
    case Op::LayerNorm: return "layer_norm";
    case Op::RmsNorm: return "rms_norm";
    case Op::BnTrainNchw: return "bn_train_nchw";
    case Op::BnTrainNhwc: return "bn_train_nhwc";
    case Op::BnInferNchw: return "bn_infer_nchw";
    case Op::BnInferNhwc: return "bn_infer_nhwc";
    case Op::LayerNormGelu: return "layer_norm_gelu";
    case Op::LayerNormGeluUnfused: return "layer_norm_gelu_unfused";
    case Op::LayerNormResidual: return "layer_norm_residual";
    case Op::LayerNormResidualUnfused: return "layer_norm_residual_unfused";
    case Op::RmsNormResidual: return "rms_norm_residual";
    case Op::RmsNormResidualUnfused: return "rms_norm_residual_unfused";
    case Op::BnInferNhwcRelu: return "bn_infer_nhwc_relu";
    case Op::BnInferNhwcReluUnfused: return "bn_infer_nhwc_relu_unfused";
    case Op::LayerNormBwd: return "layer_norm_bwd";
    case Op::RmsNormBwd: return "rms_norm_bwd";
    case Op::BnBwdNchw: return "bn_bwd_nchw";
    case Op::BnBwdNhwc: return "bn_bwd_nhwc";
    case Op::GnNchw: return "gn_nchw";
    case Op::GnNhwc: return "gn_nhwc";
    case Op::GnBwdNchw: return "gn_bwd_nchw";
    case Op::GnBwdNhwc: return "gn_bwd_nhwc";
    case Op::LayerNormGeluTanh: return "layer_norm_gelu_tanh";
    case Op::LayerNormSilu: return "layer_norm_silu";
    case Op::LayerNormBf16: return "layer_norm_bf16";
    case Op::RmsNormBf16: return "rms_norm_bf16";
    case Op::LayerNormF16: return "layer_norm_f16";
    case Op::RmsNormF16: return "rms_norm_f16";
    case Op::BnTrainNchwBf16: return "bn_train_nchw_bf16";
    case Op::BnInferNchwBf16: return "bn_infer_nchw_bf16";
    case Op::BnTrainNhwcBf16: return "bn_train_nhwc_bf16";
    case Op::BnInferNhwcBf16: return "bn_infer_nhwc_bf16";
    case Op::LayerNormGbAlias: return "layer_norm_gb_alias";
    case Op::RmsNormGbAlias: return "rms_norm_gb_alias";
    }
    return "?";
}

inline bool is_batch_norm(Op op)
{
    return op == Op::BnTrainNchw || op == Op::BnTrainNhwc || op == Op::BnInferNchw ||
           op == Op::BnInferNhwc || op == Op::BnInferNhwcRelu || op == Op::BnInferNhwcReluUnfused ||
           op == Op::BnBwdNchw || op == Op::BnBwdNhwc || op == Op::BnTrainNchwBf16 ||
           op == Op::BnInferNchwBf16 || op == Op::BnTrainNhwcBf16 || op == Op::BnInferNhwcBf16;
}
inline bool is_group_norm(Op op)
{
    return op == Op::GnNchw || op == Op::GnNhwc || op == Op::GnBwdNchw || op == Op::GnBwdNhwc;
}
// an (n, c, spatial) shape: BatchNorm or GroupNorm
inline bool is_nc_shape(Op op) { return is_batch_norm(op) || is_group_norm(op); }
inline bool is_nhwc(Op op)
{
    return op == Op::BnTrainNhwc || op == Op::BnInferNhwc || op == Op::BnInferNhwcRelu ||
           op == Op::BnInferNhwcReluUnfused || op == Op::BnBwdNhwc || op == Op::GnNhwc ||
           op == Op::GnBwdNhwc || op == Op::BnTrainNhwcBf16 || op == Op::BnInferNhwcBf16;
}
inline bool is_backward(Op op)
{
    return op == Op::LayerNormBwd || op == Op::RmsNormBwd || op == Op::BnBwdNchw ||
           op == Op::BnBwdNhwc || op == Op::GnBwdNchw || op == Op::GnBwdNhwc;
}
inline bool has_residual(Op op)
{
    return op == Op::LayerNormResidual || op == Op::LayerNormResidualUnfused ||
           op == Op::RmsNormResidual || op == Op::RmsNormResidualUnfused;
}
inline bool is_training(Op op)
{
    return op == Op::BnTrainNchw || op == Op::BnTrainNhwc || op == Op::BnTrainNchwBf16 ||
           op == Op::BnTrainNhwcBf16;
}
// The 16-bit storage twins (x and y bf16 / f16, float32 math): their bytes
// are the 16-bit bytes moved, compared with a copy of as many bytes.
inline bool is_half(Op op)
{
    return op == Op::LayerNormBf16 || op == Op::RmsNormBf16 || op == Op::LayerNormF16 ||
           op == Op::RmsNormF16 || op == Op::BnTrainNchwBf16 || op == Op::BnInferNchwBf16 ||
           op == Op::BnTrainNhwcBf16 || op == Op::BnInferNhwcBf16;
}
inline size_t elem_size(Op op) { return is_half(op) ? 2 : sizeof(float); }
// The bf16 twins: the only ops whose kernels the avx512bf16 ISA has of its
// own (kernels/isa_list.h); every other op runs avx512's there.
inline bool is_bf16(Op op) { return is_half(op) && op != Op::LayerNormF16 && op != Op::RmsNormF16; }
inline bool is_gb_alias(Op op) { return op == Op::LayerNormGbAlias || op == Op::RmsNormGbAlias; }

// Row norms: rows x cols. BatchNorm: n x c x spatial (spatial 1 is 2-D).
// GroupNorm: n x c x spatial and groups.
struct Shape {
    Op op;
    size_t rows, cols;       // row norms
    size_t n, c, spatial;    // BatchNorm, GroupNorm
    size_t groups;           // GroupNorm
    size_t elements() const { return is_nc_shape(op) ? n * c * spatial : rows * cols; }
    // bytes of x read plus y written (BatchNorm training reads x twice, but
    // the contract is measured as x + y, like a copy; a residual is read
    // too). Backward: x and dy read, dx written.
    size_t bytes_moved() const
    {
        return (has_residual(op) || is_backward(op) ? 3 : 2) * elements() * elem_size(op);
    }
    size_t vector_len() const
    {
        const size_t v = is_nc_shape(op) ? (n * groups > c ? n * groups : c)
                         : is_gb_alias(op) ? cols + 1024 /* gb_alias_buffers */
                                           : cols;
        return v > rows ? v : rows;
    }
    std::string label() const
    {
        if (is_group_norm(op))
            return "n:" + std::to_string(n) + "/c:" + std::to_string(c) + "/s:" + std::to_string(spatial) +
                   "/g:" + std::to_string(groups);
        if (is_batch_norm(op))
            return "n:" + std::to_string(n) + "/c:" + std::to_string(c) + "/s:" + std::to_string(spatial);
        return "cols:" + std::to_string(cols) + "/rows:" + std::to_string(rows);
    }
};

// x in L1, L2, L3 and DRAM, for Transformer feature sizes and awkward ones;
// plus a 1x8 call that shows the fixed cost per call and a 1x4096 call, the
// decode case (one token's row per call), timed in ns per call.
inline std::vector<Shape> shapes(bool full)
{
    std::vector<size_t> x_bytes = {32u << 10, 256u << 10, 4u << 20, 64u << 20};
    std::vector<size_t> cols = {33, 64, 768, 1000, 4096, 4097};
    if (full) {
        x_bytes = {16u << 10, 32u << 10, 64u << 10, 128u << 10, 256u << 10, 512u << 10, 1u << 20,
                   2u << 20, 4u << 20, 8u << 20, 16u << 20, 32u << 20, 64u << 20, 128u << 20};
        cols = {4, 33, 64, 128, 256, 512, 768, 1000, 1024, 2048, 4096, 4097, 8192};
    }
    std::vector<Shape> out;
    for (Op op : {Op::LayerNorm, Op::RmsNorm, Op::LayerNormBwd, Op::RmsNormBwd}) {
        out.push_back({op, 1, 8, 0, 0, 0, 0});
        out.push_back({op, 1, 4096, 0, 0, 0, 0}); // decode
        for (size_t c : cols)
            for (size_t b : x_bytes) {
                const size_t rows = b / (sizeof(float) * c);
                if (rows >= 1 && !(rows == 1 && c == 4096)) // the full sweep's 16 KiB x 4096 is the decode case
                    out.push_back({op, rows, c, 0, 0, 0, 0});
            }
    }
    // The 16-bit twins (issue 15) beside float32: the same feature sizes at
    // the same bytes of x (x:4MiB is 4 MiB of bf16, twice the elements of
    // float32's 4 MiB), so frac compares at equal memory footprint.
    std::vector<size_t> half_cols = {64, 768, 4096};
    if (full)
        half_cols = {64, 768, 1024, 4096, 8192};
    for (Op op : {Op::LayerNormBf16, Op::RmsNormBf16, Op::LayerNormF16, Op::RmsNormF16})
        for (size_t c : half_cols)
            for (size_t b : {256u << 10, 4u << 20, 64u << 20})
                out.push_back({op, b / (2 * c), c, 0, 0, 0, 0});
    // BatchNorm: the CNN shapes of the issue (ResNet stages), a 2-D input,
    // and each at L2 / L3 / DRAM sizes by batch.
    struct Bn {
        size_t n, c, s;
    };
    // (32, 1024, 196): NHWC rows of 4 KiB in page-aligned buffers, where a
    // tile of channels walked down the rows aliased (CHANGELOG). (128, 256,
    // 196): the 256-channel stage at a DRAM size (x + y 49 MiB; 1 and 32
    // samples are its L2 and L3 sizes), rows of 1 KiB from memory.
    std::vector<Bn> bn = {{32, 64, 3136}, {32, 256, 196}, {256, 512, 1}, {2, 64, 3136},
                          {1, 256, 196}, {8, 3, 50176}, {32, 1024, 196}, {128, 256, 196}};
    if (full)
        bn.insert(bn.end(), {{8, 64, 3136}, {8, 256, 196}, {4096, 512, 1}, {64, 1000, 1}, {32, 17, 49}});
    for (Op op : {Op::BnTrainNchw, Op::BnTrainNhwc, Op::BnInferNchw, Op::BnInferNhwc, Op::BnBwdNchw,
                  Op::BnBwdNhwc})
        for (const Bn &b : bn)
            if (b.s > 1 || is_nhwc(op)) // 2-D once per mode
                out.push_back({op, 0, 0, b.n, b.c, b.s, 0});
    // The bf16 BatchNorm twins (read and written in 16 bits) on the same
    // (n, c, spatial) as float32: half the bytes; beside oneDNN's bf16
    // BatchNorm.
    for (Op op : {Op::BnTrainNchwBf16, Op::BnInferNchwBf16, Op::BnTrainNhwcBf16,
                  Op::BnInferNhwcBf16})
        for (const Bn &b : bn)
            if (b.s > 1 || is_nhwc(op)) // 2-D once per mode
                out.push_back({op, 0, 0, b.n, b.c, b.s, 0});
    // GroupNorm: Stable-Diffusion U-Net stages (groups 32) and InstanceNorm
    // (groups == c), both layouts, forward and backward.
    struct Gn {
        size_t n, c, s, g;
    };
    const std::vector<Gn> gn = {{2, 320, 4096, 32}, {2, 640, 1024, 32}, {2, 1280, 256, 32},
                                {1, 64, 65536, 64}};
    for (Op op : {Op::GnNchw, Op::GnNhwc, Op::GnBwdNchw, Op::GnBwdNhwc})
        for (const Gn &g : gn)
            out.push_back({op, 0, 0, g.n, g.c, g.s, g.g});
    // The fused epilogues and their unfused baselines: Transformer rows (and
    // a 2-D BatchNorm of as many channels) in L2, L3 and DRAM; the other
    // two smooth activations fused (layer_norm_gelu_tanh, layer_norm_silu).
    // gamma and beta 4 bytes before y modulo 4 KiB, from memory: rows at
    // one offset modulo 4 KiB (1024, 4096) and at four (768)
    for (Op op : {Op::LayerNormGbAlias, Op::RmsNormGbAlias})
        for (size_t c : {768u, 1024u, 4096u})
            out.push_back({op, (64u << 20) / (sizeof(float) * c), c, 0, 0, 0, 0});
    std::vector<size_t> fused_cols = {768, 4096};
    if (full)
        fused_cols = {64, 768, 1024, 4096, 8192};
    for (Op op : {Op::LayerNormGelu, Op::LayerNormGeluUnfused, Op::LayerNormResidual,
                  Op::LayerNormResidualUnfused, Op::RmsNormResidual, Op::RmsNormResidualUnfused,
                  Op::BnInferNhwcRelu, Op::BnInferNhwcReluUnfused, Op::LayerNormGeluTanh,
                  Op::LayerNormSilu})
        for (size_t c : fused_cols)
            for (size_t b : {256u << 10, 4u << 20, 64u << 20}) {
                const size_t rows = b / (sizeof(float) * c);
                out.push_back({op, rows, c, rows, c, 1, 0});
            }
    return out;
}

// The backward ops take dy from r and write dx to y; mean/rstd (oneDNN:
// mean/var) hold the saved statistics of x, which the benchmark computes with
// the forward before it times the backward, and dgamma/dbeta are its outputs.
struct Buffers {
    float *x, *y, *gamma, *beta, *s1, *s2, *s3, *s4;
    float *r; // a residual matrix as large as x
    float *mean, *rstd, *var, *dgamma, *dbeta;
    uint16_t *xbf16, *xf16, *yh; // the 16-bit ops' x (bf16, f16: x narrowed) and y
};

// The buffers of an op: the pool's, except that the gb_alias ops take gamma
// and beta 1023 floats into their page-aligned buffers (4 bytes before the
// next page, so 4 bytes before y modulo 4 KiB).
inline Buffers op_buffers(const Shape &s, Buffers b)
{
    if (is_gb_alias(s.op)) {
        b.gamma += 1023;
        b.beta += 1023;
    }
    return b;
}

// The unfused residual add: y = (x + r) + bias, row by row.
inline void add_residual(size_t rows, size_t cols, const float *x, const float *r,
                         const float *bias, float *y)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            y[i * cols + j] = (x[i * cols + j] + r[i * cols + j]) + bias[j];
}

inline simdnorm_status run_simdnorm(const Shape &s, const Buffers &b)
{
    const simdnorm_layout lay = is_nhwc(s.op) ? SIMDNORM_NHWC : SIMDNORM_NCHW;
    switch (s.op) {
    case Op::BnTrainNchw:
    case Op::BnTrainNhwc:
        return simdnorm_batch_norm_train_f32(lay, s.n, s.c, s.spatial, b.x, b.gamma, b.beta, 1e-5f,
                                             0.1f, b.s1, b.s2, b.y, b.s3, b.s4);
    case Op::BnInferNchw:
    case Op::BnInferNhwc:
        return simdnorm_batch_norm_infer_f32(lay, s.n, s.c, s.spatial, b.x, b.gamma, b.beta, b.s1,
                                             b.s2, 1e-5f, b.y);
    case Op::BnTrainNchwBf16:
    case Op::BnTrainNhwcBf16:
        return simdnorm_batch_norm_train_bf16(lay, s.n, s.c, s.spatial, b.xbf16, b.gamma,
                                              b.beta, 1e-5f, 0.1f, b.s1, b.s2, b.yh, b.s3, b.s4);
    case Op::BnInferNchwBf16:
    case Op::BnInferNhwcBf16:
        return simdnorm_batch_norm_infer_bf16(lay, s.n, s.c, s.spatial, b.xbf16, b.gamma,
                                              b.beta, b.s1, b.s2, 1e-5f, b.yh);
    case Op::LayerNorm:
    case Op::LayerNormGbAlias:
        return simdnorm_layer_norm_f32(s.rows, s.cols, b.x, s.cols, b.gamma, b.beta, 1e-5f, b.y,
                                       s.cols, nullptr, nullptr);
    case Op::RmsNorm:
    case Op::RmsNormGbAlias:
        return simdnorm_rms_norm_f32(s.rows, s.cols, b.x, s.cols, b.gamma, 1e-5f, b.y, s.cols,
                                     nullptr);
    case Op::LayerNormGelu: {
        const simdnorm_norm_options o = {nullptr, 0, nullptr, SIMDNORM_ACT_GELU_ERF, nullptr, 0};
        return simdnorm_layer_norm_ex_f32(s.rows, s.cols, b.x, s.cols, b.gamma, b.beta, 1e-5f,
                                          b.y, s.cols, nullptr, nullptr, &o);
    }
    case Op::LayerNormGeluTanh:
    case Op::LayerNormSilu: {
        const simdnorm_activation a =
            s.op == Op::LayerNormSilu ? SIMDNORM_ACT_SILU : SIMDNORM_ACT_GELU_TANH;
        const simdnorm_norm_options o = {nullptr, 0, nullptr, a, nullptr, 0};
        return simdnorm_layer_norm_ex_f32(s.rows, s.cols, b.x, s.cols, b.gamma, b.beta, 1e-5f,
                                          b.y, s.cols, nullptr, nullptr, &o);
    }
    case Op::LayerNormGeluUnfused: {
        const simdnorm_status st = simdnorm_layer_norm_f32(s.rows, s.cols, b.x, s.cols, b.gamma,
                                                           b.beta, 1e-5f, b.y, s.cols, nullptr,
                                                           nullptr);
        return st != SIMDNORM_OK ? st
                                 : simdnorm_activate_f32(s.elements(), b.y, SIMDNORM_ACT_GELU_ERF, b.y);
    }
    case Op::LayerNormResidual: {
        const simdnorm_norm_options o = {b.r, s.cols, b.beta, SIMDNORM_ACT_NONE, nullptr, 0};
        return simdnorm_layer_norm_ex_f32(s.rows, s.cols, b.x, s.cols, b.gamma, b.beta, 1e-5f,
                                          b.y, s.cols, nullptr, nullptr, &o);
    }
    case Op::LayerNormResidualUnfused:
        add_residual(s.rows, s.cols, b.x, b.r, b.beta, b.y);
        return simdnorm_layer_norm_f32(s.rows, s.cols, b.y, s.cols, b.gamma, b.beta, 1e-5f, b.y,
                                       s.cols, nullptr, nullptr);
    case Op::RmsNormResidual: {
        const simdnorm_norm_options o = {b.r, s.cols, b.beta, SIMDNORM_ACT_NONE, nullptr, 0};
        return simdnorm_rms_norm_ex_f32(s.rows, s.cols, b.x, s.cols, b.gamma, 1e-5f, b.y, s.cols,
                                        nullptr, &o);
    }
    case Op::RmsNormResidualUnfused:
        add_residual(s.rows, s.cols, b.x, b.r, b.beta, b.y);
        return simdnorm_rms_norm_f32(s.rows, s.cols, b.y, s.cols, b.gamma, 1e-5f, b.y, s.cols,
                                     nullptr);
    case Op::BnInferNhwcRelu: {
        const simdnorm_norm_options o = {nullptr, 0, nullptr, SIMDNORM_ACT_RELU, nullptr, 0};
        return simdnorm_batch_norm_infer_ex_f32(SIMDNORM_NHWC, s.n, s.c, s.spatial, b.x, b.gamma,
                                                b.beta, b.s1, b.s2, 1e-5f, b.y, &o);
    }
    case Op::BnInferNhwcReluUnfused: {
        const simdnorm_status st = simdnorm_batch_norm_infer_f32(
            SIMDNORM_NHWC, s.n, s.c, s.spatial, b.x, b.gamma, b.beta, b.s1, b.s2, 1e-5f, b.y);
        return st != SIMDNORM_OK ? st
                                 : simdnorm_activate_f32(s.elements(), b.y, SIMDNORM_ACT_RELU, b.y);
    }
    case Op::LayerNormBwd:
        return simdnorm_layer_norm_bwd_f32(s.rows, s.cols, b.r, s.cols, b.x, s.cols, b.gamma,
                                           b.mean, b.rstd, b.y, s.cols, b.dgamma, b.dbeta);
    case Op::RmsNormBwd:
        return simdnorm_rms_norm_bwd_f32(s.rows, s.cols, b.r, s.cols, b.x, s.cols, b.gamma, b.rstd,
                                         b.y, s.cols, b.dgamma);
    case Op::BnBwdNchw:
    case Op::BnBwdNhwc:
        return simdnorm_batch_norm_bwd_f32(lay, s.n, s.c, s.spatial, b.r, b.x, b.gamma, b.mean,
                                           b.rstd, 1, b.y, b.dgamma, b.dbeta);
    case Op::GnNchw:
    case Op::GnNhwc:
        return simdnorm_group_norm_f32(lay, s.n, s.c, s.spatial, s.groups, b.x, b.gamma, b.beta,
                                       1e-5f, b.y, b.mean, b.rstd);
    case Op::GnBwdNchw:
    case Op::GnBwdNhwc:
        return simdnorm_group_norm_bwd_f32(lay, s.n, s.c, s.spatial, s.groups, b.r, b.x, b.gamma,
                                           b.mean, b.rstd, b.y, b.dgamma, b.dbeta);
    case Op::LayerNormBf16:
        return simdnorm_layer_norm_bf16(s.rows, s.cols, b.xbf16, s.cols, b.gamma, b.beta, 1e-5f,
                                        b.yh, s.cols, nullptr, nullptr);
    case Op::RmsNormBf16:
        return simdnorm_rms_norm_bf16(s.rows, s.cols, b.xbf16, s.cols, b.gamma, 1e-5f, b.yh, s.cols,
                                      nullptr);
    case Op::LayerNormF16:
        return simdnorm_layer_norm_f16(s.rows, s.cols, b.xf16, s.cols, b.gamma, b.beta, 1e-5f, b.yh,
                                       s.cols, nullptr, nullptr);
    case Op::RmsNormF16:
        return simdnorm_rms_norm_f16(s.rows, s.cols, b.xf16, s.cols, b.gamma, 1e-5f, b.yh, s.cols,
                                     nullptr);
    }
    return SIMDNORM_ERR_PARAM;
}

// What a backward op needs before it is timed: the forward's saved
// statistics of x in mean/rstd (the forward writes y, which the backward
// overwrites with dx). Nothing for the other ops.
inline simdnorm_status prepare_simdnorm(const Shape &s, const Buffers &b)
{
    switch (s.op) {
    case Op::LayerNormBwd:
        return simdnorm_layer_norm_f32(s.rows, s.cols, b.x, s.cols, b.gamma, b.beta, 1e-5f, b.y,
                                       s.cols, b.mean, b.rstd);
    case Op::RmsNormBwd:
        return simdnorm_rms_norm_f32(s.rows, s.cols, b.x, s.cols, b.gamma, 1e-5f, b.y, s.cols, b.rstd);
    case Op::BnBwdNchw:
    case Op::BnBwdNhwc:
        return simdnorm_batch_norm_train_f32(is_nhwc(s.op) ? SIMDNORM_NHWC : SIMDNORM_NCHW, s.n, s.c,
                                             s.spatial, b.x, b.gamma, b.beta, 1e-5f, 0.1f, nullptr,
                                             nullptr, b.y, b.mean, b.rstd);
    case Op::GnBwdNchw:
    case Op::GnBwdNhwc:
        return simdnorm_group_norm_f32(is_nhwc(s.op) ? SIMDNORM_NHWC : SIMDNORM_NCHW, s.n, s.c,
                                       s.spatial, s.groups, b.x, b.gamma, b.beta, 1e-5f, b.y, b.mean,
                                       b.rstd);
    default:
        return SIMDNORM_OK;
    }
}

#ifdef SIMDNORM_BENCH_ONEDNN
// Whether oneDNN has the op (2.6 has no RMSNorm).
inline bool has_onednn(const Shape &s)
{
    return s.op == Op::LayerNorm || s.op == Op::LayerNormGbAlias || s.op == Op::LayerNormBf16 ||
           s.op == Op::BnTrainNchw || s.op == Op::BnTrainNhwc ||
           s.op == Op::BnInferNchw || s.op == Op::BnInferNhwc || s.op == Op::LayerNormBwd ||
           s.op == Op::BnBwdNchw || s.op == Op::BnBwdNhwc || s.op == Op::BnTrainNchwBf16 ||
           s.op == Op::BnInferNchwBf16 || s.op == Op::BnTrainNhwcBf16 ||
           s.op == Op::BnInferNhwcBf16;
}
// The same op on oneDNN (forward_inference LayerNorm with scale and shift,
// float32 or - layer_norm_bf16 - bf16 src/dst with float32 scale and shift,
// where this CPU's oneDNN implements it (else it throws; the benchmark then
// reports an error);
// BatchNorm forward_training / forward_inference with global stats, scale and
// shift, in the same layout (the _bf16 ops: bf16 src/dst, float32 scale,
// shift and statistics); the backward ops with prop_kind::backward, scale
// and shift, so diff_scale and diff_shift are computed, after one
// forward_training call for the statistics), built now, run by calling the
// result.
std::function<void()> make_onednn(const Shape &s, const Buffers &b);
#endif

} // namespace simdnorm_bench
