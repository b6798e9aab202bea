#!/usr/bin/env bash
# test_subproject.sh - examples/meson-consumer builds with simdnorm as a Meson
# subproject (subprojects/simdnorm a symlink to this source tree), through
# dependency('simdnorm', fallback : ...) and meson.override_dependency, and
# its program runs; simdnorm's own tests are not dragged into the consumer.
# The subproject is built with its scalar kernels only (its options set from
# the consumer's command line, as a consumer would): the Meson integration
# is what this checks, and the whole-ISA build costs minutes on 2 cores.
# At -Og: the kernels' forced inlining and unrolling compile slowest at -O0
# (the default buildtype's level; rows.c 7.5 s at -O0, 1.6 s at -Og), and
# the build took 111 s of CPU at -O0, 61 s at -Og.
#   test_subproject.sh <source dir>
set -u
src=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cases.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

configure() {
  cp -r "$src/examples/meson-consumer" "$tmp/consumer" &&
    mkdir "$tmp/consumer/subprojects" &&
    ln -s "$src" "$tmp/consumer/subprojects/simdnorm" &&
    meson setup "$tmp/build" "$tmp/consumer" --force-fallback-for=simdnorm \
      -Dsimdnorm:avx2=disabled -Dsimdnorm:avx512=disabled -Doptimization=g
}
case_run configure_with_subproject configure

# the subproject ran, and its meson.override_dependency answered
from_subproject() {
  grep -F "Executing subproject simdnorm" "$tmp/build/meson-logs/meson-log.txt" &&
    grep -E "Dependency simdnorm found: YES [0-9.]+ \(overridden\)" \
      "$tmp/build/meson-logs/meson-log.txt"
}
case_run dependency_from_subproject from_subproject

case_run build_consumer ninja -C "$tmp/build"

case_run run_consumer "$tmp/build/consumer"

only_consumer_tests() {
  local tests
  tests=$(meson test -C "$tmp/build" --no-rebuild --list 2>/dev/null) || return 1
  echo "$tests"
  [ "$(printf '%s\n' "$tests" | wc -l)" -eq 1 ]
}
case_run no_simdnorm_tests_in_consumer only_consumer_tests

case_summary
