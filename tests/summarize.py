#!/usr/bin/env python3
"""Sum the per-binary "N passed, N failed, N skipped" lines of one or more
meson test logs (meson-logs/testlog.json) into one closing line. A test that
prints no such line (a smoke run of a tool) is one case, passed, failed or
skipped (exit status 77) by its exit status; a test that crashed or timed out before its summary line
counts as one failed case."""
import json
import re
import sys

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")


def main(paths):
    passed = failed = skipped = 0
    for path in paths:
        label = path.split("/meson-logs/")[0]
        with open(path) as f:
            for line in f:
                t = json.loads(line)
                lines = [l for l in (t.get("stdout") or "").splitlines() if SUMMARY.match(l)]
                if not lines:
                    ok, skip = t["result"] == "OK", t["result"] == "SKIP"
                    print(f"{label}: {t['name']}: {t['result']} (one case)")
                    passed, failed, skipped = passed + ok, failed + (not ok and not skip), skipped + skip
                    continue
                p, fl, s = SUMMARY.match(lines[-1]).groups()
                p, fl, s = int(p), int(fl), int(s or 0)
                if t["result"] != "OK" and fl == 0:
                    fl = 1  # exit code says failure although no case did
                print(f"{label}: {t['name']}: {p} passed, {fl} failed, {s} skipped")
                passed, failed, skipped = passed + p, failed + fl, skipped + s
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
