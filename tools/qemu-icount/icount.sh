#!/usr/bin/env bash
# icount.sh - dynamic instruction count of one LayerNorm call on aarch64
# (scalar vs NEON) under qemu-aarch64, since qemu cannot time NEON code;
# ROWS=16 counts a call of 16 rows (per row).
# Needs the aarch64 cross build: meson setup build-arm --cross-file cross/aarch64-linux-gnu.ini
#   tools/qemu-icount/icount.sh [build-arm | /absolute/build/dir]
set -eu
cd "$(dirname "$0")"
build=${1:-build-arm}
case "$build" in /*) lib=$build/libsimdnorm.a ;; *) lib=../../$build/libsimdnorm.a ;; esac
tmp=$(mktemp -d)
gcc -O2 -shared -fPIC icount.c -o "$tmp/libicount.so"
# dynamically linked: the guest loads the cross libc next to the cross ld.so
# (as cross/aarch64-linux-gnu.ini)
aarch64-linux-gnu-gcc -O2 -I../../include lncall.c "$lib" -fopenmp -lm -lpthread -o "$tmp/lncall"
count() {
  qemu-aarch64 -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib:/usr/lib/aarch64-linux-gnu \
    -plugin "$tmp/libicount.so" -d plugin "$tmp/lncall" "$@" 2>&1 | sed -n 's/^insns: //p'
}
for cols in 768 4096; do
  for isa in scalar neon; do
    for affine in "" affine; do
      one=$(count "$cols" 1 "$isa" $affine)
      many=$(count "$cols" 101 "$isa" $affine)
      echo "rows=${ROWS:-1} cols=$cols isa=$isa gamma/beta=${affine:-no}: $(( (many - one) / 100 / ${ROWS:-1} )) instructions per row"
    done
  done
done
rm -rf "$tmp"
