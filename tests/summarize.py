#!/usr/bin/env python3
"""Sum the per-binary "N passed, N failed, N skipped" lines of one or more
meson test logs (meson-logs/testlog.json) into one closing line. A test that
prints no such line (a smoke run of a tool) is one case, passed, failed or
skipped (exit status 77) by its exit status; a test that crashed or timed out before its summary line
counts as one failed case. A path ending in .xml is pytest's JUnit XML (the
Python package's tests): its tests, failures + errors and skips are added;
a missing XML file (the package did not build, or pytest crashed) is one
failed case."""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")


def junit_counts(path):
    """passed, failed, skipped of a JUnit XML file; (0, 1, 0) when it is missing or unreadable."""
    if not os.path.exists(path):
        print(f"{path}: missing (build or pytest failed)")
        return 0, 1, 0
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        print(f"{path}: unreadable ({e})")
        return 0, 1, 0
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    tests = failed = skipped = 0
    for s in suites:
        tests += int(s.get("tests", 0))
        failed += int(s.get("failures", 0)) + int(s.get("errors", 0))
        skipped += int(s.get("skipped", 0))
    if tests == 0:
        return 0, 1, 0
    return tests - failed - skipped, failed, skipped


def main(paths):
    passed = failed = skipped = 0
    for path in paths:
        if path.endswith(".xml"):
            p, fl, s = junit_counts(path)
            print(f"{path}: pytest: {p} passed, {fl} failed, {s} skipped")
            passed, failed, skipped = passed + p, failed + fl, skipped + s
            continue
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
