// bench.cc - simdnorm's benchmark harness (Google Benchmark): every public
// operation on every ISA this machine runs, across batch and feature sizes,
// beside a memcpy of the same bytes timed in the same run (counter `frac`)
// and, when built with it, oneDNN on the same shapes (single thread).
//
//   simdnorm-bench [--full] [--threads=1,2,...] [Google Benchmark flags]
// --full sweeps more sizes; --threads runs every benchmark with each thread
// count (simdnorm_set_num_threads, oneDNN's OpenMP threads, and a memcpy
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

namespace {

// One pool of pre-faulted buffers for every benchmark: a first touch of a
// page costs ~10 us here, so nothing is allocated or touched fresh per call.
struct Pool {
    float *x = nullptr, *y = nullptr, *g = nullptr, *b = nullptr;
    float *s1 = nullptr, *s2 = nullptr, *s3 = nullptr, *s4 = nullptr;
    float *r = nullptr;
    size_t n = 0, vec = 0;
    void reserve(size_t elems, size_t vec_elems)
    {
        if (elems <= n && vec_elems <= vec)
            return;
        n = std::max(n, elems);
        vec = std::max(vec, vec_elems);
        for (float **p : {&x, &y, &r})
            *p = fresh(*p, n);
        for (float **p : {&g, &b, &s1, &s2, &s3, &s4})
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

// Copy `half` bytes from x to y with `threads` threads, each a contiguous
// slice (the roofline the ops are compared to at the same thread count).
void copy(size_t half, int threads)
{
    if (threads <= 1) {
        std::memcpy(pool.y, pool.x, half);
        return;
    }
    const char *src = reinterpret_cast<const char *>(pool.x);
    char *dst = reinterpret_cast<char *>(pool.y);
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
    for (int t = 0; t < threads; t++) {
        const size_t a = half * (size_t)t / (size_t)threads, b = half * (size_t)(t + 1) / (size_t)threads;
        std::memcpy(dst + a, src + a, b - a);
    }
}

// memcpy of `bytes` (the bytes an op reads plus writes, split in half) with
// `threads` threads: best of several timed repetitions, measured once per
// size and thread count in this run.
std::map<std::pair<size_t, int>, double> memcpy_rate; // bytes (read + written) per second

double measure_memcpy(size_t bytes, int threads)
{
    auto it = memcpy_rate.find({bytes, threads});
    if (it != memcpy_rate.end())
        return it->second;
    const size_t half = bytes / 2;
    double best = 1e30;
    for (int trial = 0; trial < 7; trial++) {
        size_t reps = 0;
        const auto t0 = std::chrono::steady_clock::now();
        double elapsed;
        do {
            copy(half, threads);
            benchmark::ClobberMemory();
            reps++;
            elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        } while (elapsed < 0.01);
        best = std::min(best, elapsed / (double)reps);
    }
    return memcpy_rate[{bytes, threads}] = (double)bytes / best;
}

std::string size_label(size_t bytes)
{
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
        return std::to_string(bytes >> 20) + "MiB";
    if (bytes >= 1024 && bytes % 1024 == 0)
        return std::to_string(bytes >> 10) + "KiB";
    return std::to_string(bytes) + "B";
}

// The common counters: bytes/s (x read + y written), elements/s, and frac =
// throughput / same-run memcpy throughput of the same bytes. Every benchmark
// uses real time (UseRealTime): with threads, the main thread's CPU time
// would not count the workers'.
void set_counters(benchmark::State &st, const simdnorm_bench::Shape &s, int threads)
{
    const double bytes = (double)s.bytes_moved();
    st.SetBytesProcessed((int64_t)(bytes * (double)st.iterations()));
    st.SetItemsProcessed((int64_t)((double)s.elements() * (double)st.iterations()));
    st.counters["frac"] = benchmark::Counter(bytes * (double)st.iterations() /
                                                 measure_memcpy(s.bytes_moved(), threads),
                                             benchmark::Counter::kIsRate);
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
    for (simdnorm_isa i : {SIMDNORM_ISA_SCALAR, SIMDNORM_ISA_AVX2, SIMDNORM_ISA_AVX512, SIMDNORM_ISA_NEON})
        if (simdnorm_isa_available(i))
            isas.push_back(i);

    // Every buffer at its final size before anything keeps a pointer to it
    // (the oneDNN memory objects do).
    size_t max_elems = 0, max_vec = 0;
    for (const Shape &s : shapes(full)) {
        // the memcpy roofline copies bytes_moved / 2 from x to y
        max_elems = std::max({max_elems, s.elements(), s.bytes_moved() / (2 * sizeof(float))});
        max_vec = std::max(max_vec, s.vector_len());
    }
    pool.reserve(max_elems, max_vec);

    for (int threads : thread_counts)
    for (const Shape &s : shapes(full)) {
        const size_t x_bytes = s.elements() * sizeof(float);
        const std::string tail = "/" + s.label() + "/x:" + size_label(x_bytes) +
                                 "/threads:" + std::to_string(threads);

        // one memcpy per shape label (LayerNorm and RMSNorm share theirs)
        if (memcpy_registered.insert(tail).second) {
            benchmark::RegisterBenchmark(("memcpy" + tail).c_str(), [s, threads](benchmark::State &st) {
                const size_t half = s.bytes_moved() / 2;
                for (auto _ : st) {
                    copy(half, threads);
                    benchmark::ClobberMemory();
                }
                set_counters(st, s, threads);
            })->UseRealTime();
        }
        for (simdnorm_isa isa : isas) {
            if (isa == SIMDNORM_ISA_SCALAR && !full && x_bytes > (4u << 20))
                continue; // scalar at DRAM sizes only in the full sweep
            const std::string name = std::string(op_name(s.op)) + "/" + simdnorm_isa_name(isa) + tail;
            benchmark::RegisterBenchmark(name.c_str(), [s, isa, threads](benchmark::State &st) {
                simdnorm_set_isa(isa);
                use_threads(threads);
                const Buffers buf{pool.x, pool.y, pool.g, pool.b, pool.s1, pool.s2, pool.s3, pool.s4, pool.r};
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
                                             const auto peer = make_onednn(s, Buffers{pool.x, pool.y, pool.g, pool.b, pool.s1, pool.s2, pool.s3, pool.s4, pool.r});
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
