#!/usr/bin/env bash
# run_all.sh - the whole test suite: installs what is missing, builds, runs
# every test - native ISAs, qemu-x86_64 as Nehalem (no AVX2) and Haswell (no
# AVX-512), the aarch64 cross build (scalar, NEON) under qemu-aarch64, the
# native build again under ASan+UBSan (gcc and clang), the thread test under
# TSan, 60 s of libFuzzer, and the Python package's pytest - and closes
# with one line "N passed, N failed, N skipped" counting the test cases of
# every build and of pytest; exits non-zero on any
# failure. docs/SHIPPING.md lists the builds and how to run one alone.
set -u
cd "$(dirname "$0")/.."
bash tools/install-deps.sh test || exit 1
echo "stage install: $SECONDS s"

logs=()
# The sanitizer builds compile the kernels of the ISAs this CPU runs: on a
# CPU without AVX-512 (F, BW, DQ, VL) its kernels can never execute here, and
# compiled under the sanitizers' instrumentation they were a third of those
# builds (the plain build keeps every ISA: its qemu, dispatch and skip
# tests need them).
san_isas=()
for f in avx512f avx512bw avx512dq avx512vl; do
  grep -qw "$f" /proc/cpuinfo 2>/dev/null || { san_isas=(-Davx512=disabled); break; }
done
run_suite() { # <build dir> <meson setup args...>; $TEST_ARGS: meson test args
  local dir=$1 t0=$SECONDS t1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" --buildtype=release "$@" >"$dir.setup.log" 2>&1 ||
      { cat "$dir.setup.log"; echo "0 passed, 1 failed"; exit 1; }
  fi
  ninja -C "$dir" >/dev/null || { ninja -C "$dir"; echo "0 passed, 1 failed"; exit 1; }
  t1=$SECONDS
  meson test -C "$dir" --num-processes 2 --print-errorlogs ${TEST_ARGS:-} >/dev/null 2>&1
  logs+=("$dir/meson-logs/testlog.json")
  # the stage's wall time, for docs/SHIPPING.md's CI budget
  echo "stage $dir: $((SECONDS - t0)) s (setup and build $((t1 - t0)) s, tests $((SECONDS - t1)) s)"
}

run_suite build-test
run_suite build-test-aarch64 --cross-file cross/aarch64-linux-gnu.ini
# The native suite again under AddressSanitizer + UBSan (any report fails the
# test), without the qemu runs (sanitizers and qemu-user do not mix). -Og:
# gcc's ASan at -O3 spends 430 s of the 2-core VM compiling the unrolled
# kernels (one file 47 s), at -Og 150 s; the tests run as fast (115 s).
# Under ASan the engine's instantiations are out of line (lanes.h,
# OPT_INLINE): generic/rows.c compiled in half the time.
# UBSan's checks split between the two sanitizer builds where one check is
# most of a build's compile time: gcc's null check is two thirds of this
# build's (generic/rows.c AVX-512 alone 24.7 -> 10.6 s without it; the whole
# build 245 -> 158 s, Zen 4 VM), so it is left to the clang build below,
# which checks null everywhere; clang's pointer-overflow check at -O0 is
# (rows.c 12.0 -> 7.5 s, that build 132 -> 88 s) and stays here.
run_suite build-test-asan -Doptimization=g -Db_sanitize=address,undefined -Db_lundef=false \
  "-Dc_args=-fno-sanitize-recover=all -fno-sanitize=null" -Dtest_emulated=false -Dbench=disabled \
  "${san_isas[@]}"
# The thread test (racing first calls, ISA switches during calls) under
# ThreadSanitizer: any report fails it. Without the AVX-512 kernels on every
# CPU: the races it looks for are in the ISA-independent driver (splits,
# first-call init, the ISA switch), which scalar and AVX2 exercise as well,
# and the AVX-512 libraries were a third of its compile time.
TEST_ARGS="--suite threads" run_suite build-test-tsan -Doptimization=g -Db_sanitize=thread -Db_lundef=false \
  -Dtest_emulated=false -Dbench=disabled -Davx512=disabled
# clang: the libFuzzer target for fuzz_seconds (60) from the committed seed
# corpus, the library built with coverage and ASan+UBSan for it, and the
# native suite once more under clang's sanitizers - without the shape sweeps
# (suite 'sweep': 141 s of this build's test time; the gcc build above runs
# them under ASan). -O0: clang's ASan+coverage at -O3 takes 610 s to compile
# (72 s for one kernel file), at -O0 60 s; the tests then run 3-7x slower,
# so they take their smaller shape sets (SIMDNORM_TEST_EMULATED, as under
# qemu). -O0 is also the build that evaluates everything in source order:
# it found GroupNorm dividing before entering the FP environment (4e4be31).
# And the build whose frames are largest (every forced-inline copy keeps its
# own stack slots): -fstack-usage, and the test stack-frames checks them.
# UBSan without pointer-overflow, which the gcc build checks (see there).
SIMDNORM_TEST_EMULATED=1 TEST_ARGS="--no-suite sweep" CC=clang run_suite build-test-fuzz -Doptimization=0 -Db_sanitize=address,undefined -Db_lundef=false \
  "-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fstack-usage -fno-sanitize=pointer-overflow" \
  -Dfuzz=enabled \
  -Dtest_emulated=false -Dbench=disabled "${san_isas[@]}"
# The Python package (README "Python"): pip builds it through meson-python
# into build-python/site with Debian's python3 (its NumPy and torch; the
# python3 first on PATH may be another one), and pytest runs tests/python;
# its JUnit XML enters the closing line. A failed build or a crashed pytest
# leaves no XML: one failed case.
# pip's build dir is build-pyext, a copy of build-test taken after its tests:
# meson-python reconfigures the copy with the package's options
# (pyproject.toml) and compiles only the extension module, against the
# kernels build-test compiled at the -O3 that ships (2-5 s; a build of its
# own compiled every kernel again, 89 s of the 2-core VM at -O1). The copy
# sits beside build-test because the compile commands name the sources
# relative to the build dir: at another depth every object would rebuild.
# meson-python 0.12 reconfigures a given build dir only when its native file
# .mesonpy-native-file.ini (written into the source tree) is unchanged, and
# otherwise runs a fresh setup, which fails on a configured dir: the file is
# written first as 0.12 writes it (later versions reconfigure any configured
# dir). Should that build fail, the package builds alone, afresh, in
# build-python/build (-O1: its tests check the binding; the bits do not
# depend on the level).
PY=/usr/bin/python3
py_t0=$SECONDS
mkdir -p build-python
rm -f build-python/pytest.xml
# bfloat16 arrays are ml_dtypes' type, which Debian 12 does not package: pip
# puts it into build-python/deps when PyPI is reachable (< 0.5: the last
# wheels built for NumPy 1.x, Debian's 1.24); without it the bfloat16 tests
# report themselves skipped.
[ -d build-python/deps/ml_dtypes ] ||
  $PY -m pip install --no-deps --target build-python/deps "ml_dtypes<0.5" >build-python/deps.log 2>&1 ||
  echo "ml_dtypes not installed (build-python/deps.log): the bfloat16 tests skip"
pip_build() { # <build dir> [meson setup arg]
  $PY -m pip install --no-build-isolation --no-deps --upgrade --target build-python/site \
    --config-settings=builddir="$1" ${2:+--config-settings=setup-args="$2"} . >build-python/pip.log 2>&1
}
rm -rf build-pyext && cp -a build-test build-pyext &&
  $PY -c 'import sys; open(".mesonpy-native-file.ini", "w").write(
    "\n[binaries]\npython = %r\n" % sys.executable)' &&
  pip_build build-pyext
pip_ok=$?
if [ $pip_ok -ne 0 ]; then
  echo "the package did not build from a copy of build-test (build-python/pip.log): building it alone"
  tail -n 20 build-python/pip.log
  rm -rf build-python/build .mesonpy-native-file.ini
  pip_build build-python/build -Doptimization=1
  pip_ok=$?
fi
if [ $pip_ok -eq 0 ]; then
  PYTHONPATH="$PWD/build-python/site:$PWD/build-python/deps" $PY -m pytest -q -p no:cacheprovider tests/python \
    --junitxml=build-python/pytest.xml >build-python/pytest.log 2>&1
else
  tail -n 40 build-python/pip.log
fi
logs+=("build-python/pytest.xml")
echo "stage build-python: $((SECONDS - py_t0)) s; $SECONDS s since the start"
python3 tests/summarize.py "${logs[@]}"
