// bench.cc - simdnorm's benchmark harness (Google Benchmark): every public
// operation on every ISA this machine runs, across batch and feature sizes,
// beside the copy limit of the same bytes timed in the same run - the faster
// of a memcpy and a copy with streaming (non-temporal) stores (counter `frac`;
// `frac_memcpy` is against the memcpy alone) - and, when built with it,
// oneDNN on the same shapes (single thread).
//
//   simdnorm-bench [--full] [--threads=1,2,...] [Google Benchmark flags]
// --full sweeps more sizes; --threads runs every benchmark with each thread
// count (simdnorm_set_num_threads, oneDNN's OpenMP threads, and both copies
// split over as many threads); filter with --benchmark_filter=<regex> on
// names like "layer_norm/avx512/cols:768/rows:85/x:256KiB/threads:1".
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "simdnorm.h"
#include "bench_ops.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h> // SSE2: baseline on x86-64, no -m flags needed
#define SIMDNORM_BENCH_STREAM 1
#endif

namespace {

// One pool of pre-faulted buffers for every benchmark: a first touch of a
// page costs ~10 us here, so nothing is allocated or touched fresh per call.
struct Pool {
    float *x = nullptr, *y = nullptr, *g = nullptr, *b = nullptr;
    float *s1 = nullptr, *s2 = nullptr, *s3 = nullptr, *s4 = nullptr;
    float *r = nullptr;
    float *mean = nullptr, *rstd = nullptr, *var = nullptr, *dg = nullptr, *db = nullptr;
    uint16_t *xbf16 = nullptr, *xf16 = nullptr, *yh = nullptr;
    size_t n = 0, vec = 0, nh = 0;
    // the 16-bit ops' buffers: x narrowed to bf16 and to f16 (the library's
    // conversions), y
    void reserve_half(size_t elems)
    {
        if (elems <= nh)
            return;
        nh = elems;
        for (uint16_t **p : {&xbf16, &xf16, &yh})
            *p = reinterpret_cast<uint16_t *>(fresh(reinterpret_cast<float *>(*p), (nh + 1) / 2));
        std::mt19937 rng(43);
        std::normal_distribution<float> nd(0.5f, 2.0f);
        std::vector<float> t(1 << 16);
        for (size_t i = 0; i < nh; i += t.size()) {
            const size_t m = std::min(t.size(), nh - i);
            for (size_t j = 0; j < m; j++)
                t[j] = nd(rng);
            simdnorm_convert_f32_to_bf16(m, t.data(), xbf16 + i);
            simdnorm_convert_f32_to_f16(m, t.data(), xf16 + i);
        }
    }
    void reserve(size_t elems, size_t vec_elems)
    {
        if (elems <= n && vec_elems <= vec)
            return;
        n = std::max(n, elems);
        vec = std::max(vec, vec_elems);
        for (float **p : {&x, &y, &r})
            *p = fresh(*p, n);
        for (float **p : {&g, &b, &s1, &s2, &s3, &s4, &mean, &rstd, &var, &dg, &db})
            *p = fresh(*p, vec);
        std::mt19937 rng(42);
        std::normal_distribution<float> nd(0.5f, 2.0f);
        for (size_t i = 0; i < n; i++) {
            x[i] = nd(rng);
            r[i] = 0.5f * nd(rng);
        }
        for (size_t i = 0; i < vec; i++) {
            g[i] = 1.0f + 0.01f * nd(rng);
            b[i] = 0.01f * nd(rng);
            s1[i] = 0.5f;
            s2[i] = 4.0f;
            s3[i] = 0.0f;
            s4[i] = 1.0f;
        }
    }
    simdnorm_bench::Buffers buffers() const
    {
        return {x, y, g, b, s1, s2, s3, s4, r, mean, rstd, var, dg, db, xbf16, xf16, yh};
    }
    static float *fresh(float *old, size_t elems)
    {
        std::free(old);
        const size_t bytes = (elems * sizeof(float) + 4095) / 4096 * 4096;
        auto *p = static_cast<float *>(std::aligned_alloc(4096, bytes));
        std::memset(p, 0, bytes); // pre-fault
        return p;
    }
};
Pool pool;

// Copy n bytes with streaming (non-temporal) stores: plain copies for the
// head up to dst's 16-byte alignment and for the tail, 8 x 16-byte streams
// (two cache lines) per iteration in between, then a store fence. On other
// architectures it is a memcpy.
void stream_copy_bytes(char *__restrict dst, const char *__restrict src, size_t n)
{
#ifdef SIMDNORM_BENCH_STREAM
    size_t head = (16 - ((uintptr_t)dst & 15)) & 15;
    if (head > n)
        head = n;
    std::memcpy(dst, src, head);
    dst += head;
    src += head;
    n -= head;
    const size_t body = n & ~(size_t)127;
    auto *d = reinterpret_cast<__m128i *>(dst);
    if (((uintptr_t)src & 15) == 0) {
        const auto *q = reinterpret_cast<const __m128i *>(src);
        for (size_t i = 0; i < body / 16; i += 8) {
            const __m128i v0 = _mm_load_si128(q + i + 0), v1 = _mm_load_si128(q + i + 1);
            const __m128i v2 = _mm_load_si128(q + i + 2), v3 = _mm_load_si128(q + i + 3);
            const __m128i v4 = _mm_load_si128(q + i + 4), v5 = _mm_load_si128(q + i + 5);
            const __m128i v6 = _mm_load_si128(q + i + 6), v7 = _mm_load_si128(q + i + 7);
            _mm_stream_si128(d + i + 0, v0);
            _mm_stream_si128(d + i + 1, v1);
            _mm_stream_si128(d + i + 2, v2);
            _mm_stream_si128(d + i + 3, v3);
            _mm_stream_si128(d + i + 4, v4);
            _mm_stream_si128(d + i + 5, v5);
            _mm_stream_si128(d + i + 6, v6);
            _mm_stream_si128(d + i + 7, v7);
        }
    } else {
        const auto *q = reinterpret_cast<const __m128i *>(src);
        for (size_t i = 0; i < body / 16; i += 8) {
            const __m128i v0 = _mm_loadu_si128(q + i + 0), v1 = _mm_loadu_si128(q + i + 1);
            const __m128i v2 = _mm_loadu_si128(q + i + 2), v3 = _mm_loadu_si128(q + i + 3);
            const __m128i v4 = _mm_loadu_si128(q + i + 4), v5 = _mm_loadu_si128(q + i + 5);
            const __m128i v6 = _mm_loadu_si128(q + i + 6), v7 = _mm_loadu_si128(q + i + 7);
            _mm_stream_si128(d + i + 0, v0);
            _mm_stream_si128(d + i + 1, v1);
            _mm_stream_si128(d + i + 2, v2);
            _mm_stream_si128(d + i + 3, v3);
            _mm_stream_si128(d + i + 4, v4);
            _mm_stream_si128(d + i + 5, v5);
            _mm_stream_si128(d + i + 6, v6);
            _mm_stream_si128(d + i + 7, v7);
        }
    }
    std::memcpy(dst + body, src + body, n - body);
    _mm_sfence();
#else
    std::memcpy(dst, src, n);
#endif
}

enum class CopyKind { Memcpy, Stream };

// Copy `half` bytes from x to y with `threads` threads, each a contiguous
// slice (the rooflines the ops are compared to at the same thread count).
void copy(size_t half, int threads, CopyKind kind = CopyKind::Memcpy)
{
    const char *src = reinterpret_cast<const char *>(pool.x);
    char *dst = reinterpret_cast<char *>(pool.y);
    auto one = [kind](char *d, const char *s, size_t n) {
        if (kind == CopyKind::Stream)
            stream_copy_bytes(d, s, n);
        else
            std::memcpy(d, s, n);
    };
    if (threads <= 1) {
        one(dst, src, half);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (int t = 0; t < threads; t++) {
        const size_t a = half * (size_t)t / (size_t)threads, b = half * (size_t)(t + 1) / (size_t)threads;
        one(dst + a, src + a, b - a);
    }
}

// The copy limit of `bytes` (the bytes an op reads plus writes) with
// `threads` threads: a copy of bytes / 2, which reads and writes as many
// bytes as the op moves - for the three-tensor ops (a residual; the
// backward's x and dy read, dx written) a copy of 1.5 tensors. Both a memcpy
// and a streaming copy, each the best of several timed repetitions (the two
// alternate, so drift hits both), measured once per size and thread count in
// this run. Rates are bytes (read + written) per second.
struct CopyLimit {
    double memcpy_rate, stream_rate;
    double best() const { return std::max(memcpy_rate, stream_rate); }
};
std::map<std::pair<size_t, int>, CopyLimit> copy_limit;

// Seconds per copy: repetitions for at least 10 ms, the clock read once per
// batch of about 64 KiB copied, so that reading it does not count in the
// time of a small copy.
double time_copy(size_t half, int threads, CopyKind kind)
{
    const size_t batch = std::max<size_t>(1, (size_t(64) << 10) / std::max<size_t>(half, 1));
    size_t reps = 0;
    const auto t0 = std::chrono::steady_clock::now();
    double elapsed;
    do {
        for (size_t i = 0; i < batch; i++) {
            copy(half, threads, kind);
            benchmark::ClobberMemory();
        }
        reps += batch;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } while (elapsed < 0.01);
    return elapsed / (double)reps;
}

const CopyLimit &measure_copy_limit(size_t bytes, int threads)
{
    auto it = copy_limit.find({bytes, threads});
    if (it != copy_limit.end())
        return it->second;
    const size_t half = bytes / 2;
    double best_memcpy = 1e30, best_stream = 1e30;
    for (int trial = 0; trial < 7; trial++) {
        best_memcpy = std::min(best_memcpy, time_copy(half, threads, CopyKind::Memcpy));
        best_stream = std::min(best_stream, time_copy(half, threads, CopyKind::Stream));
    }
    return copy_limit[{bytes, threads}] = CopyLimit{(double)bytes / best_memcpy, (double)bytes / best_stream};
}

std::string size_label(size_t bytes)
{
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
        return std::to_string(bytes >> 20) + "MiB";
    if (bytes >= 1024 && bytes % 1024 == 0)
        return std::to_string(bytes >> 10) + "KiB";
    return std::to_string(bytes) + "B";
}

// The common counters: bytes/s (x read + y written), elements/s, and
// frac = throughput / the same-run copy limit of the same bytes (the faster
// of memcpy and the streaming copy); frac_memcpy = throughput / memcpy alone
// (the older measure); limit_memcpy_gbs and limit_stream_gbs, the two copies'
// GB/s behind the limit; bytes, what one call moves. Every benchmark uses
// real time (UseRealTime): with threads, the main thread's CPU time would not
// count the workers'.
void set_counters(benchmark::State &st, const simdnorm_bench::Shape &s, int threads)
{
    const double bytes = (double)s.bytes_moved();
    const double total = bytes * (double)st.iterations();
    const CopyLimit &lim = measure_copy_limit(s.bytes_moved(), threads);
    st.SetBytesProcessed((int64_t)total);
    st.SetItemsProcessed((int64_t)((double)s.elements() * (double)st.iterations()));
    st.counters["frac"] = benchmark::Counter(total / lim.best(), benchmark::Counter::kIsRate);
    st.counters["frac_memcpy"] = benchmark::Counter(total / lim.memcpy_rate, benchmark::Counter::kIsRate);
    st.counters["limit_memcpy_gbs"] = lim.memcpy_rate / 1e9;
    st.counters["limit_stream_gbs"] = lim.stream_rate / 1e9;
    st.counters["bytes"] = bytes;
    st.counters["threads"] = threads;
}

void use_threads(int threads)
{
    simdnorm_set_num_threads(threads);
#ifdef _OPENMP
    omp_set_num_threads(threads); // oneDNN's parallel regions
#endif
}

void register_all(bool full, const std::vector<int> &thread_counts)
{
    std::set<std::string> memcpy_registered;
    using namespace simdnorm_bench;
    std::vector<simdnorm_isa> isas;
    // every ISA of the library's list (simdnorm_isa_name is "unknown" past it)
    for (int i = 0; std::strcmp(simdnorm_isa_name((simdnorm_isa)i), "unknown") != 0; i++)
        if (simdnorm_isa_available((simdnorm_isa)i))
            isas.push_back((simdnorm_isa)i);

    // Every buffer at its final size before anything keeps a pointer to it
    // (the oneDNN memory objects do).
    size_t max_elems = 0, max_vec = 0, max_half = 0;
    for (const Shape &s : shapes(full)) {
        // the copy rooflines copy bytes_moved / 2 from x to y
        max_elems = std::max({max_elems, is_half(s.op) ? 0 : s.elements(),
                              s.bytes_moved() / (2 * sizeof(float))});
        if (is_half(s.op))
            max_half = std::max(max_half, s.elements());
        max_vec = std::max(max_vec, s.vector_len());
    }
    pool.reserve(max_elems, max_vec);
    pool.reserve_half(max_half);

    for (int threads : thread_counts)
    for (const Shape &s : shapes(full)) {
        const size_t x_bytes = s.elements() * elem_size(s.op);
        const std::string tail = "/" + s.label() + "/x:" + size_label(x_bytes) +
                                 "/threads:" + std::to_string(threads);

        // one memcpy and one streaming copy per shape label (LayerNorm and
        // RMSNorm share theirs)
        if (memcpy_registered.insert(tail).second) {
            for (CopyKind kind : {CopyKind::Memcpy, CopyKind::Stream}) {
                const char *what = kind == CopyKind::Memcpy ? "memcpy" : "stream_copy";
                benchmark::RegisterBenchmark((what + tail).c_str(), [s, threads, kind](benchmark::State &st) {
                    const size_t half = s.bytes_moved() / 2;
                    for (auto _ : st) {
                        copy(half, threads, kind);
                        benchmark::ClobberMemory();
                    }
                    set_counters(st, s, threads);
                })->UseRealTime();
            }
        }
        for (simdnorm_isa isa : isas) {
            if (isa == SIMDNORM_ISA_SCALAR && !full && x_bytes > (4u << 20))
                continue; // scalar at DRAM sizes only in the full sweep
            if (isa == SIMDNORM_ISA_AVX512BF16 && !is_bf16(s.op))
                continue; // the same kernels as avx512's
            const std::string name = std::string(op_name(s.op)) + "/" + simdnorm_isa_name(isa) + tail;
            benchmark::RegisterBenchmark(name.c_str(), [s, isa, threads](benchmark::State &st) {
                simdnorm_set_isa(isa);
                use_threads(threads);
                const Buffers buf = op_buffers(s, pool.buffers());
                if (prepare_simdnorm(s, buf) != SIMDNORM_OK) {
                    st.SkipWithError("simdnorm forward (saved statistics) failed");
                    return;
                }
                for (auto _ : st) {
                    if (run_simdnorm(s, buf) != SIMDNORM_OK) {
                        st.SkipWithError("simdnorm call failed");
                        break;
                    }
                    benchmark::ClobberMemory();
                }
                set_counters(st, s, threads);
            })->UseRealTime();
        }
#ifdef SIMDNORM_BENCH_ONEDNN
        // The primitive is built inside the benchmark, right before it runs:
        // oneDNN 2.6 crashed in JIT code when many primitives were built up
        // front and run later (its global scratchpad, presumably).
        if (has_onednn(s)) {
            benchmark::RegisterBenchmark((std::string("onednn_") + op_name(s.op) + tail).c_str(),
                                         [s, threads](benchmark::State &st) {
                                             use_threads(threads);
                                             std::function<void()> peer;
                                             try {
                                                 peer = make_onednn(s, op_buffers(s, pool.buffers()));
                                             } catch (const std::exception &e) {
                                                 // oneDNN 2.6 runs bf16 only on AVX-512
                                                 // CPUs (avx512_core and up): elsewhere it
                                                 // finds no implementation; the report then
                                                 // leaves the oneDNN column empty
                                                 const std::string why =
                                                     is_half(s.op)
                                                         ? std::string("oneDNN has no bf16 ") +
                                                               op_name(s.op) + " on this CPU (" +
                                                               e.what() + ")"
                                                         : std::string(e.what());
                                                 st.SkipWithError(why.c_str());
                                                 return;
                                             }
                                             for (auto _ : st) {
                                                 peer();
                                                 benchmark::ClobberMemory();
                                             }
                                             set_counters(st, s, threads);
                                         })->UseRealTime();
        }
#endif
    }
}

} // namespace

int main(int argc, char **argv)
{
    bool full = false;
    std::vector<int> thread_counts = {1};
    std::vector<char *> args;
    for (int i = 0; i < argc; i++) {
        if (std::strcmp(argv[i], "--full") == 0) {
            full = true;
        } else if (std::strncmp(argv[i], "--threads=", 10) == 0) {
            thread_counts.clear();
            for (const char *p = argv[i] + 10; *p;) {
                char *end;
                const long t = std::strtol(p, &end, 10);
                if (end == p || t < 1) {
                    std::fprintf(stderr, "bad --threads list: %s\n", argv[i]);
                    return 2;
                }
                thread_counts.push_back((int)t);
                p = *end == ',' ? end + 1 : end;
            }
        } else {
            args.push_back(argv[i]);
        }
    }
    args.push_back(nullptr);
    int n = (int)args.size() - 1;
    benchmark::Initialize(&n, args.data());
    register_all(full, thread_counts);
    benchmark::AddCustomContext("simdnorm_default_isa", simdnorm_isa_name(simdnorm_active_isa()));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
