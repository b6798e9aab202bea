// bench.cc - simdnorm's benchmark harness (Google Benchmark): every public
// operation on every ISA this machine runs, across batch and feature sizes,
// beside a memcpy of the same bytes timed in the same run (counter `frac`)
// and, when built with it, oneDNN on the same shapes (single thread).
//
//   simdnorm-bench [--full] [--threads=N] [Google Benchmark flags]
// --full sweeps more sizes; filter with --benchmark_filter=<regex> on names
// like "layer_norm/avx512/cols:768/x:4MiB" (see README).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "simdnorm.h"
#include "bench_ops.h"

namespace {

// One pool of pre-faulted buffers for every benchmark: a first touch of a
// page costs ~10 us here, so nothing is allocated or touched fresh per call.
struct Pool {
    float *x = nullptr, *y = nullptr, *g = nullptr, *b = nullptr;
    float *s1 = nullptr, *s2 = nullptr, *s3 = nullptr, *s4 = nullptr;
    size_t n = 0, vec = 0;
    void reserve(size_t elems, size_t vec_elems)
    {
        if (elems <= n && vec_elems <= vec)
            return;
        n = std::max(n, elems);
        vec = std::max(vec, vec_elems);
        for (float **p : {&x, &y})
            *p = fresh(*p, n);
        for (float **p : {&g, &b, &s1, &s2, &s3, &s4})
            *p = fresh(*p, vec);
        std::mt19937 rng(42);
        std::normal_distribution<float> nd(0.5f, 2.0f);
        for (size_t i = 0; i < n; i++)
            x[i] = nd(rng);
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

// memcpy of `bytes` (the bytes an op reads plus writes, split in half): best
// of several timed repetitions, measured once per size in this run.
std::map<size_t, double> memcpy_rate; // bytes (read + written) per second

double measure_memcpy(size_t bytes)
{
    auto it = memcpy_rate.find(bytes);
    if (it != memcpy_rate.end())
        return it->second;
    const size_t half = bytes / 2;
    pool.reserve(half / sizeof(float) + 1, 0);
    double best = 1e30;
    for (int trial = 0; trial < 7; trial++) {
        size_t reps = 0;
        const auto t0 = std::chrono::steady_clock::now();
        double elapsed;
        do {
            std::memcpy(pool.y, pool.x, half);
            benchmark::ClobberMemory();
            reps++;
            elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        } while (elapsed < 0.01);
        best = std::min(best, elapsed / (double)reps);
    }
    return memcpy_rate[bytes] = (double)bytes / best;
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
// throughput / same-run memcpy throughput of the same bytes.
void set_counters(benchmark::State &st, const simdnorm_bench::Shape &s)
{
    const double bytes = (double)s.bytes_moved();
    st.SetBytesProcessed((int64_t)(bytes * (double)st.iterations()));
    st.SetItemsProcessed((int64_t)((double)s.elements() * (double)st.iterations()));
    st.counters["frac"] = benchmark::Counter(bytes * (double)st.iterations() /
                                                 measure_memcpy(s.bytes_moved()),
                                             benchmark::Counter::kIsRate);
}

void register_all(bool full)
{
    using namespace simdnorm_bench;
    std::vector<simdnorm_isa> isas;
    for (simdnorm_isa i : {SIMDNORM_ISA_SCALAR, SIMDNORM_ISA_AVX2, SIMDNORM_ISA_AVX512, SIMDNORM_ISA_NEON})
        if (simdnorm_isa_available(i))
            isas.push_back(i);

    // Every buffer at its final size before anything keeps a pointer to it
    // (the oneDNN memory objects do).
    size_t max_elems = 0, max_vec = 0;
    for (const Shape &s : shapes(full)) {
        max_elems = std::max(max_elems, s.elements());
        max_vec = std::max(max_vec, s.vector_len());
    }
    pool.reserve(max_elems, max_vec);

    for (const Shape &s : shapes(full)) {
        const size_t x_bytes = s.elements() * sizeof(float);
        const std::string tail = "/" + s.label() + "/x:" + size_label(x_bytes);

        benchmark::RegisterBenchmark(("memcpy" + tail).c_str(), [s](benchmark::State &st) {
            const size_t half = s.bytes_moved() / 2;
            for (auto _ : st) {
                std::memcpy(pool.y, pool.x, half);
                benchmark::ClobberMemory();
            }
            set_counters(st, s);
        });
        for (simdnorm_isa isa : isas) {
            if (isa == SIMDNORM_ISA_SCALAR && !full && x_bytes > (4u << 20))
                continue; // scalar at DRAM sizes only in the full sweep
            const std::string name = std::string(op_name(s.op)) + "/" + simdnorm_isa_name(isa) + tail;
            benchmark::RegisterBenchmark(name.c_str(), [s, isa](benchmark::State &st) {
                simdnorm_set_isa(isa);
                const Buffers buf{pool.x, pool.y, pool.g, pool.b, pool.s1, pool.s2, pool.s3, pool.s4};
                for (auto _ : st) {
                    if (run_simdnorm(s, buf) != SIMDNORM_OK) {
                        st.SkipWithError("simdnorm call failed");
                        break;
                    }
                    benchmark::ClobberMemory();
                }
                set_counters(st, s);
            });
        }
#ifdef SIMDNORM_BENCH_ONEDNN
        // The primitive is built inside the benchmark, right before it runs:
        // oneDNN 2.6 crashed in JIT code when many primitives were built up
        // front and run later (its global scratchpad, presumably).
        if (has_onednn(s)) {
            benchmark::RegisterBenchmark((std::string("onednn_") + op_name(s.op) + tail).c_str(),
                                         [s](benchmark::State &st) {
                                             const auto peer = make_onednn(s, Buffers{pool.x, pool.y, pool.g, pool.b, pool.s1, pool.s2, pool.s3, pool.s4});
                                             for (auto _ : st) {
                                                 peer();
                                                 benchmark::ClobberMemory();
                                             }
                                             set_counters(st, s);
                                         });
        }
#endif
    }
}

} // namespace

int main(int argc, char **argv)
{
    bool full = false;
    std::vector<char *> args;
    for (int i = 0; i < argc; i++) {
        if (std::strcmp(argv[i], "--full") == 0)
            full = true;
        else
            args.push_back(argv[i]);
    }
    int n = (int)args.size();
    benchmark::Initialize(&n, args.data());
    register_all(full);
    benchmark::AddCustomContext("simdnorm_default_isa", simdnorm_isa_name(simdnorm_active_isa()));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
