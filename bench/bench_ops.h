// bench_ops.h - the list of benchmarked operations and shapes, and how each is
// run on simdnorm and on oneDNN. Adding an op here puts it in the sweep.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "simdnorm.h"

namespace simdnorm_bench {

enum class Op { LayerNorm, RmsNorm };

inline const char *op_name(Op op)
{
    switch (op) {
    case Op::LayerNorm: return "layer_norm";
    case Op::RmsNorm: return "rms_norm";
    }
    return "?";
}

struct Shape {
    Op op;
    size_t rows, cols;
    size_t elements() const { return rows * cols; }
    // bytes of x read plus y written
    size_t bytes_moved() const { return 2 * elements() * sizeof(float); }
    size_t vector_len() const { return cols > rows ? cols : rows; }
    std::string label() const { return "cols:" + std::to_string(cols) + "/rows:" + std::to_string(rows); }
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
        out.push_back({op, 1, 8});
        for (size_t c : cols)
            for (size_t b : x_bytes) {
                const size_t rows = b / (sizeof(float) * c);
                if (rows >= 1)
                    out.push_back({op, rows, c});
            }
    }
    return out;
}

struct Buffers {
    float *x, *y, *gamma, *beta, *s1, *s2, *s3, *s4;
};

inline simdnorm_status run_simdnorm(const Shape &s, const Buffers &b)
{
    switch (s.op) {
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
inline bool has_onednn(const Shape &s) { return s.op == Op::LayerNorm; }
// The same op on oneDNN (its forward_inference LayerNorm with scale and
// shift), built now, run by calling the result.
std::function<void()> make_onednn(const Shape &s, const Buffers &b);
#endif

} // namespace simdnorm_bench
