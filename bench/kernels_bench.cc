// kernels_bench.cc - the kernel-level microbenchmark (Google Benchmark): every
// kernel family of kernels/kernels.h on every ISA this machine runs, called
// directly through that ISA's kernel table (simdnorm_kernels_for), with
// small buffers that stay in the caches - no dispatch, no validation, no
// threads, no floating-point environment switch: what the kernels cost on
// their own.
//
//   simdnorm-kernel-bench [Google Benchmark flags]
// Names: <family>/<isa>/n:<N> (span kernels), <family>/<isa>/rows:<R>/n:<N>
// (rows and row-engine kernels), <family>/<isa>/rows:<R>/c:<C> (channel
// kernels). Counters: bytes_per_second (the floats a call reads, plus those
// it writes, each array counted once) and elems/s (elements of x).
//
// The families come from the one list, SIMDNORM_KERNEL_FAMILIES: each needs
// a runner run_<family> below, so a family added to the list without one
// does not compile.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

// The C headers declare no C++ linkage of their own (only simdnorm.h does):
// their system headers first, outside the extern "C" block (libstdc++'s
// <math.h> holds templates), then the headers with C linkage.
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
extern "C" {
#include "internal.h"
}

namespace {

// ---- shapes ------------------------------------------------------------

// One span of n floats (f32_moments, f32_normalize, ...).
struct Span {
    size_t n;
    std::string name() const { return "n:" + std::to_string(n); }
    size_t elems() const { return n; }
    static std::vector<Span> all() { return {{64}, {768}, {4096}}; }
};

// `rows` rows of n floats, stride n (the rows kernels and the row engine).
struct Rows {
    size_t rows, n;
    std::string name() const { return "rows:" + std::to_string(rows) + "/n:" + std::to_string(n); }
    size_t elems() const { return rows * n; }
    static std::vector<Rows> all() { return {{8, 64}, {16, 768}}; }
};

// A [rows, channels] matrix, stride channels (the NHWC channel kernels).
struct Channels {
    size_t rows, channels;
    std::string name() const
    {
        return "rows:" + std::to_string(rows) + "/c:" + std::to_string(channels);
    }
    size_t elems() const { return rows * channels; }
    static std::vector<Channels> all() { return {{256, 64}, {64, 768}}; }
};

// ---- buffers -------------------------------------------------------------

// The largest input of any shape above, in floats (also the largest vector:
// a span's gamma and beta).
constexpr size_t kMaxElems = 64 * 768;

float *aligned_floats(size_t n)
{
    const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    auto *p = static_cast<float *>(std::aligned_alloc(64, bytes));
    if (!p) {
        std::fprintf(stderr, "simdnorm-kernel-bench: out of memory\n");
        std::exit(1);
    }
    std::memset(p, 0, bytes); // pre-fault
    return p;
}

// One set of buffers for every benchmark, filled once: x, r, b (inputs of
// kMaxElems floats), y (output), and per-column / per-row vectors (shift,
// scale, offset: the channel normalize's; row_shift: the rows moments'). Values
// are normal around 0.5 with spread 2, so every kernel takes its fast path
// (the row engine's rows never go to the slow path).
struct Buffers {
    float *x, *r, *b, *y;
    float *gamma, *beta, *shift, *scale, *offset, *row_shift, *mean, *rstd;
    double *s1, *s2;
    Buffers()
    {
        x = aligned_floats(kMaxElems);
        r = aligned_floats(kMaxElems);
        b = aligned_floats(kMaxElems);
        y = aligned_floats(kMaxElems);
        gamma = aligned_floats(kMaxElems);
        beta = aligned_floats(kMaxElems);
        shift = aligned_floats(kMaxElems);
        scale = aligned_floats(kMaxElems);
        offset = aligned_floats(kMaxElems);
        row_shift = aligned_floats(kMaxElems);
        mean = aligned_floats(kMaxElems);
        rstd = aligned_floats(kMaxElems);
        s1 = static_cast<double *>(std::aligned_alloc(64, kMaxElems * sizeof(double)));
        s2 = static_cast<double *>(std::aligned_alloc(64, kMaxElems * sizeof(double)));
        std::mt19937 rng(42);
        std::normal_distribution<float> nd(0.5f, 2.0f);
        for (size_t i = 0; i < kMaxElems; i++) {
            x[i] = nd(rng);
            r[i] = 0.5f * nd(rng);
            b[i] = 0.01f * nd(rng);
            gamma[i] = 1.0f + 0.01f * nd(rng);
            beta[i] = 0.01f * nd(rng);
            shift[i] = 0.5f;
            scale[i] = 0.5f;
            offset[i] = 0.01f * nd(rng);
            s1[i] = s2[i] = 0.0;
        }
    }
};

Buffers &buffers()
{
    static Buffers b;
    return b;
}

// ---- counters ------------------------------------------------------------

// bytes_per_second from the floats one call reads + writes, elems/s from
// the elements of x it takes.
void set_counters(benchmark::State &st, size_t floats_moved, size_t elems)
{
    const double it = (double)st.iterations();
    st.SetBytesProcessed((int64_t)((double)floats_moved * sizeof(float) * it));
    st.counters["elems/s"] = benchmark::Counter((double)elems * it, benchmark::Counter::kIsRate);
}

// ---- the runners: one per family ----------------------------------------

using K = simdnorm_kernels;
using State = benchmark::State;

// The span reductions: read n.
void run_moments_with(State &st, simdnorm_f32_moments_fn fn, const Span &s)
{
    Buffers &m = buffers();
    const float shift = simdnorm_head_shift(s.n, m.x);
    double out[2];
    for (auto _ : st) {
        fn(s.n, m.x, shift, out);
        benchmark::DoNotOptimize(out);
        benchmark::ClobberMemory();
    }
    set_counters(st, s.n, s.n);
}

void run_f32_moments(State &st, const K *k, const Span &s)
{
    run_moments_with(st, k->f32_moments, s);
}

// In cache the in-order form is slower than the interleaved one where the
// ISA interleaves rounds (AVX-512 moments, AVX2/AVX-512 sumsq).
void run_f32_moments_seq(State &st, const K *k, const Span &s)
{
    run_moments_with(st, k->f32_moments_seq, s);
}

void run_f32_moments_exact(State &st, const K *k, const Span &s)
{
    Buffers &m = buffers();
    const float shift = simdnorm_head_shift(s.n, m.x);
    double out[2];
    for (auto _ : st) {
        k->f32_moments_exact(s.n, m.x, shift, out);
        benchmark::DoNotOptimize(out);
        benchmark::ClobberMemory();
    }
    set_counters(st, s.n, s.n);
}

void run_sumsq_with(State &st, simdnorm_f32_sumsq_fn fn, const Span &s)
{
    Buffers &m = buffers();
    for (auto _ : st) {
        double ss = fn(s.n, m.x);
        benchmark::DoNotOptimize(ss);
    }
    set_counters(st, s.n, s.n);
}

void run_f32_sumsq(State &st, const K *k, const Span &s)
{
    run_sumsq_with(st, k->f32_sumsq, s);
}

void run_f32_sumsq_seq(State &st, const K *k, const Span &s)
{
    run_sumsq_with(st, k->f32_sumsq_seq, s);
}

void run_f32_sumsq_exact(State &st, const K *k, const Span &s)
{
    Buffers &m = buffers();
    for (auto _ : st) {
        double ss = k->f32_sumsq_exact(s.n, m.x);
        benchmark::DoNotOptimize(ss);
    }
    set_counters(st, s.n, s.n);
}

// The rows reductions: x (rows*n) and the shifts read, one (two) doubles
// per row written, a double counted as two floats.
void run_f32_moments_rows(State &st, const K *k, const Rows &s)
{
    Buffers &m = buffers();
    for (size_t r = 0; r < s.rows; r++)
        m.row_shift[r] = simdnorm_head_shift(s.n, m.x + r * s.n);
    for (auto _ : st) {
        k->f32_moments_rows(s.rows, s.n, m.x, s.n, m.row_shift, m.s1, m.s2);
        benchmark::ClobberMemory();
    }
    // x and shift read, s1 and s2 (doubles: 2 floats each) written
    set_counters(st, s.rows * s.n + s.rows + 4 * s.rows, s.elems());
}

void run_f32_sumsq_rows(State &st, const K *k, const Rows &s)
{
    Buffers &m = buffers();
    for (auto _ : st) {
        k->f32_sumsq_rows(s.rows, s.n, m.x, s.n, m.s1);
        benchmark::ClobberMemory();
    }
    set_counters(st, s.rows * s.n + 2 * s.rows, s.elems());
}

// The span normalize with gamma and beta, no activation: x, gamma, beta
// read, y written. The stream variant writes y with streaming stores (and
// fences) where the ISA has them - in cache, what that costs there.
void run_span_normalize(State &st, simdnorm_f32_normalize_fn fn, const Span &s)
{
    Buffers &m = buffers();
    for (auto _ : st) {
        fn(s.n, m.x, 0.5f, 0.5f, 0.01f, m.gamma, m.beta, SIMDNORM_ACT_NONE, m.y, nullptr);
        benchmark::ClobberMemory();
    }
    set_counters(st, 4 * s.n, s.n);
}

void run_f32_normalize(State &st, const K *k, const Span &s)
{
    run_span_normalize(st, k->f32_normalize, s);
}

void run_f32_normalize_stream(State &st, const K *k, const Span &s)
{
    run_span_normalize(st, k->f32_normalize_stream, s);
}

// The activation epilogue alone, GELU (erf): x read, y written.
void run_f32_activate(State &st, const K *k, const Span &s)
{
    Buffers &m = buffers();
    for (auto _ : st) {
        k->f32_activate(s.n, m.x, SIMDNORM_ACT_GELU_ERF, m.y);
        benchmark::ClobberMemory();
    }
    set_counters(st, 2 * s.n, s.n);
}

// The activation epilogue alone, one activation: x read, y written
// (f32_activate_act/<isa>/<act>/n:<n>; registered below).
void run_activate_act(State &st, const K *k, int act, size_t n)
{
    Buffers &m = buffers();
    for (auto _ : st) {
        k->f32_activate(n, m.x, act, m.y);
        benchmark::ClobberMemory();
    }
    set_counters(st, 2 * n, n);
}

// The residual add with residual and bias: x, r, b read, h written.
void run_f32_add(State &st, const K *k, const Span &s)
{
    Buffers &m = buffers();
    for (auto _ : st) {
        k->f32_add(s.n, m.x, m.r, m.b, m.y);
        benchmark::ClobberMemory();
    }
    set_counters(st, 4 * s.n, s.n);
}

// The channel reductions over one block: x read, s1 and s2 (doubles)
// written.
void run_f32_channel_moments(State &st, const K *k, const Channels &s)
{
    Buffers &m = buffers();
    for (auto _ : st) {
        k->f32_channel_moments(s.rows, s.channels, m.x, s.channels, 1, s.elems(), m.s1, m.s2);
        benchmark::ClobberMemory();
    }
    set_counters(st, s.elems() + 4 * s.channels, s.elems());
}

// The channel normalize, no activation: x and shift/scale/offset read, y
// written.
void run_channels_normalize(State &st, simdnorm_f32_normalize_channels_fn fn, const Channels &s)
{
    Buffers &m = buffers();
    for (auto _ : st) {
        fn(s.rows, s.channels, m.x, s.channels, m.shift, m.scale, m.offset, SIMDNORM_ACT_NONE, m.y);
        benchmark::ClobberMemory();
    }
    set_counters(st, 2 * s.elems() + 3 * s.channels, s.elems());
}

void run_f32_normalize_channels(State &st, const K *k, const Channels &s)
{
    run_channels_normalize(st, k->f32_normalize_channels, s);
}

void run_f32_normalize_channels_stream(State &st, const K *k, const Channels &s)
{
    run_channels_normalize(st, k->f32_normalize_channels_stream, s);
}

// The row engine: one job of all rows, plain stores, no activation, k the
// ISA's own table for the slow rows (which these data never take). LayerNorm
// reads x, gamma, beta and writes y, mean, rstd; RMSNorm reads x, gamma and
// writes y, rstd.
simdnorm_row_job row_job(const K *k, const Rows &s, int rms)
{
    Buffers &m = buffers();
    simdnorm_row_job j;
    std::memset(&j, 0, sizeof j);
    j.k = k;
    j.cols = s.n;
    j.x = m.x;
    j.gamma = m.gamma;
    j.beta = rms ? nullptr : m.beta;
    j.x_stride = s.n;
    j.y_stride = s.n;
    j.y = m.y;
    j.mean = rms ? nullptr : m.mean;
    j.rstd = m.rstd;
    j.eps = (double)1e-5f;
    j.inv_cols = 1.0 / (double)s.n;
    j.act = SIMDNORM_ACT_NONE;
    j.stream = 0;
    return j;
}

void run_f32_layer_norm_rows(State &st, const K *k, const Rows &s)
{
    const simdnorm_row_job j = row_job(k, s, 0);
    for (auto _ : st) {
        k->f32_layer_norm_rows(&j, 0, s.rows);
        benchmark::ClobberMemory();
    }
    set_counters(st, 2 * s.elems() + 2 * s.n + 2 * s.rows, s.elems());
}

void run_f32_rms_norm_rows(State &st, const K *k, const Rows &s)
{
    const simdnorm_row_job j = row_job(k, s, 1);
    for (auto _ : st) {
        k->f32_rms_norm_rows(&j, 0, s.rows);
        benchmark::ClobberMemory();
    }
    set_counters(st, 2 * s.elems() + s.n + s.rows, s.elems());
}

// The backward kernels (kernels.h "Backward"): dy = r, x, gamma; mean and
// rstd 0.5 (the shift/scale vectors). Sums read dy, x, gamma; dx reads
// them and writes dx.
void run_bwd_sums_with(State &st, simdnorm_f32_bwd_sums_fn fn, const Span &s)
{
    Buffers &m = buffers();
    double out[2];
    for (auto _ : st) {
        fn(s.n, m.r, m.x, m.gamma, 0.5f, 0.5f, out);
        benchmark::DoNotOptimize(out);
    }
    set_counters(st, 3 * s.n, s.n);
}

void run_f32_bwd_sums(State &st, const K *k, const Span &s)
{
    run_bwd_sums_with(st, k->f32_bwd_sums, s);
}

void run_f32_bwd_sums_seq(State &st, const K *k, const Span &s)
{
    run_bwd_sums_with(st, k->f32_bwd_sums_seq, s);
}

void run_bwd_dx_with(State &st, simdnorm_f32_bwd_dx_fn fn, const Span &s)
{
    Buffers &m = buffers();
    for (auto _ : st) {
        fn(s.n, m.r, m.x, m.gamma, 0.5f, 0.5f, 0.5f, 0.01f, -0.01f, m.y);
        benchmark::ClobberMemory();
    }
    set_counters(st, 4 * s.n, s.n);
}
void run_f32_bwd_dx(State &st, const K *k, const Span &s)
{
    run_bwd_dx_with(st, k->f32_bwd_dx, s);
}
void run_f32_bwd_dx_stream(State &st, const K *k, const Span &s)
{
    run_bwd_dx_with(st, k->f32_bwd_dx_stream, s);
}

void run_bwd_channel_sums_with(State &st, simdnorm_f32_bwd_channel_sums_fn fn, const Channels &s)
{
    Buffers &m = buffers();
    for (auto _ : st) {
        fn(s.rows, s.channels, m.r, m.x, s.channels, m.shift, m.scale, m.s1, m.s2);
        benchmark::ClobberMemory();
    }
    set_counters(st, 2 * s.elems(), s.elems());
}

void run_f32_bwd_channel_sums(State &st, const K *k, const Channels &s)
{
    run_bwd_channel_sums_with(st, k->f32_bwd_channel_sums, s);
}

void run_f32_bwd_channel_sums_seq(State &st, const K *k, const Channels &s)
{
    run_bwd_channel_sums_with(st, k->f32_bwd_channel_sums_seq, s);
}

void run_bwd_dx_channels_with(State &st, simdnorm_f32_bwd_dx_channels_fn fn, const Channels &s)
{
    Buffers &m = buffers();
    for (auto _ : st) {
        fn(s.rows, s.channels, m.r, m.x, s.channels, m.shift, m.scale, m.scale, m.offset,
           m.offset, m.y);
        benchmark::ClobberMemory();
    }
    set_counters(st, 3 * s.elems(), s.elems());
}

void run_f32_bwd_dx_channels(State &st, const K *k, const Channels &s)
{
    run_bwd_dx_channels_with(st, k->f32_bwd_dx_channels, s);
}

void run_f32_bwd_dx_channels_stream(State &st, const K *k, const Channels &s)
{
    run_bwd_dx_channels_with(st, k->f32_bwd_dx_channels_stream, s);
}

// BatchNorm's 2-D tree: the level-3 nodes of all rows (8 at a time), x
// read, a node's means and M2s (doubles) written.
void run_f32_bn_rows_nodes(State &st, const K *k, const Channels &s)
{
    Buffers &m = buffers();
    for (auto _ : st) {
        for (size_t r = 0; r + 8 <= s.rows; r += 8)
            k->f32_bn_rows_nodes(3, s.channels, m.x + r * s.channels, s.channels, m.s1, m.s2);
        benchmark::ClobberMemory();
    }
    set_counters(st, s.elems() + s.rows / 8 * 4 * s.channels, s.elems());
}

// The backward's 2-D tree: the level-3 nodes of all rows, dy and x read.
void run_f32_bn_bwd_rows_nodes(State &st, const K *k, const Channels &s)
{
    Buffers &m = buffers();
    for (auto _ : st) {
        for (size_t r = 0; r + 8 <= s.rows; r += 8)
            k->f32_bn_bwd_rows_nodes(3, s.channels, m.r + r * s.channels, m.x + r * s.channels,
                                     s.channels, m.shift, m.scale, m.s1, m.s2);
        benchmark::ClobberMemory();
    }
    set_counters(st, 2 * s.elems() + s.rows / 8 * 4 * s.channels, s.elems());
}

// The tree's slot merge of n channels: two nodes read, one written.
void run_f64_chan_merge(State &st, const K *k, const Span &s)
{
    Buffers &m = buffers();
    for (auto _ : st) {
        k->f64_chan_merge(s.n, 0.5, 2.0, m.s1, m.s2, m.s1 + s.n, m.s2 + s.n);
        benchmark::ClobberMemory();
    }
    set_counters(st, 12 * s.n, s.n);
}

// The row-norm backward over all rows, dx and the dgamma/dbeta partials.
void run_f32_norm_bwd_rows(State &st, const K *k, const Rows &s)
{
    Buffers &m = buffers();
    simdnorm_bwd_job j;
    std::memset(&j, 0, sizeof j);
    j.cols = s.n;
    j.dy = m.r;
    j.x = m.x;
    j.gamma = m.gamma;
    j.mean = m.shift;
    j.rstd = m.scale;
    j.dy_stride = j.x_stride = j.dx_stride = s.n;
    j.dx = m.y;
    j.acc_g = m.s1;
    j.acc_b = m.s2;
    j.blk_g = m.offset; // scratch
    j.blk_b = m.row_shift;
    j.inv_cols = 1.0 / (double)s.n;
    for (auto _ : st) {
        k->f32_norm_bwd_rows(&j, 0, s.rows);
        benchmark::ClobberMemory();
    }
    set_counters(st, 3 * s.elems(), s.elems());
}

// 4K aliasing: f32_normalize of 1024 floats (gamma, beta) whose y starts
// `off` bytes after x modulo 4 KiB (x, y in one page-aligned block). A store
// of y followed by a load of x at the same address modulo 4 KiB looks
// dependent to the CPU; the normalize loop loads a block ahead of its stores
// (generic/normalize.h), so no offset should stand out.
void run_normalize_alias(State &st, const K *k, size_t off)
{
    static float *block = aligned_floats(3 * 4096);
    const size_t n = 1024;
    float *x = block, *y = block + 2048 + off / sizeof(float);
    Buffers &m = buffers();
    std::memcpy(x, m.x, n * sizeof(float));
    for (auto _ : st) {
        k->f32_normalize(n, x, 0.5f, 0.5f, 0.01f, m.gamma, m.beta, SIMDNORM_ACT_NONE, y, nullptr);
        benchmark::ClobberMemory();
    }
    set_counters(st, 4 * n, n);
}

// The row engine on 64 MiB of x (rows of n floats, y its own 64 MiB),
// with plain or streaming stores of y (job.stream 0 or 2), from memory (as
// dispatch/rows.c sets it for such calls): the measurements behind the
// streaming rule of dispatch/rows.c (engine_streams). Buffers are
// allocated (and pre-faulted) on first use.
void run_engine_dram(State &st, const K *k, size_t n, int rms, int stream)
{
    static float *x = nullptr, *y = nullptr;
    const size_t elems = (size_t)16 << 20, rows = elems / n;
    if (!x) {
        x = aligned_floats(elems);
        y = aligned_floats(elems);
        Buffers &m = buffers();
        for (size_t i = 0; i < elems; i++)
            x[i] = m.x[i % kMaxElems];
    }
    Buffers &m = buffers();
    const simdnorm_row_job j = {k, n, x, m.gamma, rms ? nullptr : m.beta, n, n, y, nullptr,
                                nullptr, 1e-5, 1.0 / (double)n, SIMDNORM_ACT_NONE, stream,
                                nullptr, nullptr, 1};
    for (auto _ : st) {
        (rms ? k->f32_rms_norm_rows : k->f32_layer_norm_rows)(&j, 0, rows);
        benchmark::ClobberMemory();
    }
    set_counters(st, 2 * rows * n, rows * n);
}

// ---- 16-bit storage families (kernels.h "16-bit storage") -----------------
// The bf16_/f16_ kernels on 16-bit copies of the float buffers (x, r, y
// narrowed once), counted in bytes: 16-bit elements move half a float's.
struct HalfBuffers {
    uint16_t *x, *r, *y;
    explicit HalfBuffers(simdnorm_bf16_narrow_fn narrow)
    {
        Buffers &m = buffers();
        x = static_cast<uint16_t *>(std::aligned_alloc(64, kMaxElems * sizeof(uint16_t)));
        r = static_cast<uint16_t *>(std::aligned_alloc(64, kMaxElems * sizeof(uint16_t)));
        y = static_cast<uint16_t *>(std::aligned_alloc(64, kMaxElems * sizeof(uint16_t)));
        narrow(kMaxElems, m.x, x);
        narrow(kMaxElems, m.r, r);
        narrow(kMaxElems, m.y, y);
    }
};

void set_counters_bytes(benchmark::State &st, size_t bytes, size_t elems)
{
    const double it = (double)st.iterations();
    st.SetBytesProcessed((int64_t)((double)bytes * it));
    st.counters["elems/s"] = benchmark::Counter((double)elems * it, benchmark::Counter::kIsRate);
}

#define KB_HALF_RUNNERS_(S)                                                                     \
    HalfBuffers &half_##S(const K *k)                                                           \
    {                                                                                           \
        static HalfBuffers b(k->S##_narrow);                                                    \
        return b;                                                                               \
    }                                                                                           \
    void run_##S##_widen(State &st, const K *k, const Span &s)                                  \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        for (auto _ : st) {                                                                     \
            k->S##_widen(s.n, h.x, buffers().y);                                                \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 6 * s.n, s.n);                                                   \
    }                                                                                           \
    void run_##S##_narrow(State &st, const K *k, const Span &s)                                 \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        for (auto _ : st) {                                                                     \
            k->S##_narrow(s.n, buffers().x, h.y);                                               \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 6 * s.n, s.n);                                                   \
    }                                                                                           \
    void run_##S##_normalize(State &st, const K *k, const Span &s)                              \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        Buffers &m = buffers();                                                                 \
        for (auto _ : st) {                                                                     \
            k->S##_normalize(s.n, h.x, 0.5f, 0.5f, 0.01f, m.gamma, m.beta, SIMDNORM_ACT_NONE,   \
                             h.y, nullptr);                                                     \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 12 * s.n, s.n);                                                  \
    }                                                                                           \
    void run_##S##_normalize_stream(State &st, const K *k, const Span &s)                       \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        Buffers &m = buffers();                                                                 \
        for (auto _ : st) {                                                                     \
            k->S##_normalize_stream(s.n, h.x, 0.5f, 0.5f, 0.01f, m.gamma, m.beta,               \
                                    SIMDNORM_ACT_NONE, h.y, nullptr);                           \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 12 * s.n, s.n);                                                  \
    }                                                                                           \
    void run_##S##_activate(State &st, const K *k, const Span &s)                               \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        for (auto _ : st) {                                                                     \
            k->S##_activate(s.n, h.x, SIMDNORM_ACT_GELU_ERF, h.y);                              \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 4 * s.n, s.n);                                                   \
    }                                                                                           \
    void run_##S##_add(State &st, const K *k, const Span &s)                                    \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        Buffers &m = buffers();                                                                 \
        for (auto _ : st) {                                                                     \
            k->S##_add(s.n, h.x, h.r, m.b, m.y);                                                \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 12 * s.n, s.n);                                                  \
    }                                                                                           \
    void run_##S##_rows(State &st, const K *k, const Rows &s, int rms)                          \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        simdnorm_row_job j = row_job(k, s, rms);                                                \
        j.x = nullptr;                                                                          \
        j.y = nullptr;                                                                          \
        j.xh = h.x;                                                                             \
        j.yh = h.y;                                                                             \
        for (auto _ : st) {                                                                     \
            (rms ? k->S##_rms_norm_rows : k->S##_layer_norm_rows)(&j, 0, s.rows);               \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 4 * s.elems(), s.elems());                                       \
    }                                                                                           \
    void run_##S##_layer_norm_rows(State &st, const K *k, const Rows &s)                        \
    {                                                                                           \
        run_##S##_rows(st, k, s, 0);                                                            \
    }                                                                                           \
    void run_##S##_rms_norm_rows(State &st, const K *k, const Rows &s)                          \
    {                                                                                           \
        run_##S##_rows(st, k, s, 1);                                                            \
    }                                                                                           \
    void run_##S##_norm_bwd_rows(State &st, const K *k, const Rows &s)                          \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        Buffers &m = buffers();                                                                 \
        simdnorm_bwd_job j;                                                                     \
        std::memset(&j, 0, sizeof j);                                                           \
        j.cols = s.n;                                                                           \
        j.dyh = h.r;                                                                            \
        j.xh = h.x;                                                                             \
        j.gamma = m.gamma;                                                                      \
        j.mean = m.shift;                                                                       \
        j.rstd = m.scale;                                                                       \
        j.dy_stride = j.x_stride = j.dx_stride = s.n;                                           \
        j.dxh = h.y;                                                                            \
        j.acc_g = m.s1;                                                                         \
        j.acc_b = m.s2;                                                                         \
        j.blk_g = m.offset; /* scratch */                                                       \
        j.blk_b = m.row_shift;                                                                  \
        j.inv_cols = 1.0 / (double)s.n;                                                         \
        for (auto _ : st) {                                                                     \
            k->S##_norm_bwd_rows(&j, 0, s.rows);                                                \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 6 * s.elems(), s.elems());                                       \
    }                                                                                           \
    void run_##S##_moments_rows(State &st, const K *k, const Rows &s)                           \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        Buffers &m = buffers();                                                                 \
        for (size_t r = 0; r < s.rows; r++)                                                     \
            m.row_shift[r] = 0.25f;                                                             \
        for (auto _ : st) {                                                                     \
            k->S##_moments_rows(s.rows, s.n, h.x, s.n, m.row_shift, m.s1, m.s2);                \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 2 * s.elems(), s.elems());                                       \
    }                                                                                           \
    void run_##S##_moments_seq(State &st, const K *k, const Span &s)                            \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        double out[2];                                                                          \
        for (auto _ : st) {                                                                     \
            k->S##_moments_seq(s.n, h.x, 0.25f, out);                                           \
            benchmark::DoNotOptimize(out);                                                      \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 2 * s.n, s.n);                                                   \
    }                                                                                           \
    void run_##S##_sumsq_with(State &st, simdnorm_##S##_sumsq_fn fn, const K *k, const Span &s) \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        for (auto _ : st) {                                                                     \
            double ss = fn(s.n, h.x);                                                           \
            benchmark::DoNotOptimize(ss);                                                       \
        }                                                                                       \
        set_counters_bytes(st, 2 * s.n, s.n);                                                   \
    }                                                                                           \
    void run_##S##_sumsq(State &st, const K *k, const Span &s)                                  \
    {                                                                                           \
        run_##S##_sumsq_with(st, k->S##_sumsq, k, s);                                           \
    }                                                                                           \
    void run_##S##_sumsq_seq(State &st, const K *k, const Span &s)                              \
    {                                                                                           \
        run_##S##_sumsq_with(st, k->S##_sumsq_seq, k, s);                                       \
    }                                                                                           \
    void run_##S##_channels(State &st, simdnorm_##S##_normalize_channels_fn fn, const K *k,     \
                            const Channels &s)                                                  \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        Buffers &m = buffers();                                                                 \
        for (auto _ : st) {                                                                     \
            fn(s.rows, s.channels, h.x, s.channels, m.shift, m.scale, m.offset,                 \
               SIMDNORM_ACT_NONE, h.y);                                                         \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 4 * s.elems() + 12 * s.channels, s.elems());                     \
    }                                                                                           \
    void run_##S##_bwd_sums_with(State &st, simdnorm_##S##_bwd_sums_fn fn, const K *k,          \
                                 const Span &s)                                                 \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        Buffers &m = buffers();                                                                 \
        double out[2];                                                                          \
        for (auto _ : st) {                                                                     \
            fn(s.n, h.r, h.x, m.gamma, 0.5f, 0.5f, out);                                        \
            benchmark::DoNotOptimize(out);                                                      \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 4 * s.n, s.n);                                                   \
    }                                                                                           \
    void run_##S##_bwd_sums(State &st, const K *k, const Span &s)                               \
    {                                                                                           \
        run_##S##_bwd_sums_with(st, k->S##_bwd_sums, k, s);                                     \
    }                                                                                           \
    void run_##S##_bwd_sums_seq(State &st, const K *k, const Span &s)                           \
    {                                                                                           \
        run_##S##_bwd_sums_with(st, k->S##_bwd_sums_seq, k, s);                                 \
    }                                                                                           \
    void run_##S##_bwd_dx_with(State &st, simdnorm_##S##_bwd_dx_fn fn, const K *k,               \
                               const Span &s)                                                   \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        Buffers &m = buffers();                                                                 \
        for (auto _ : st) {                                                                     \
            fn(s.n, h.r, h.x, m.gamma, 0.5f, 0.5f, 0.5f, 0.01f, -0.01f, h.y);                   \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 6 * s.n, s.n);                                                   \
    }                                                                                           \
    void run_##S##_bwd_dx(State &st, const K *k, const Span &s)                                 \
    {                                                                                           \
        run_##S##_bwd_dx_with(st, k->S##_bwd_dx, k, s);                                         \
    }                                                                                           \
    void run_##S##_bwd_dx_stream(State &st, const K *k, const Span &s)                          \
    {                                                                                           \
        run_##S##_bwd_dx_with(st, k->S##_bwd_dx_stream, k, s);                                  \
    }                                                                                           \
    void run_##S##_bwd_channel_sums_with(State &st, simdnorm_##S##_bwd_channel_sums_fn fn,      \
                                         const K *k, const Channels &s)                         \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        Buffers &m = buffers();                                                                 \
        for (auto _ : st) {                                                                     \
            fn(s.rows, s.channels, h.r, h.x, s.channels, m.shift, m.scale, m.s1, m.s2);         \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 4 * s.elems(), s.elems());                                       \
    }                                                                                           \
    void run_##S##_bwd_channel_sums(State &st, const K *k, const Channels &s)                   \
    {                                                                                           \
        run_##S##_bwd_channel_sums_with(st, k->S##_bwd_channel_sums, k, s);                     \
    }                                                                                           \
    void run_##S##_bwd_channel_sums_seq(State &st, const K *k, const Channels &s)               \
    {                                                                                           \
        run_##S##_bwd_channel_sums_with(st, k->S##_bwd_channel_sums_seq, k, s);                 \
    }                                                                                           \
    void run_##S##_bwd_dx_channels_with(State &st, simdnorm_##S##_bwd_dx_channels_fn fn,         \
                                        const K *k, const Channels &s)                          \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        Buffers &m = buffers();                                                                 \
        for (auto _ : st) {                                                                     \
            fn(s.rows, s.channels, h.r, h.x, s.channels, m.shift, m.scale, m.scale, m.offset,   \
               m.offset, h.y);                                                                  \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 6 * s.elems(), s.elems());                                       \
    }                                                                                           \
    void run_##S##_bwd_dx_channels(State &st, const K *k, const Channels &s)                    \
    {                                                                                           \
        run_##S##_bwd_dx_channels_with(st, k->S##_bwd_dx_channels, k, s);                       \
    }                                                                                           \
    void run_##S##_bwd_dx_channels_stream(State &st, const K *k, const Channels &s)             \
    {                                                                                           \
        run_##S##_bwd_dx_channels_with(st, k->S##_bwd_dx_channels_stream, k, s);                \
    }                                                                                           \
    void run_##S##_channel_moments(State &st, const K *k, const Channels &s)                    \
    {                                                                                           \
        HalfBuffers &h = half_##S(k);                                                           \
        Buffers &m = buffers();                                                                 \
        for (auto _ : st) {                                                                     \
            k->S##_channel_moments(s.rows, s.channels, h.x, s.channels, 1, s.elems(), m.s1, m.s2); \
            benchmark::ClobberMemory();                                                         \
        }                                                                                       \
        set_counters_bytes(st, 2 * s.elems(), s.elems());                                       \
    }                                                                                           \
    void run_##S##_normalize_channels(State &st, const K *k, const Channels &s)                 \
    {                                                                                           \
        run_##S##_channels(st, k->S##_normalize_channels, k, s);                                \
    }                                                                                           \
    void run_##S##_normalize_channels_stream(State &st, const K *k, const Channels &s)          \
    {                                                                                           \
        run_##S##_channels(st, k->S##_normalize_channels_stream, k, s);                         \
    }
KB_HALF_RUNNERS_(bf16)
KB_HALF_RUNNERS_(f16)

// ---- registration ----------------------------------------------------------

// One benchmark per shape of the runner's kind (deduced from its type).
template <class Shape>
void register_family(const char *family, const char *isa, const K *k,
                     void (*run)(State &, const K *, const Shape &))
{
    for (const Shape &s : Shape::all()) {
        const std::string name = std::string(family) + "/" + isa + "/" + s.name();
        benchmark::RegisterBenchmark(name.c_str(), [run, k, s](State &st) { run(st, k, s); });
    }
}

void register_all()
{
    // The ISAs compiled in (isa_list.h), in the list's order, then those
    // this CPU/OS runs.
#define KB_ISA_(E, tok, P, level) SIMDNORM_IF_##E(SIMDNORM_ISA_##E, )
    static const simdnorm_isa isas[] = {SIMDNORM_ISAS(KB_ISA_)};
#undef KB_ISA_
    // Family-major, so that a family's ISAs sit next to each other. An ISA
    // that takes a family from its parent's table (isa_list.h) has nothing
    // of its own to time there: each kernel is registered once, under the
    // first ISA whose table has it.
#define KB_FAMILY_(isa_tok, f)                                                  \
    {                                                                           \
        std::set<void (*)()> seen;                                              \
        for (simdnorm_isa isa : isas) {                                         \
            const K *k = simdnorm_kernels_for(isa);                             \
            if (k && simdnorm_isa_available(isa) &&                             \
                seen.insert(reinterpret_cast<void (*)()>(k->f)).second)         \
                register_family(#f, simdnorm_isa_name(isa), k, &run_##f);       \
        }                                                                       \
    }
    SIMDNORM_KERNEL_FAMILIES(KB_FAMILY_, ~)
#undef KB_FAMILY_
    // The float32 engine, activations and normalize: once per ISA whose
    // table has them of its own (not avx512bf16, which has avx512's).
    std::set<void (*)()> f32_seen;
    for (simdnorm_isa isa : isas) {
        const K *k = simdnorm_kernels_for(isa);
        if (!k || !simdnorm_isa_available(isa) ||
            !f32_seen.insert(reinterpret_cast<void (*)()>(k->f32_layer_norm_rows)).second)
            continue;
        for (int rms = 0; rms <= 1; rms++)
            for (size_t n : {33, 64, 128, 256, 512, 768, 1000, 4096})
                for (int stream = 0; stream <= 2; stream += 2) {
                    const std::string name = std::string(rms ? "f32_rms_norm_rows" : "f32_layer_norm_rows") +
                                             "_dram/" + simdnorm_isa_name(isa) + "/n:" +
                                             std::to_string(n) + "/stream:" + std::to_string(stream);
                    benchmark::RegisterBenchmark(name.c_str(), [k, n, rms, stream](State &st) {
                        run_engine_dram(st, k, n, rms, stream);
                    })->UseRealTime();
                }
        static const struct {
            const char *name;
            int act;
        } acts[] = {{"relu", SIMDNORM_ACT_RELU},
                    {"gelu_erf", SIMDNORM_ACT_GELU_ERF},
                    {"gelu_tanh", SIMDNORM_ACT_GELU_TANH},
                    {"silu", SIMDNORM_ACT_SILU}};
        for (const auto &a : acts)
            for (size_t n : {768, 4096}) {
                const std::string name = std::string("f32_activate_act/") +
                                         simdnorm_isa_name(isa) + "/" + a.name + "/n:" +
                                         std::to_string(n);
                const int act = a.act;
                benchmark::RegisterBenchmark(name.c_str(), [k, act, n](State &st) {
                    run_activate_act(st, k, act, n);
                });
            }
        for (size_t off : {0, 32, 64, 128, 256, 1024}) {
            const std::string name = std::string("f32_normalize_4k_alias/") +
                                     simdnorm_isa_name(isa) + "/n:1024/y_minus_x:" +
                                     std::to_string(off);
            benchmark::RegisterBenchmark(name.c_str(),
                                         [k, off](State &st) { run_normalize_alias(st, k, off); });
        }
    }
}

} // namespace

int main(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    register_all();
    benchmark::AddCustomContext("simdnorm_default_isa", simdnorm_isa_name(simdnorm_active_isa()));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
