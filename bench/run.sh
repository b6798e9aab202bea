#!/usr/bin/env bash
# run.sh - the main job: installs what is missing (Debian 12), builds in
# release mode, runs the benchmark sweep (single thread), writes the Google
# Benchmark JSON, prints a table of GB/s, frac (vs the same-run copy limit: the
# faster of memcpy and a streaming copy) and ratio to oneDNN, a summary against
# the performance goals, and renders a PNG plot.
#   bench/run.sh [--full] [any simdnorm-bench / Google Benchmark flag]
# e.g. --benchmark_filter=-bwd leaves out the backward ops (a third of the
# default run), --benchmark_filter=bwd runs only them.
# Output: build-bench/bench.json, build-bench/bench.png
set -eu
cd "$(dirname "$0")/.."
bash tools/install-deps.sh bench
if [ ! -f build-bench/build.ninja ]; then
  meson setup build-bench --buildtype=release -Dtests=false >/dev/null
fi
ninja -C build-bench >/dev/null
./build-bench/tools/simdnorm-info
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
./build-bench/bench/simdnorm-bench --benchmark_min_time=0.15 \
  --benchmark_out=build-bench/bench.json --benchmark_out_format=json "$@" >/dev/null
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3 # Debian's, which has python3-matplotlib
"$PY" bench/report.py build-bench/bench.json --png build-bench/bench.png
