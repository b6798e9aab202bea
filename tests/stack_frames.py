#!/usr/bin/env python3
"""stack_frames.py BUILD_DIR [LIMIT_BYTES]: the stack frames a build compiled
with -fstack-usage (its .su files) against a limit, 4 MiB by default - half
the 8 MiB main stack and glibc's default thread stack, so that a kernel
entry and the loop it calls fit together. run_all.sh compiles the clang -O0
sanitizer build so: there every forced-inline copy keeps stack slots of its
own, and the row engine's frame once grew past 8 MiB (lanes.h, OPT_INLINE).
Prints the largest frames; exits 1 when one is over the limit, 77 (skipped)
when the build wrote no .su file."""
import os
import sys


def main(build, limit):
    frames = []
    for root, _, files in os.walk(build):
        for name in files:
            if name.endswith(".su"):
                with open(os.path.join(root, name)) as f:
                    for line in f:
                        where, size, _kind = line.rstrip("\n").rsplit("\t", 2)
                        frames.append((int(size), where, os.path.relpath(root, build)))
    if not frames:
        print("no .su files (the build was not compiled with -fstack-usage): skipped")
        return 77
    frames.sort(reverse=True)
    for size, where, obj in frames[:5]:
        print(f"{size:>10} {where} ({obj})")
    over = [f for f in frames if f[0] > limit]
    print(f"{len(frames)} frames, {len(over)} over {limit} bytes")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 4 << 20))
