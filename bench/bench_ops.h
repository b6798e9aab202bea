// bench_ops.h - the list of benchmarked operations and shapes, and how each is
// run on simdnorm and on oneDNN. Adding an op here puts it in the sweep.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "simdnorm.h"

namespace simdnorm_bench {

enum class Op { LayerNorm, RmsNorm, BnTrainNchw, BnTrainNhwc, BnInferNchw, BnInferNhwc };

inline const char *op_name(Op op)
{
    switch (op) {
    case Op::LayerNorm: return "layer_norm";
    case Op::RmsNorm: return "rms_norm";
    case Op::BnTrainNchw: return "bn_train_nchw";
    case Op::BnTrainNhwc: return "bn_train_nhwc";
    case Op::BnInferNchw: return "bn_infer_nchw";
    case Op::BnInferNhwc: return "bn_infer_nhwc";
    }
    return "?";
}

inline bool is_batch_norm(Op op) { return op != Op::LayerNorm && op != Op::RmsNorm; }
inline bool is_nhwc(Op op) { return op == Op::BnTrainNhwc || op == Op::BnInferNhwc; }
inline bool is_training(Op op) { return op == Op::BnTrainNchw || op == Op::BnTrainNhwc; }

// Row norms: rows x cols. BatchNorm: n x c x spatial (spatial 1 is 2-D).
struct Shape {
    Op op;
    size_t rows, cols;       // row norms
    size_t n, c, spatial;    // BatchNorm
    size_t elements() const { return is_batch_norm(op) ? n * c * spatial : rows * cols; }
    // bytes of x read plus y written (BatchNorm training reads x twice, but
    // the contract is measured as x + y, like a copy)
    size_t bytes_moved() const { return 2 * elements() * sizeof(float); }
    size_t vector_len() const
    {
        const size_t v = is_batch_norm(op) ? c : cols;
        return v > rows ? v : rows;
    }
    std::string label() const
    {
        if (is_batch_norm(op))
            return "n:" + std::to_string(n) + "/c:" + std::to_string(c) + "/s:" + std::to_string(spatial);
        return "cols:" + std::to_string(cols) + "/rows:" + std::to_string(rows);
    }
};

// x in L1, L2, L3 and DRAM, for Transformer feature sizes and awkward ones;
// plus a 1x8 call that shows the fixed cost per call.
inline std::vector<Shape> shapes(bool full)
{
    std::vector<size_t> x_bytes = {32u << 10, 256u << 10, 4u << 20, 64u << 20};
    std::vector<size_t> cols = {33, 64, 768, 1000, 4096, 4097};
    if (full) {
        x_bytes = {16u << 10, 32u << 10, 64u << 10, 128u << 10, 256u << 10, 512u << 10, 1u << 20,
                   2u << 20, 4u << 20, 8u << 20, 16u << 20, 32u << 20, 64u << 20, 128u << 20};
        cols = {33, 64, 128, 256, 512, 768, 1000, 1024, 2048, 4096, 4097, 8192};
    }
    std::vector<Shape> out;
    for (Op op : {Op::LayerNorm, Op::RmsNorm}) {
        out.push_back({op, 1, 8, 0, 0, 0});
        for (size_t c : cols)
            for (size_t b : x_bytes) {
                const size_t rows = b / (sizeof(float) * c);
                if (rows >= 1)
                    out.push_back({op, rows, c, 0, 0, 0});
            }
    }
    // BatchNorm: the CNN shapes of the issue (ResNet stages), a 2-D input,
    // and each at L2 / L3 / DRAM sizes by batch.
    struct Bn {
        size_t n, c, s;
    };
    std::vector<Bn> bn = {{32, 64, 3136}, {32, 256, 196}, {256, 512, 1}, {2, 64, 3136},
                          {1, 256, 196}, {8, 3, 50176}};
    if (full)
        bn.insert(bn.end(), {{8, 64, 3136}, {8, 256, 196}, {4096, 512, 1}, {64, 1000, 1}, {32, 17, 49}});
    for (Op op : {Op::BnTrainNchw, Op::BnTrainNhwc, Op::BnInferNchw, Op::BnInferNhwc})
        for (const Bn &b : bn)
            if (b.s > 1 || op == Op::BnTrainNhwc || op == Op::BnInferNhwc) // 2-D once per mode
                out.push_back({op, 0, 0, b.n, b.c, b.s});
    return out;
}

struct Buffers {
    float *x, *y, *gamma, *beta, *s1, *s2, *s3, *s4;
};

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
    case Op::LayerNorm:
        return simdnorm_layer_norm_f32(s.rows, s.cols, b.x, s.cols, b.gamma, b.beta, 1e-5f, b.y,
                                       s.cols, nullptr, nullptr);
    case Op::RmsNorm:
        return simdnorm_rms_norm_f32(s.rows, s.cols, b.x, s.cols, b.gamma, 1e-5f, b.y, s.cols,
                                     nullptr);
    }
    return SIMDNORM_ERR_PARAM;
}

#ifdef SIMDNORM_BENCH_ONEDNN
// Whether oneDNN has the op (2.6 has no RMSNorm).
inline bool has_onednn(const Shape &s) { return s.op != Op::RmsNorm; }
// The same op on oneDNN (forward_inference LayerNorm with scale and shift;
// BatchNorm forward_training / forward_inference with global stats, scale and
// shift, in the same layout), built now, run by calling the result.
std::function<void()> make_onednn(const Shape &s, const Buffers &b);
#endif

} // namespace simdnorm_bench
