#!/usr/bin/env bash
# test_install.sh - meson install of the enclosing build into a staging
# directory (as a distribution packages it), then use the installed copy the
# way another project would: the files and SONAME, the pkg-config file, a C
# program (examples/c) linked shared and static, a C++ program, the installed
# simdnorm-info, and examples/meson-consumer finding simdnorm through
# pkg-config.
#   test_install.sh <source dir> <version> <build dir>
#   (CC, CXX: compilers; CXX may be empty)
# It installs the build the test runs in (already built: --no-rebuild)
# rather than building the library a second time (147 s of the suite on the
# 2-core VM with every ISA at -O1): the staged .pc files get the staging
# prefix as their prefix= line, the one line a relocated install changes.
set -u
src=$1 version=$2 build=$3
cc=${CC:-cc} cxx=${CXX:-}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cases.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage
major=${version%%.*}

# case_run runs its command in a subshell: the prefix is known beforehand
configured=$(meson introspect --buildoptions "$build" | python3 -c \
  'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
prefix=$stage$configured

stage_install() {
  local pcs f
  [ -n "$configured" ] || { echo "no prefix in $build"; return 1; }
  meson install -C "$build" --no-rebuild --destdir "$stage" || return 1
  pcs=$(find "$prefix" -name '*.pc')
  [ -n "$pcs" ] || { echo "no .pc file installed"; return 1; }
  for f in $pcs; do
    grep -qx "prefix=$configured" "$f" || { echo "$f: prefix is not $configured"; return 1; }
    sed -i "s|^prefix=.*|prefix=$prefix|" "$f" || return 1
  done
}
case_run meson_install_into_staging_dir stage_install

pc=$(find "$prefix" -name simdnorm.pc 2>/dev/null | head -n 1)
export PKG_CONFIG_PATH=${pc%/*}
libdir=$(pkg-config --variable=libdir simdnorm 2>/dev/null)

installed_files() {
  local f
  for f in "$prefix/include/simdnorm.h" "$libdir/libsimdnorm.a" "$libdir/libsimdnorm.so" \
    "$libdir/libsimdnorm.so.$major" "$libdir/libsimdnorm.so.$version" "$pc" \
    "$prefix/bin/simdnorm-info"; do
    [ -e "$f" ] || { echo "missing $f"; return 1; }
  done
  # the public header(s), nothing from dispatch/ or kernels/ (simdnorm_mpi.h
  # comes with the MPI library, built when MPI is found)
  local hdrs
  hdrs=$(ls "$prefix/include" | tr '\n' ' ')
  [ "$hdrs" = "simdnorm.h " ] || { [ "$hdrs" = "simdnorm.h simdnorm_mpi.h " ] &&
    [ -e "$libdir/libsimdnorm_mpi.so" ]; } || { echo "$hdrs"; return 1; }
}
case_run installed_files installed_files

soname_is_versioned() {
  readelf -d "$libdir/libsimdnorm.so.$version" | grep -F "Library soname: [libsimdnorm.so.$major]"
}
case_run soname_is_versioned soname_is_versioned

case_run pkg_config_modversion test "$(pkg-config --modversion simdnorm)" = "$version"

static_libs_listed() {
  local libs
  libs=$(pkg-config --static --libs simdnorm) || return 1
  echo "$libs"
  case " $libs " in *" -lsimdnorm "*) ;; *) return 1 ;; esac
  case " $libs " in *" -lm "*) ;; *) return 1 ;; esac
  case " $libs " in *" -pthread "*) ;; *) return 1 ;; esac
}
case_run pkg_config_static_libs static_libs_listed

c_program_shared() {
  # shellcheck disable=SC2046 # word splitting of the flags is meant
  $cc -std=c99 -Wall -Wextra -pedantic -Werror "$src/examples/c/main.c" -o "$tmp/example" \
    $(pkg-config --cflags --libs simdnorm) || return 1
  readelf -d "$tmp/example" | grep -F "Shared library: [libsimdnorm.so.$major]" || return 1
  local out
  out=$(LD_LIBRARY_PATH=$libdir "$tmp/example") || { echo "$out"; return 1; }
  echo "$out"
  case "$out" in "simdnorm $version "*) ;; *) return 1 ;; esac
}
case_run c_program_shared_via_pkg_config c_program_shared

c_program_static() {
  # libsimdnorm.a, and its private libraries (-lm -pthread) as usual
  local libs
  libs=$(pkg-config --static --libs simdnorm) || return 1
  libs=${libs/-lsimdnorm/-Wl,-Bstatic -lsimdnorm -Wl,-Bdynamic}
  # shellcheck disable=SC2046
  $cc -std=c99 -Wall -Wextra -pedantic -Werror "$src/examples/c/main.c" -o "$tmp/example-static" \
    $(pkg-config --cflags simdnorm) $libs || return 1
  if readelf -d "$tmp/example-static" | grep -F libsimdnorm; then return 1; fi
  "$tmp/example-static"
}
case_run c_program_static_via_pkg_config c_program_static

cxx_program() {
  # shellcheck disable=SC2046
  $cxx -std=c++11 -Wall -Wextra -pedantic -Werror "$here/consumer.cpp" -o "$tmp/consumer-cpp" \
    $(pkg-config --cflags --libs simdnorm) &&
    LD_LIBRARY_PATH=$libdir "$tmp/consumer-cpp"
}
if [ -n "$cxx" ]; then
  case_run cxx_program_via_pkg_config cxx_program
else
  case_skip cxx_program_via_pkg_config "no C++ compiler"
fi

case_run installed_simdnorm_info_json \
  bash -c '"$1" --json | python3 -m json.tool' _ "$prefix/bin/simdnorm-info"

meson_consumer_pkg_config() {
  cp -r "$src/examples/meson-consumer" "$tmp/consumer-src" &&
    meson setup "$tmp/consumer-build" "$tmp/consumer-src" --wrap-mode=nofallback &&
    grep -E "Run-time dependency simdnorm found: YES $version" \
      "$tmp/consumer-build/meson-logs/meson-log.txt" &&
    ninja -C "$tmp/consumer-build" &&
    LD_LIBRARY_PATH=$libdir "$tmp/consumer-build/consumer"
}
case_run meson_consumer_finds_installed_copy meson_consumer_pkg_config

mpi_program() {
  # examples/mpi through pkg-config simdnorm_mpi (which requires simdnorm
  # and ompi-c), on two ranks; the library exports exactly the functions its
  # installed header declares (the core linked into it stays hidden)
  local exported declared
  exported=$(nm -D --defined-only "$libdir/libsimdnorm_mpi.so" | awk '{print $3}' | sort | tr '\n' ' ')
  declared=$(grep -o 'simdnorm_sync_[a-z0-9_]*(' "$prefix/include/simdnorm_mpi.h" | tr -d '(' |
    sort -u | tr '\n' ' ')
  [ -n "$declared" ] && [ "$exported" = "$declared" ] ||
    { echo "exported: $exported"; echo "declared: $declared"; return 1; }
  # shellcheck disable=SC2046
  $cc -std=c99 -Wall -Wextra -Werror "$src/examples/mpi/train_step.c" -o "$tmp/train_step" \
    $(pkg-config --cflags --libs simdnorm_mpi) || return 1
  LD_LIBRARY_PATH=$libdir mpirun --oversubscribe --allow-run-as-root -np 2 \
    -x LD_LIBRARY_PATH -x OMP_NUM_THREADS=1 "$tmp/train_step"
}
if [ -e "$libdir/libsimdnorm_mpi.so" ] && command -v mpirun >/dev/null; then
  case_run mpi_program_via_pkg_config mpi_program
else
  case_skip mpi_program_via_pkg_config "simdnorm_mpi not built (no MPI)"
fi

case_summary
