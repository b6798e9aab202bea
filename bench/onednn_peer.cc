// onednn_peer.cc - the oneDNN primitives the benchmark compares against, built
// once per shape and executed on the benchmark's buffers.
#include <memory>

#include <oneapi/dnnl/dnnl.hpp>

#include "bench_ops.h"

namespace simdnorm_bench {

namespace {
dnnl::engine &engine()
{
    static dnnl::engine e(dnnl::engine::kind::cpu, 0);
    return e;
}
} // namespace

namespace {
std::function<void()> make_batch_norm(const Shape &s, const Buffers &b)
{
    using namespace dnnl;
    using dt = memory::data_type;
    using tag = memory::format_tag;
    const bool train = is_training(s.op);
    memory::dims dims;
    tag t;
    if (s.spatial == 1) {
        dims = {(memory::dim)s.n, (memory::dim)s.c};
        t = tag::nc;
    } else {
        // a square-ish H x W with H*W = spatial (the ResNet shapes are squares)
        memory::dim h = 1;
        while ((h + 1) * (h + 1) <= (memory::dim)s.spatial)
            h++;
        while ((memory::dim)s.spatial % h)
            h--;
        dims = {(memory::dim)s.n, (memory::dim)s.c, h, (memory::dim)s.spatial / h};
        t = is_nhwc(s.op) ? tag::nhwc : tag::nchw;
    }
    const memory::desc data_md(dims, dt::f32, t);
    const memory::desc vec_md({(memory::dim)s.c}, dt::f32, tag::a);
    auto flags = normalization_flags::use_scale | normalization_flags::use_shift;
    if (!train)
        flags = flags | normalization_flags::use_global_stats;
    batch_normalization_forward::desc d(train ? prop_kind::forward_training : prop_kind::forward_inference,
                                        data_md, 1e-5f, flags);
    batch_normalization_forward::primitive_desc pd(d, engine());
    auto prim = std::make_shared<batch_normalization_forward>(pd);
    auto src = std::make_shared<memory>(data_md, engine(), b.x);
    auto dst = std::make_shared<memory>(data_md, engine(), b.y);
    auto scale = std::make_shared<memory>(vec_md, engine(), b.gamma);
    auto shift = std::make_shared<memory>(vec_md, engine(), b.beta);
    auto mean = std::make_shared<memory>(vec_md, engine(), b.s3);
    auto var = std::make_shared<memory>(vec_md, engine(), b.s4);
    auto strm = std::make_shared<stream>(engine());
    return [=]() {
        prim->execute(*strm, {{DNNL_ARG_SRC, *src}, {DNNL_ARG_DST, *dst},
                              {DNNL_ARG_SCALE, *scale}, {DNNL_ARG_SHIFT, *shift},
                              {DNNL_ARG_MEAN, *mean}, {DNNL_ARG_VARIANCE, *var}});
        strm->wait();
    };
}
} // namespace

std::function<void()> make_onednn(const Shape &s, const Buffers &b)
{
    using namespace dnnl;
    using dt = memory::data_type;
    using tag = memory::format_tag;
    if (is_batch_norm(s.op))
        return make_batch_norm(s, b);
    const memory::dims dims = {(memory::dim)s.rows, (memory::dim)s.cols};
    const memory::desc data_md(dims, dt::f32, tag::ab);
    const memory::desc vec_md({(memory::dim)s.cols}, dt::f32, tag::a);
    layer_normalization_forward::desc d(prop_kind::forward_inference, data_md, 1e-5f,
                                        normalization_flags::use_scale | normalization_flags::use_shift);
    layer_normalization_forward::primitive_desc pd(d, engine());
    auto prim = std::make_shared<layer_normalization_forward>(pd);
    auto src = std::make_shared<memory>(data_md, engine(), b.x);
    auto dst = std::make_shared<memory>(data_md, engine(), b.y);
    auto scale = std::make_shared<memory>(vec_md, engine(), b.gamma);
    auto shift = std::make_shared<memory>(vec_md, engine(), b.beta);
    auto strm = std::make_shared<stream>(engine());
    return [=]() {
        prim->execute(*strm, {{DNNL_ARG_SRC, *src}, {DNNL_ARG_DST, *dst},
                              {DNNL_ARG_SCALE, *scale}, {DNNL_ARG_SHIFT, *shift}});
        strm->wait();
    };
}

} // namespace simdnorm_bench
