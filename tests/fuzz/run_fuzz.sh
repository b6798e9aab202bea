#!/usr/bin/env bash
# run_fuzz.sh - libFuzzer for a bounded time, starting from the committed
# seed corpus (copied: new inputs go to a temporary directory, never into the
# source tree). A crash input is kept in <artifact dir> to reproduce with
#   <fuzzer> <artifact dir>/crash-...   (or fuzz_replay on any build)
#   run_fuzz.sh <fuzzer> <seed corpus> <seconds> <artifact dir>
set -u
fuzzer=$1 seeds=$2 seconds=$3 artifacts=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"
cp "$seeds"/* "$work"/
# -error_exitcode=1: libFuzzer's default, 77, is what meson reads as "skipped".
"$fuzzer" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -max_len=4096 \
  -error_exitcode=1 -timeout_exitcode=1 \
  -use_value_profile=1 -print_final_stats=1 -artifact_prefix="$artifacts/" "$work"
