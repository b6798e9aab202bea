#!/usr/bin/env bash
# icount.sh - dynamic instruction count of one LayerNorm call on aarch64
# (scalar vs NEON) under qemu-aarch64, since qemu cannot time NEON code.
# Needs the aarch64 cross build: meson setup build-arm --cross-file cross/aarch64-linux-gnu.ini
#   tools/qemu-icount/icount.sh [build-arm]
set -eu
cd "$(dirname "$0")"
lib=../../${1:-build-arm}/libsimdnorm.a
tmp=$(mktemp -d)
gcc -O2 -shared -fPIC icount.c -o "$tmp/libicount.so"
aarch64-linux-gnu-gcc -O2 -static -I../../include lncall.c "$lib" -lm -lpthread -o "$tmp/lncall"
count() { qemu-aarch64 -plugin "$tmp/libicount.so" -d plugin "$tmp/lncall" "$@" 2>&1 | sed -n 's/^insns: //p'; }
for cols in 768 4096; do
  for isa in scalar neon; do
    for affine in "" affine; do
      one=$(count "$cols" 1 "$isa" $affine)
      many=$(count "$cols" 101 "$isa" $affine)
      echo "cols=$cols isa=$isa gamma/beta=${affine:-no}: $(( (many - one) / 100 )) instructions per call"
    done
  done
done
rm -rf "$tmp"
