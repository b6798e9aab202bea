// onednn_peer.cc - the oneDNN primitives the benchmark compares against, built
// once per shape and executed on the benchmark's buffers.
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "bench_ops.h"

namespace simdnorm_bench {

namespace {
dnnl::engine &engine()
{
    static dnnl::engine e(dnnl::engine::kind::cpu, 0);
    return e;
}

dnnl::memory mem(const dnnl::memory::desc &md, void *p) { return dnnl::memory(md, engine(), p); }

using Args = std::unordered_map<int, dnnl::memory>;

// A primitive with its arguments, run (and waited for) by calling the result.
std::function<void()> runner(const dnnl::primitive &prim, const Args &args)
{
    dnnl::stream strm(engine());
    return [=]() mutable {
        prim.execute(strm, args);
        strm.wait();
    };
}

// The forward's arguments: x in, y out, scale and shift.
Args forward_args(const dnnl::memory::desc &data_md, const dnnl::memory::desc &vec_md, const Buffers &b)
{
    return {{DNNL_ARG_SRC, mem(data_md, b.x)}, {DNNL_ARG_DST, mem(data_md, b.y)},
            {DNNL_ARG_SCALE, mem(vec_md, b.gamma)}, {DNNL_ARG_SHIFT, mem(vec_md, b.beta)}};
}

// args and the statistics: mean and variance (inputs with global statistics
// and to the backward, outputs of forward_training).
Args with_stats(Args args, const dnnl::memory::desc &stat_md, float *mean, float *var)
{
    args.insert({{DNNL_ARG_MEAN, mem(stat_md, mean)}, {DNNL_ARG_VARIANCE, mem(stat_md, var)}});
    return args;
}

// The backward ops compute diff_scale and diff_shift (prop_kind::backward
// with both flags), from the statistics that one forward_training call of
// the same flags saves beforehand (into b.mean, b.var); that forward's
// primitive descriptor is the backward's hint. The tensors are those of
// simdnorm's call (bench_ops.h): x, dy from b.r, dx into b.y. oneDNN 2.6
// wants the shift too (its backward lists it as an input with use_shift and
// fails to execute without it), though the gradients do not depend on it.
Args backward_args(const dnnl::memory::desc &data_md, const dnnl::memory::desc &vec_md,
                   const dnnl::memory::desc &stat_md, const Buffers &b)
{
    return with_stats({{DNNL_ARG_SRC, mem(data_md, b.x)},
                       {DNNL_ARG_DIFF_DST, mem(data_md, b.r)},
                       {DNNL_ARG_SCALE, mem(vec_md, b.gamma)},
                       {DNNL_ARG_SHIFT, mem(vec_md, b.beta)},
                       {DNNL_ARG_DIFF_SRC, mem(data_md, b.y)},
                       {DNNL_ARG_DIFF_SCALE, mem(vec_md, b.dgamma)},
                       {DNNL_ARG_DIFF_SHIFT, mem(vec_md, b.dbeta)}},
                      stat_md, b.mean, b.var);
}

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
    const bool half = is_half(s.op); // bf16 src and dst
    const memory::desc data_md(dims, half ? dt::bf16 : dt::f32, t);
    const memory::desc vec_md({(memory::dim)s.c}, dt::f32, tag::a);
    const auto scale_shift = normalization_flags::use_scale | normalization_flags::use_shift;
    Args fwd = forward_args(data_md, vec_md, b);
    if (half) {
        fwd[DNNL_ARG_SRC] = mem(data_md, b.xbf16);
        fwd[DNNL_ARG_DST] = mem(data_md, b.yh);
    }
    if (is_backward(s.op)) {
        const batch_normalization_forward::primitive_desc fwd_pd(
            batch_normalization_forward::desc(prop_kind::forward_training, data_md, 1e-5f, scale_shift),
            engine());
        runner(batch_normalization_forward(fwd_pd),
               with_stats(forward_args(data_md, vec_md, b), vec_md, b.mean, b.var))();
        const batch_normalization_backward::primitive_desc pd(
            batch_normalization_backward::desc(prop_kind::backward, data_md, data_md, 1e-5f, scale_shift),
            engine(), fwd_pd);
        return runner(batch_normalization_backward(pd), backward_args(data_md, vec_md, vec_md, b));
    }
    auto flags = scale_shift;
    if (!train)
        flags = flags | normalization_flags::use_global_stats;
    const batch_normalization_forward::primitive_desc pd(
        batch_normalization_forward::desc(train ? prop_kind::forward_training : prop_kind::forward_inference,
                                          data_md, 1e-5f, flags),
        engine());
    return runner(batch_normalization_forward(pd), with_stats(fwd, vec_md, b.s3, b.s4));
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
    const memory::desc vec_md0({(memory::dim)s.cols}, dt::f32, tag::a);
    if (s.op == Op::LayerNormBf16) {
        /* bf16 src and dst, float32 scale and shift (oneDNN's bf16 LayerNorm) */
        const memory::desc md(dims, dt::bf16, tag::ab);
        const layer_normalization_forward::primitive_desc pd(
            layer_normalization_forward::desc(prop_kind::forward_inference, md, 1e-5f,
                                              normalization_flags::use_scale |
                                                  normalization_flags::use_shift),
            engine());
        return runner(layer_normalization_forward(pd),
                      {{DNNL_ARG_SRC, mem(md, b.xbf16)}, {DNNL_ARG_DST, mem(md, b.yh)},
                       {DNNL_ARG_SCALE, mem(vec_md0, b.gamma)},
                       {DNNL_ARG_SHIFT, mem(vec_md0, b.beta)}});
    }
    const memory::desc data_md(dims, dt::f32, tag::ab);
    const memory::desc vec_md({(memory::dim)s.cols}, dt::f32, tag::a);
    const auto scale_shift = normalization_flags::use_scale | normalization_flags::use_shift;
    if (is_backward(s.op)) {
        const layer_normalization_forward::primitive_desc fwd_pd(
            layer_normalization_forward::desc(prop_kind::forward_training, data_md, 1e-5f, scale_shift),
            engine());
        const memory::desc stat_md = fwd_pd.mean_desc();
        runner(layer_normalization_forward(fwd_pd),
               with_stats(forward_args(data_md, vec_md, b), stat_md, b.mean, b.var))();
        const layer_normalization_backward::primitive_desc pd(
            layer_normalization_backward::desc(prop_kind::backward, data_md, data_md, stat_md, 1e-5f,
                                               scale_shift),
            engine(), fwd_pd);
        return runner(layer_normalization_backward(pd), backward_args(data_md, vec_md, stat_md, b));
    }
    const layer_normalization_forward::primitive_desc pd(
        layer_normalization_forward::desc(prop_kind::forward_inference, data_md, 1e-5f, scale_shift),
        engine());
    return runner(layer_normalization_forward(pd), forward_args(data_md, vec_md, b));
}

} // namespace simdnorm_bench
