#!/usr/bin/env python3
"""ab.py - a before/after comparison of two builds of libsimdnorm on one machine.

  python3 bench/ab.py BASE_LIBDIR NEW_LIBDIR REGEX [REPS] [--bench=PATH]

For every simdnorm-bench benchmark whose name matches REGEX, runs it alone
with LD_LIBRARY_PATH=BASE_LIBDIR, then NEW_LIBDIR, REPS times (default 3)
alternating, one OpenMP thread, and prints the best time of each and
new/base, then the geomean of new/base. The benchmark binary (default
build-bench/bench/simdnorm-bench, linked against the shared library: its
RUNPATH yields to LD_LIBRARY_PATH) is the same for both, so only the library
differs; alternating per benchmark keeps a noisy shared machine's drift out
of the ratio (two whole runs one after the other differed by 30 % here).
A BASE_LIBDIR is any build directory holding libsimdnorm.so.0, e.g. a clone
of the base commit built with `meson setup b && ninja -C b`.

BASE and NEW may instead be two benchmark executables, run as they are:
simdnorm-kernel-bench links the kernels statically, so its before/after is
the base build's binary against the new one's, e.g.
  python3 bench/ab.py b/bench/simdnorm-kernel-bench \
      build-bench/bench/simdnorm-kernel-bench 'f32_bwd_channel_sums/' 5
(the names are listed by NEW).
"""
import csv
import io
import math
import os
import re
import subprocess
import sys


def main(argv):
    args = [a for a in argv if not a.startswith('--bench=')]
    exe = next((a.split('=', 1)[1] for a in argv if a.startswith('--bench=')),
               os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'build-bench',
                            'bench', 'simdnorm-bench'))
    if len(args) < 3:
        sys.exit(__doc__)
    base, new, regex = args[0], args[1], args[2]
    reps = int(args[3]) if len(args) > 3 else 3
    def runner(side):
        """(binary, LD_LIBRARY_PATH) of a side: an executable file runs as
        it is, a directory is the library the default binary loads."""
        if os.path.isfile(side) and os.access(side, os.X_OK):
            return side, os.environ.get('LD_LIBRARY_PATH', '')
        return exe, side

    listed = subprocess.run([runner(new)[0], '--benchmark_list_tests'], capture_output=True,
                            text=True, check=True).stdout.split()
    names = [n for n in listed if re.search(regex, n)]
    if not names:
        sys.exit('no benchmark matches ' + regex)

    def best_of_one(side, name):
        binary, lib = runner(side)
        env = dict(os.environ, LD_LIBRARY_PATH=lib, OMP_NUM_THREADS='1')
        out = subprocess.run([binary, '--benchmark_filter=^' + re.escape(name) + '$',
                              '--benchmark_min_time=0.03', '--benchmark_format=csv'],
                             capture_output=True, text=True, env=env).stdout
        for row in csv.reader(io.StringIO(out)):
            if row and row[0] == name:
                return float(row[2])  # real_time
        return float('nan')

    logs = []
    for name in names:
        a = b = float('inf')
        for _ in range(reps):
            a = min(a, best_of_one(base, name))
            b = min(b, best_of_one(new, name))
        logs.append(math.log(b / a))
        print('%-58s %11.1f %11.1f  %.3f' % (name.replace('/threads:1/real_time', ''), a, b,
                                              b / a), flush=True)
    print('geomean new/base %.3f over %d benchmarks' % (math.exp(sum(logs) / len(logs)),
                                                         len(logs)))


if __name__ == '__main__':
    main(sys.argv[1:])
