#!/usr/bin/env bash
# install-deps.sh - installs the Debian 12 packages simdnorm's build, tests and
# benchmark need, only those missing. Usage: tools/install-deps.sh [test|bench|all]
set -eu
what=${1:-all}
pkgs="meson ninja-build gcc g++ pkg-config python3 qemu-user gcc-aarch64-linux-gnu g++-aarch64-linux-gnu"
case "$what" in
  test) pkgs="$pkgs libbenchmark-dev libdnnl-dev" ;;
  bench|all) pkgs="$pkgs libbenchmark-dev libdnnl-dev python3-matplotlib" ;;
  *) echo "usage: $0 [test|bench|all]" >&2; exit 2 ;;
esac
# SLEEF: the activation test's independent reference and act-exhaustive's
# old sequences (not the library's); the aarch64 cross build links the arm64
# package (multiarch, beside the amd64 one)
pkgs="$pkgs libsleef-dev"
case "$what" in
  test|all) pkgs="$pkgs libsleef-dev:arm64" ;;
esac
# the test command's memory checks (valgrind) and fuzzing (clang, libFuzzer);
# PyTorch for the backward passes' reference check (tests/torch; it reports
# SKIP without it). python3-torch is ~46 MB, but with its dependencies
# (libtorch, OpenCV, GDAL, Qt5 libraries) ~500 MB in 166 packages on Debian 12.
case "$what" in
  test|all) pkgs="$pkgs valgrind clang libclang-rt-dev python3-torch" ;;
esac
# Open MPI: the simdnorm_mpi library, its mpirun tests (tests/test_mpi.c) and
# examples/mpi; without it those are not built
case "$what" in
  test|all) pkgs="$pkgs libopenmpi-dev openmpi-bin" ;;
esac
# the Python package (python/, pyproject.toml): pip builds it through
# meson-python with Debian's python3 (headers, NumPy), pytest tests it
# (tests/python) against NumPy and python3-torch
case "$what" in
  test|all) pkgs="$pkgs python3-dev python3-pip python3-numpy python3-mesonpy python3-pytest" ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  case "$missing" in
    *:arm64*) dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64 ;;
  esac
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
